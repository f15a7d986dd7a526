"""Expression-language speed: parse + check + compile (dsl.md; targets from the DSL issue).

- one 200-node expression: target < 5 ms
- a 200-expression Project: target < 100 ms

Run: .venv/bin/python benchmarks/bench_dsl.py   (writes benchmarks/results/dsl.md)
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dobo_engine.dsl import compile_expression, parse  # noqa: E402
from dobo_engine.dsl.parser import clear_cache, parse_with_grammar  # noqa: E402
from tests.dsl.conftest import finance_scope  # noqa: E402

PROJECT_EXPRESSIONS = [
    "transactions.amount_local * fx.rate",
    'IF(accounts.type = "revenue", -amount_local, amount_local)',
    'source_system = "ERP" AND amount_local > 1000',
    'CONCAT(accounts.code, " - ", accounts.name)',
    'CONCAT(journal_id, "/", line_number)',
    "posting_date >= TODAY() - 30",
    "NOT cost_centers.is_active",
    'ISNULL(cost_center_code) OR cost_centers.region = "EMEA"',
    "ROUND(amount_local * 1.05, 2)",
    'DATEDIFF(DATE("2026-01-31"), posting_date)',
]


def big_expression(nodes: int = 200) -> str:
    """A balanced mix of arithmetic, comparisons, logic and calls with about ``nodes`` AST nodes."""
    parts: list[str] = []
    i = 0
    while True:
        parts.append(f'(ROUND(amount_local * 1.{i % 10}5 + line_number, 2) > {i} OR UPPER(currency) = "EUR")')
        text = " AND ".join(parts)
        if sum(1 for _ in parse(text).walk()) >= nodes:
            return text
        i += 1


def measure(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up: grammar load and imports are not part of the per-expression cost
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    scope = finance_scope()
    text = big_expression()
    node_count = sum(1 for _ in parse(text).walk())

    def cold(fn):  # type: ignore[no-untyped-def]
        def run():  # type: ignore[no-untyped-def]
            clear_cache()  # every text parsed afresh
            return fn()

        return run

    one_fn = lambda: compile_expression(text, scope)  # noqa: E731
    one, one_warm = measure(cold(one_fn), repeat=50), measure(one_fn, repeat=50)
    project = [f"{e} AND line_number > {i}" if "AND" in e else e for i, e in enumerate(PROJECT_EXPRESSIONS * 20)]
    many_fn = lambda: [compile_expression(e, scope) for e in project]  # noqa: E731
    many, many_warm = measure(cold(many_fn), repeat=10), measure(many_fn, repeat=10)
    parse_fast = measure(cold(lambda: parse(text)), repeat=50)
    parse_lark = measure(lambda: parse_with_grammar(text), repeat=50)
    load = os.getloadavg()[0]
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    report = f"""# DSL benchmark

Command: `.venv/bin/python benchmarks/bench_dsl.py` (median of repeated runs, after one warm-up).

Machine: {os.cpu_count()} CPUs (`nproc`), {cpu}; Python {platform.python_version()};
1-minute load average during the run: {load:.1f} (the machine was shared).

"Cold" clears the parse cache first (every text parsed afresh); "warm" reuses the
parsed trees (texts seen before: the validator then the engine, a named selector
at each use site). Check and compile run in full in both.

| Case | Cold | Warm | Target |
|---|---|---|---|
| parse + check + compile, one expression of {node_count} AST nodes | {one:.2f} ms | {one_warm:.2f} ms | < 5 ms |
| parse + check + compile, Project of {len(project)} expressions | {many:.2f} ms | {many_warm:.2f} ms | < 100 ms |

Parse alone, the same {node_count}-node expression: {parse_fast:.2f} ms (`parse`, the
recursive-descent fast path), {parse_lark:.2f} ms with the lark grammar (`parse_with_grammar`,
which `parse` uses only for texts the fast path declines, such as every syntax error).
"""
    out = ROOT / "benchmarks" / "results" / "dsl.md"
    out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
