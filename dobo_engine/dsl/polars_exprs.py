"""Polars building blocks shared by the compiler and the function compilers (dsl.md §5, §12).

Cached literals, column references and cast targets, the checked Int128 →
Int64 cast and the implicit conversions of §5. This module imports no other
compilation stage, so both ``compiler`` and ``functions`` can build on it.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from dobo_engine.dsl.types import DslType

INT128 = pl.Int128()
INT64 = pl.Int64()
PL_STRING = pl.Utf8()
PL_BOOLEAN = pl.Boolean()
PL_DATE = pl.Date()

# Cast targets. ``Expr.cast(DataType)`` re-parses the dtype on every call (~8 µs); a
# prepared ``DataTypeExpr`` costs ~1.5 µs, and almost every operand is cast.
INT64_TARGET = INT64.to_dtype_expr()
INT128_TARGET = INT128.to_dtype_expr()
STRING_TARGET = PL_STRING.to_dtype_expr()


@lru_cache(maxsize=64)
def dec(scale: int) -> pl.Decimal:
    return pl.Decimal(38, scale)


@lru_cache(maxsize=64)
def dec_target(scale: int) -> pl.DataTypeExpr:
    """``dec(scale)`` as a cast target (``pl.lit`` needs the DataType itself)."""
    return dec(scale).to_dtype_expr()


@lru_cache(maxsize=64)
def cast_target(t: DslType) -> pl.DataTypeExpr:
    """``t.to_polars()`` as a cast target."""
    return t.to_polars().to_dtype_expr()


@lru_cache(maxsize=4096, typed=True)
def lit(value: object, dtype: pl.DataType | None = None) -> pl.Expr:
    """A literal expression; cached because building one costs more than any other
    step of compilation and Polars expressions are immutable. ``typed``: True == 1
    and Decimal("1") == 1, but they are different literals."""
    return pl.lit(value, dtype=dtype)


@lru_cache(maxsize=4096)
def col(name: str) -> pl.Expr:
    """``pl.col(name)``, cached like ``lit``: every column reference builds one."""
    return pl.col(name)


def typed_null(t: DslType) -> pl.Expr:
    """A NULL of type ``t`` (untyped for the null and unknown kinds)."""
    return lit(None, t.to_polars()) if t.kind not in ("null", "unknown") else lit(None)


def checked_int(expr128: pl.Expr) -> pl.Expr:
    """Back from Int128 to Int64; out of range fails the query (→ NumericOverflow, §12.4)."""
    return expr128.cast(INT64_TARGET, strict=True)


def coerce(expr: pl.Expr, src: DslType, dst: DslType) -> pl.Expr:
    """Apply the implicit conversions of §5 (and typed NULLs) to reach ``dst``."""
    if dst.kind in ("null", "unknown"):
        return expr
    if src.kind == "null":
        return lit(None, dst.to_polars())
    if dst.kind == "decimal":
        if src.kind == "decimal" and src.scale == dst.scale and src.precision == 38:
            return expr
        return expr.cast(dec_target(dst.scale or 0))
    if dst.kind == "timestamp" and src.kind == "date":
        return expr.cast(cast_target(dst))
    return expr
