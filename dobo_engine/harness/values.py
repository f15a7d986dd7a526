"""Scenario values -> typed Polars frames (scenarios.md §2).

Every value first becomes its literal text (a YAML ``0.00672`` is already an
exact Decimal, D29), then whole columns are converted with Polars. Decimals
therefore never pass through binary floating point. Input decimals stay text,
so the engine's own load check (DS-6) decides whether they fit the column's
scale (D31); expected decimals are parsed at their full written precision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from dobo_engine.columns import LABELS_DTYPE, SYSTEM_COLUMNS
from dobo_engine.errors import Location, SchemaValidationError

# System columns a scenario row may carry (§2 rule 3).
ROW_SYSTEM_COLUMNS = (
    "_row_id",
    "_deleted",
    "_period",
    "_period_from",
    "_period_to",
    "_valid_from",
    "_valid_to",
    "_labels",
    "_created_at",
    "_updated_at",
)
_DECIMAL_TEXT = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_FRACTION = r"^[+-]?\d*\.(\d*?)0*(?:[eE].*)?$"

Locator = Callable[[int, str], Location]  # (row index, column) -> where the value was written


def to_text(value: Any) -> str | None:
    """The literal text of one scenario value; maps and lists have none."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def labels_value(value: Any) -> list[dict[str, str]] | None:
    """A ``_labels`` map ({key: value}) as the frame's sorted list of structs (ROW-6)."""
    if value is None:
        return []
    if not isinstance(value, Mapping) or not all(isinstance(v, (str, type(None))) for v in value.values()):
        raise ValueError("_labels must be a map of string values")
    return [{"key": str(k), "value": value[k]} for k in sorted(value) if value[k] is not None]


def rows_frame(
    rows: Sequence[Mapping[str, Any]], allowed: Sequence[str], *, table: str, where: Locator
) -> pl.DataFrame:
    """Inline rows as a frame of text columns (``_labels`` already typed).

    Columns are the allowed ones that any row mentions, in ``allowed`` order;
    a missing key is NULL. Unknown keys are a SchemaValidationError.
    """
    allowed_set = set(allowed)
    present: set[str] = set()
    for index, row in enumerate(rows):  # reading authored YAML, not comparing data
        for key in row:
            if key not in allowed_set:
                raise SchemaValidationError(
                    f"table {table!r}, row {index + 1}: column {key!r} is neither declared nor a scenario system column",
                    location=where(index, key),
                    rule="scenarios.md §2",
                )
        present.update(row)
    columns: dict[str, pl.Series] = {}
    for name in (c for c in allowed if c in present):
        if name == "_labels":
            try:
                values = [labels_value(row.get(name)) for row in rows]
            except ValueError as exc:
                bad = next(i for i, r in enumerate(rows) if _bad_labels(r.get(name)))
                raise SchemaValidationError(
                    f"table {table!r}, row {bad + 1}, column '_labels': {exc}", location=where(bad, name)
                ) from None
            columns[name] = pl.Series(name, values, dtype=LABELS_DTYPE)
            continue
        texts: list[str | None] = []
        for index, row in enumerate(rows):
            try:
                texts.append(to_text(row.get(name)))
            except TypeError:
                raise SchemaValidationError(
                    f"table {table!r}, row {index + 1}, column {name!r}: a value must be a scalar",
                    location=where(index, name),
                ) from None
        columns[name] = pl.Series(name, texts, dtype=pl.Utf8)
    return pl.DataFrame(columns, height=len(rows)) if columns else pl.DataFrame(height=len(rows))


def _bad_labels(value: Any) -> bool:
    try:
        labels_value(value)
        return False
    except ValueError:
        return True


