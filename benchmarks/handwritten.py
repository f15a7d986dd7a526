"""The benchmark pipeline written by hand in plain Polars lazy code.

The same computation as the dobo Project in :mod:`benchmarks.dobo_run`, as a
careful data engineer would write it: scan the files, pick the closing USD
rates in force at the Period's start (as-of filter on ``_period_from`` /
``_period_to``), join them with a many-to-one check, compute the USD amount
exactly (decimal product at full scale, then rounded half-even to cents),
band and round it, drop lines without a cost center, group by account and
currency, and stream the summary to Parquet. Output columns and types match
the dobo output so the two files can be compared value for value (the row
order of the summary is not fixed; compare sorted by account and currency).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from benchmarks import gl_data

PERIOD_START = date(2026, 1, 1)
CENTS = pl.Decimal(18, 2)
SUMMARY = pl.Decimal(38, 6)


def closing_rates(data: Path) -> pl.LazyFrame:
    """The closing USD rate of each currency in force at the Period's start."""
    start = pl.lit(PERIOD_START, dtype=pl.Date)
    return (
        pl.scan_parquet(data / gl_data.EXCHANGE_RATES)
        .filter(
            (pl.col("to_currency") == "USD")
            & (pl.col("rate_type") == "closing")
            & (pl.col("_period_from") <= start)
            & (pl.col("_period_to").is_null() | (pl.col("_period_to") > start))
        )
        .select(pl.col("from_currency").alias("currency"), "rate")
    )


def kept_lines(data: str | Path, *, on_scan: tuple[pl.Expr, ...] = (), keep_order: bool = False) -> pl.LazyFrame:
    """The Period's GL lines converted, banded and rounded, without those lacking a cost center.

    ``on_scan`` are columns computed on the scanned file before any filter
    (row ids, which depend on the row's position in the file). ``keep_order``
    keeps the file's row order through the rate join (Polars' join does not
    promise it otherwise).
    """
    data = Path(data)
    lines = pl.scan_parquet(data / gl_data.TRANSACTIONS)
    if on_scan:
        lines = lines.with_columns(on_scan)
    lines = lines.filter(pl.col("_period") == gl_data.PERIOD)
    reporting = (pl.col("amount_local").cast(pl.Decimal(38, 8)) * pl.col("rate")).cast(CENTS)
    return (
        lines.join(
            closing_rates(data),
            on="currency",
            how="left",
            validate="m:1",
            maintain_order="left" if keep_order else "none",
        )
        .with_columns(amount_reporting=reporting)
        .with_columns(
            band=pl.when(pl.col("amount_reporting").abs() > 10000).then(pl.lit("large")).otherwise(pl.lit("small")),
            rounded=pl.col("amount_reporting").round(0, mode="half_away_from_zero"),
        )
        .filter(pl.col("cost_center_code").is_not_null())
    )


def summarise(lines: pl.LazyFrame, *, maintain_order: bool = False) -> pl.LazyFrame:
    """One row per account and currency: the summary columns of the dobo output, same types."""
    return lines.group_by("account_code", "currency", maintain_order=maintain_order).agg(
        total_local=pl.col("amount_local").sum().cast(SUMMARY),
        total_reporting=pl.col("amount_reporting").sum().cast(SUMMARY),
        total_rounded=pl.col("rounded").sum().cast(SUMMARY),
        large_lines=(pl.col("band") == "large").sum().cast(pl.Int64),
        line_count=pl.len().cast(pl.Int64),
    )


def plan(data: str | Path) -> pl.LazyFrame:
    return summarise(kept_lines(data))


def run(data: str | Path, out: str | Path) -> Path:
    """Write the summary of the files in ``data`` to ``out`` (a Parquet file)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    plan(data).sink_parquet(out)
    return out
