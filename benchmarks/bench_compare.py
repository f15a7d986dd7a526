"""Scenario output comparison on two 100k-row frames (target: < 2 s per comparison).

Run: .venv/bin/python -m benchmarks.bench_compare [--rows N] [--write]
The expected side is built as the harness builds it from scenario text (all
values as text), so conversion to the actual types is part of the timing.
"""

from __future__ import annotations

import argparse
import platform
import time
from decimal import Decimal
from pathlib import Path

import polars as pl

from dobo_engine.harness.compare import CompareConfig, compare_frames

RESULTS = Path(__file__).resolve().parent / "results" / "compare.md"


def frames(rows: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    actual = pl.DataFrame(
        {
            "journal_id": [f"JE-{i // 2:06d}" for i in range(rows)],
            "line_number": [i % 2 + 1 for i in range(rows)],
            "currency": [("EUR", "USD", "JPY")[i % 3] for i in range(rows)],
            "amount": pl.Series([Decimal(i) / 100 for i in range(rows)], dtype=pl.Decimal(38, 6)),
            "booked": pl.date_range(pl.date(2026, 1, 1), pl.date(2026, 1, 31), eager=True).sample(
                rows, with_replacement=True, seed=1
            ),
        }
    )
    expected = actual.with_columns(pl.all().cast(pl.Utf8)).sample(fraction=1.0, shuffle=True, seed=2)
    # Five wrong values and one missing row: the run must report exactly these.
    expected = (
        expected.with_row_index("i")
        .with_columns(pl.when(pl.col("i") < 5).then(pl.lit("1.23")).otherwise(pl.col("amount")).alias("amount"))
        .drop("i")
    )
    return actual, expected.slice(1)


def timed(label: str, actual: pl.DataFrame, expected: pl.DataFrame, config: CompareConfig) -> tuple[str, float, int]:
    started = time.perf_counter()
    found = compare_frames(actual, expected, config)
    return label, time.perf_counter() - started, len(found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS}")
    args = parser.parse_args()
    actual, expected = frames(args.rows)
    runs = [
        timed(
            "key columns (journal_id, line_number)",
            actual,
            expected,
            CompareConfig(key_columns=["journal_id", "line_number"]),
        ),
        timed("whole-row multiset", actual, expected, CompareConfig()),
        timed(
            "order sensitive", actual, expected.sort("journal_id", "line_number"), CompareConfig(order_sensitive=True)
        ),
    ]
    lines = [f"| {label} | {seconds:.3f} | {count} |" for label, seconds, count in runs]
    machine = (
        f"{platform.machine()}, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"Polars {pl.__version__}"
    )
    text = "\n".join(
        [
            "# Scenario comparison benchmark",
            "",
            f"Command: `.venv/bin/python -m benchmarks.bench_compare --rows {args.rows} --write`",
            "",
            f"Machine: {machine}",
            "",
            f"Two frames of {args.rows:,} rows x 5 columns (string, integer, decimal(38,6), date); the expected side is "
            "text, as scenario data is, and is converted inside the timing. Target: < 2 s per comparison.",
            "",
            "| pairing | seconds | mismatches reported |",
            "| --- | --- | --- |",
            *lines,
            "",
        ]
    )
    print(text)
    if args.write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
