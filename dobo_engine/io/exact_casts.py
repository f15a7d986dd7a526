"""Exact conversion of a physical column to its declared dtype (DS-6).

:func:`conversion` returns the converted expression and a boolean
"failed" expression: true where the source holds a value that the target
cannot hold exactly. Nothing is ever rounded: a decimal with more fraction
digits than the column's scale fails (Polars' own cast to a smaller scale
rounds silently, dsl.md §12.1), and so does a value beyond the precision.
"""

from __future__ import annotations

import polars as pl

from dobo_engine.columns import LABELS_DTYPE, TIMESTAMP_DTYPE
from dobo_engine.labels import parse_labels

_NUMBER = r"^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$"
_TRUE = ("true", "t", "1")
_FALSE = ("false", "f", "0")


def _is_string(dtype: pl.DataType) -> bool:
    return dtype == pl.Utf8 or dtype == pl.Categorical or dtype == pl.Enum


def _string_fraction_digits(text: pl.Expr) -> pl.Expr:
    """Significant fraction digits of a number written as text (``"0.0067235"`` → 7).

    digits = integer part + fraction part with trailing zeros removed; the
    fraction length is then ``len(digits) - len(integer part) - exponent``.
    """
    int_part = text.str.extract(_NUMBER, 1).fill_null("")
    frac_part = text.str.extract(_NUMBER, 2).fill_null("")
    exponent = text.str.extract(_NUMBER, 3).cast(pl.Int64, strict=False).fill_null(0)
    digits = pl.concat_str([int_part, frac_part]).str.strip_chars_end("0")
    return digits.str.len_chars().cast(pl.Int64) - int_part.str.len_chars().cast(pl.Int64) - exponent


_WITHIN_INT64 = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32)


def _holds(target: pl.Decimal, source: pl.Decimal) -> bool:
    """Every value of `source` is exactly a value of `target`: no fewer whole digits, no fewer decimals."""
    source_precision = source.precision if source.precision is not None else 38
    target_precision = target.precision if target.precision is not None else 38
    return (source.scale or 0) <= (target.scale or 0) and source_precision - (source.scale or 0) <= (
        target_precision - (target.scale or 0)
    )


def _to_decimal(src: pl.Expr, dtype: pl.DataType, target: pl.Decimal) -> tuple[pl.Expr, pl.Expr]:
    scale = target.scale
    if _is_string(dtype) or dtype.is_float():
        # Floats go through their shortest text form (0.1 → "0.1"), so a
        # float that prints with few digits converts like the same text.
        text = src.cast(pl.Utf8).str.strip_chars()
        converted = text.cast(target, strict=False)
        too_fine = _string_fraction_digits(text) > scale
        failed = src.is_not_null() & (converted.is_null() | too_fine.fill_null(True))
        return pl.when(~failed).then(converted), failed
    if isinstance(dtype, pl.Decimal) and _holds(target, dtype):
        return src.cast(target), pl.lit(False)  # every value fits: nothing to check
    if isinstance(dtype, pl.Decimal):
        converted = src.cast(target, strict=False)
        failed = src.is_not_null() & converted.is_null()
        if (dtype.scale or 0) > scale:
            # Compare with the unrounded value at the source's scale.
            back = converted.cast(pl.Decimal(38, dtype.scale), strict=False)
            failed = failed | (src.is_not_null() & (back != src.cast(pl.Decimal(38, dtype.scale))).fill_null(True))
        return pl.when(~failed).then(converted), failed
    if dtype.is_integer():
        converted = src.cast(target, strict=False)
        return converted, src.is_not_null() & converted.is_null()
    return pl.lit(None, dtype=target), src.is_not_null()


