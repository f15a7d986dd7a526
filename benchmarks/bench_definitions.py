"""How long the dobo code location takes to load with many Projects (target: 200 x 8 operations < 10 s).

Usage: .venv/bin/python benchmarks/bench_definitions.py [projects] [operations]
Writes benchmarks/results/definitions.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks/results/definitions.md"


def _project(i: int, operations: int) -> dict:
    ops = [
        {
            "order": 10 * (k + 1),
            "name": f"step {k + 1}",
            "type": "update",
            "parameters": {"assignments": [{"column": f"c{k}", "expression": f"amount_local * {k + 1}"}]},
        }
        for k in range(operations - 1)
    ]
    ops.append({"order": 10 * operations, "type": "output", "parameters": {"destination": "default"}})
    return {
        "id": f"bench-{i:04d}",
        "name": f"Bench {i}",
        "input_dataset_id": "ds-gl",
        "calendar_id": "finance",
        "materialization": "eager",
        "operations": ops,
    }


def main(projects: int = 200, operations: int = 8) -> None:
    home = tempfile.mkdtemp(prefix="dobo-bench-")
    os.environ["DOBO_HOME"] = home
    from click.testing import CliRunner

    from dobo_engine.cli.main import cli

    assert CliRunner().invoke(cli, ["apply", str(ROOT / "examples/finance/catalog")]).exit_code == 0
    t0 = time.perf_counter()
    from dobo_dagster.definitions import build_definitions
    from dobo_dagster.resources import current_store

    import_seconds = time.perf_counter() - t0
    store = current_store()
    for i in range(projects):
        store.put_entity("project", f"bench-{i:04d}", _project(i, operations), status="draft")
    imported = time.perf_counter()
    defs = build_definitions()
    built = time.perf_counter()
    jobs = [j for j in defs.resolve_all_job_defs() if j.name.startswith("bench_")]
    resolved = time.perf_counter()
    assert len(jobs) == projects and all(len(j.graph.nodes) == operations + 1 for j in jobs)
    rows = [
        ("import dobo_dagster (dagster itself included)", import_seconds),
        ("build_definitions() (store read + 200 jobs)", built - imported),
        ("resolve all jobs", resolved - built),
        ("total", import_seconds + resolved - imported),
    ]
    lines = [
        "# Code location load time",
        "",
        f"{projects} generated Projects of {operations} operations (+ the example catalog), SQLite store, "
        f"dagster 1.13, Python {sys.version.split()[0]}. Target: total < 10 s.",
        "",
        "| phase | seconds |",
        "| --- | --- |",
        *[f"| {name} | {sec:.2f} |" for name, sec in rows],
        "",
        "Reproduce: `.venv/bin/python benchmarks/bench_definitions.py 200 8`.",
    ]
    RESULT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
