"""Storing values into columns (OP-UPD-4/5, D35) and creating new columns.

Decimals are rounded half-even to the target scale (a Polars cast does that);
a value beyond the target precision fails the cast, which the executor
reports as `NumericOverflow`.
"""

from __future__ import annotations

import polars as pl

from dobo_engine.dsl.types import DslType, decimal

NEW_DECIMAL = decimal(6)  # OP-UPD-5: a new decimal column is decimal(38,6)


def new_column_type(value_type: DslType) -> DslType | None:
    """The type a new column gets from its expression; None when it has none (NULL only)."""
    if value_type.kind in ("null", "unknown"):
        return None
    return NEW_DECIMAL if value_type.kind == "decimal" else value_type


def store(expr: pl.Expr, value_type: DslType, target: DslType) -> pl.Expr:
    """`expr` converted to the target column's type (caller checked storability)."""
    dtype = target.to_polars()
    if value_type.kind == "null":
        return pl.lit(None, dtype=dtype)
    if value_type == target:
        return expr
    return expr.cast(dtype, strict=True)
