"""`make run-cli`: apply the example finance catalog and run its Projects on the embedded default.

Uses the `dobo` command exactly as a user would; state lands under $DOBO_HOME
(default `.dobo/`). A Project and Period that already has a completed Run of
the Project's current version is skipped, so running this again redoes nothing
(`make run` starts the UI in seconds on a warm checkout). The Dagster location
shows these Runs as materializations (sensor `dobo_cli_runs`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOBO = str(Path(sys.executable).parent / "dobo")
PERIODS = ["2026-01", "2026-02", "2026-Q1"]


def dobo(*args: str, capture: bool = False, env: dict[str, str] | None = None) -> str:
    print(f"$ dobo {' '.join(args)}", flush=True)
    result = subprocess.run([DOBO, *args], cwd=ROOT, text=True, capture_output=capture, env=env or dict(os.environ))
    if result.returncode != 0:
        if capture:
            sys.stderr.write(result.stdout + result.stderr)
        sys.exit(result.returncode)
    return result.stdout if capture else ""


def pending_runs(projects: list[dict[str, object]], completed: list[dict[str, object]]) -> list[tuple[str, str]]:
    """(project, period) pairs with no completed Run of the Project's current version.

    >>> pending_runs([{"id": "p", "version": 2}], [{"project_id": "p", "project_version": 2, "period": "2026-01"}])
    [('p', '2026-02'), ('p', '2026-Q1')]
    """
    done = {(r["project_id"], r["project_version"], r["period"]) for r in completed}
    return [
        (str(p["id"]), period) for p in projects for period in PERIODS if (p["id"], p["version"], period) not in done
    ]


def pending_example_runs(env: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The example (Project, Period) pairs not done yet; says how many are skipped."""
    projects = json.loads(dobo("list", "project", "--json", capture=True, env=env))
    completed = json.loads(dobo("runs", "--status", "completed", "--json", capture=True, env=env))
    todo = pending_runs(projects, completed)
    skipped = len(projects) * len(PERIODS) - len(todo)
    if skipped:
        print(f"{skipped} example Runs already done (completed for the current Project version): skipped", flush=True)
    return todo


def run_projects(env: dict[str, str] | None = None) -> None:
    """Run every example Project for each example Period with `dobo run`, unless already done."""
    for project, period in pending_example_runs(env):
        dobo("run", project, "--period", period, env=env)


def main() -> None:
    dobo("apply", "examples/finance/catalog")
    dobo("periods", "generate", "finance", "--from-year", "2025", "--to-year", "2026")
    run_projects()
    dobo("config")


if __name__ == "__main__":
    main()