def text_to(expr: pl.Expr, dtype: pl.DataType, *, decimal_scale: int | None = None) -> pl.Expr:
    """Convert a text column to ``dtype``; NULL where the text does not convert.

    Decimals are parsed at ``decimal_scale`` (the widest written fraction),
    or kept as validated text when ``decimal_scale`` is None.
    """
    text = expr.str.strip_chars()
    if isinstance(dtype, pl.Decimal):
        valid = pl.when(text.str.contains(_DECIMAL_TEXT)).then(text)
        return valid if decimal_scale is None else valid.cast(pl.Decimal(38, decimal_scale), strict=False)
    if dtype == pl.Utf8:
        return expr
    if dtype.is_integer():
        return text.str.to_integer(base=10, strict=False).cast(dtype, strict=False)
    if dtype.is_float():
        return text.cast(dtype, strict=False)
    if dtype == pl.Boolean:
        low = text.str.to_lowercase()
        return pl.when(low == "true").then(True).when(low == "false").then(False).cast(pl.Boolean)
    if dtype == pl.Date:
        return text.str.to_date("%Y-%m-%d", strict=False)
    if isinstance(dtype, pl.Datetime):
        zoned = text.str.replace(r"[Zz]$", "+00:00").str.replace(" ", "T", literal=True)
        with_offset = zoned.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_unit="us", time_zone="UTC", strict=False)
        # Without an offset the text is UTC, like every dobo timestamp.
        naive = zoned.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False).dt.replace_time_zone("UTC")
        both = pl.coalesce(with_offset, naive)
        return both.dt.convert_time_zone(dtype.time_zone) if dtype.time_zone else both.dt.replace_time_zone(None)
    return pl.lit(None, dtype=dtype)


def fraction_digits(series: pl.Series) -> int:
    """The widest fraction written in a text column of numbers (trailing zeros ignored)."""
    if series.dtype != pl.Utf8:
        return 0
    widths = series.str.strip_chars().str.extract(_FRACTION, 1).str.len_chars()
    widest = widths.max()
    return widest if isinstance(widest, int) else 0


def convert_frame(
    frame: pl.DataFrame, targets: Mapping[str, pl.DataType], *, table: str, where: Locator, decimals_as_text: bool
) -> pl.DataFrame:
    """Convert the text columns of ``frame`` to ``targets``; the first failure is a SchemaValidationError."""
    exprs: list[pl.Expr] = []
    for name in frame.columns:
        dtype = targets.get(name)
        source = frame.schema[name]
        if dtype is None or source != pl.Utf8 or dtype == pl.Utf8:
            exprs.append(pl.col(name) if dtype is None or source == dtype else pl.col(name).cast(dtype, strict=False))
            continue
        scale = (
            None
            if decimals_as_text
            else min(max(fraction_digits(frame[name]), dtype.scale or 0), 30)
            if isinstance(dtype, pl.Decimal)
            else None
        )
        exprs.append(text_to(pl.col(name), dtype, decimal_scale=scale).alias(name))
    converted = frame.select(exprs)
    failed = [(name, (frame[name].is_not_null() & converted[name].is_null()).arg_true()) for name in frame.columns]
    for name, rows in failed:
        if rows.len():
            index = int(rows[0])
            raise SchemaValidationError(
                f"table {table!r}, row {index + 1}, column {name!r}: {frame[name][index]!r} is not a valid "
                f"{type_name(targets.get(name))} ({rows.len()} value(s) fail)",
                location=where(index, name),
                rule="scenarios.md §2",
            )
    return converted


def type_name(dtype: pl.DataType | None) -> str:
    if dtype is None:
        return "value"
    if isinstance(dtype, pl.Decimal):
        return "decimal"
    if isinstance(dtype, pl.Datetime):
        return "timestamp"
    names: dict[pl.DataType, str] = {
        pl.Utf8(): "string",
        pl.Int64(): "integer",
        pl.Boolean(): "boolean",
        pl.Date(): "date",
    }
    return names.get(dtype, str(dtype))


def system_dtype(name: str) -> pl.DataType:
    return SYSTEM_COLUMNS[name]


__all__ = [
    "ROW_SYSTEM_COLUMNS",
    "rows_frame",
    "convert_frame",
    "text_to",
    "to_text",
    "fraction_digits",
    "labels_value",
    "type_name",
]