def _to_integer(src: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    if _is_string(dtype):
        text = src.str.strip_chars()
        converted = text.str.to_integer(base=10, strict=False).cast(pl.Int64, strict=False)
    elif dtype in _WITHIN_INT64:
        return src.cast(pl.Int64), pl.lit(False)  # every value fits: nothing to check
    elif dtype.is_integer():
        converted = src.cast(pl.Int64, strict=False)
    elif dtype.is_float() or isinstance(dtype, pl.Decimal):
        whole = src.cast(pl.Int64, strict=False)
        # A fractional value is a failed conversion, not a truncation.
        exact = (
            whole.cast(pl.Decimal(38, dtype.scale), strict=False) == src
            if isinstance(dtype, pl.Decimal)
            else whole.cast(pl.Float64) == src.cast(pl.Float64)
        )
        converted = pl.when(exact).then(whole)
    elif dtype == pl.Boolean:
        converted = src.cast(pl.Int64)
    else:
        return pl.lit(None, dtype=pl.Int64), src.is_not_null()
    return converted, src.is_not_null() & converted.is_null()


def _to_boolean(src: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    if dtype == pl.Boolean:
        return src, pl.lit(False)
    if _is_string(dtype):
        text = src.str.strip_chars().str.to_lowercase()
        converted: pl.Expr = pl.when(text.is_in(_TRUE)).then(True).when(text.is_in(_FALSE)).then(False)
    elif dtype.is_integer():
        converted = pl.when(src == 1).then(True).when(src == 0).then(False)
    else:
        return pl.lit(None, dtype=pl.Boolean), src.is_not_null()
    converted = converted.cast(pl.Boolean)
    return converted, src.is_not_null() & converted.is_null()


def _to_date(src: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    if dtype == pl.Date:
        return src, pl.lit(False)
    if _is_string(dtype):
        converted = src.str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
    elif isinstance(dtype, pl.Datetime):
        # Only a midnight timestamp is a date; anything else would lose its time.
        converted = pl.when(src.dt.time() == pl.time(0)).then(src.dt.date())
    else:
        return pl.lit(None, dtype=pl.Date), src.is_not_null()
    return converted, src.is_not_null() & converted.is_null()


def _to_timestamp(src: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    if isinstance(dtype, pl.Datetime):
        # Naive timestamps are UTC (GEN-5); aware ones are converted to UTC.
        aware = src.dt.replace_time_zone("UTC") if dtype.time_zone is None else src.dt.convert_time_zone("UTC")
        return aware.dt.cast_time_unit("us"), pl.lit(False)
    if _is_string(dtype):
        text = src.str.strip_chars().str.replace(" ", "T", literal=True)
        with_zone = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", time_unit="us", time_zone="UTC", strict=False)
        naive = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False).dt.replace_time_zone("UTC")
        converted = pl.coalesce(with_zone, naive)
    elif dtype == pl.Date:
        converted = src.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    else:
        return pl.lit(None, dtype=TIMESTAMP_DTYPE), src.is_not_null()
    return converted, src.is_not_null() & converted.is_null()


def _to_string(src: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    if dtype == pl.Utf8:
        return src, pl.lit(False)
    if dtype.is_nested():
        return pl.lit(None, dtype=pl.Utf8), src.is_not_null()
    converted = src.cast(pl.Utf8, strict=False)
    return converted, src.is_not_null() & converted.is_null()


def _to_labels(src: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    if dtype == LABELS_DTYPE:
        return src, pl.lit(False)
    if _is_string(dtype):
        converted = parse_labels(src.cast(pl.Utf8))
        return converted, src.is_not_null() & converted.is_null()
    return pl.lit(None, dtype=LABELS_DTYPE), src.is_not_null()


def conversion(name: str, source: pl.DataType, target: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """(converted, failed) expressions turning column ``name`` of dtype ``source`` into ``target``."""
    src = pl.col(name)
    if source == pl.Null:
        return pl.lit(None, dtype=target), pl.lit(False)
    if isinstance(target, pl.Decimal):
        converted, failed = _to_decimal(src, source, target)
    elif target == pl.Int64:
        converted, failed = _to_integer(src, source)
    elif target == pl.Boolean:
        converted, failed = _to_boolean(src, source)
    elif target == pl.Date:
        converted, failed = _to_date(src, source)
    elif isinstance(target, pl.Datetime):
        converted, failed = _to_timestamp(src, source)
    elif target == pl.Utf8:
        converted, failed = _to_string(src, source)
    elif target == LABELS_DTYPE:
        converted, failed = _to_labels(src, source)
    else:
        raise ValueError(f"no conversion to {target}")
    return converted.cast(target), failed
