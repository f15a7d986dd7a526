"""Temporal filters of a table for the Run's Period (TMP-1..3, D8, D9)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import polars as pl


def period_filter(identifiers: Collection[str]) -> pl.Expr:
    """TMP-1: keep rows of the Run's Period or of any of its descendants."""
    return pl.col("_period").is_in(list(identifiers))


def as_of_filter(start_date: date) -> pl.Expr:
    """TMP-2: rows effective at the Period's start (`_period_to` exclusive, NULL open)."""
    start = pl.lit(start_date, dtype=pl.Date)
    return (pl.col("_period_from") <= start) & (pl.col("_period_to").is_null() | (pl.col("_period_to") > start))


def knowledge_filter(as_known_at: date | None) -> pl.Expr:
    """TMP-3: current rows by default; with `as_known_at`, what was known that day."""
    if as_known_at is None:
        return pl.col("_valid_to").is_null()
    known = pl.lit(as_known_at, dtype=pl.Date)
    return (pl.col("_valid_from") <= known) & (pl.col("_valid_to").is_null() | (pl.col("_valid_to") > known))


def temporal_filter(
    temporal_mode: str,
    *,
    period_identifiers: Collection[str],
    start_date: date,
    has_knowledge_axis: bool,
    as_known_at: date | None,
) -> pl.Expr:
    """The whole filter for one table (TMP-5: every table uses the Run's Period)."""
    if temporal_mode == "period":
        return period_filter(period_identifiers)
    condition = as_of_filter(start_date)
    if has_knowledge_axis:
        condition = condition & knowledge_filter(as_known_at)
    return condition
