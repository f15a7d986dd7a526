"""Output comparison (scenarios.md §5), whole-frame with Polars joins.

Rows are paired by position (``order_sensitive``), by NULL-safe key equality
with duplicates in order of appearance (``key_columns``), or as multisets of
whole rows. Equality per column is one vectorised expression; only the rows
that differ are turned into Python values, to build the mismatch messages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from dobo_engine.columns import SYSTEM_COLUMNS
from dobo_engine.harness.values import fraction_digits, text_to

_I, _E, _BAD = "__i", "__e", "__bad__"  # row index, expected-side suffix, unconvertible-cell prefix
_IN_A, _IN_E, _DUP = "__in_actual", "__in_expected", "__dup"


@dataclass(frozen=True)
class CompareConfig:
    match_mode: str = "exact"
    order_sensitive: bool = False
    key_columns: Sequence[str] | None = None
    validate_metadata: bool = False
    float_tolerance: float = 1e-9


def plain(value: Any) -> Any:
    """A JSON- and YAML-friendly form of one cell value."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and set(v) == {"key", "value"} for v in value):
            return {v["key"]: v["value"] for v in value}  # _labels as the map a scenario writes
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _records(frame: pl.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    return [{k: plain(v) for k, v in row.items()} for row in frame.select(columns).to_dicts()]


def _take(frame: pl.DataFrame, index: pl.Series) -> pl.DataFrame:
    """Rows of ``frame`` at the given positions, in that order."""
    return frame.select(pl.all().gather(index.cast(pl.UInt32)))


def _expected_typed(expected: pl.DataFrame, actual: pl.DataFrame) -> pl.DataFrame:
    """Expected columns in the actual column's type (§5.4); a ``__bad__c`` flag marks unconvertible cells."""
    exprs: list[pl.Expr] = []
    for name in expected.columns:
        source, target = expected.schema[name], actual.schema[name]
        if source.is_float() and (target.is_float() or isinstance(target, pl.Decimal) or target.is_integer()):
            value = pl.col(name)  # floats only come from expected files; compared within tolerance
        elif source == pl.Utf8 and target != pl.Utf8:
            scale = max(fraction_digits(expected[name]), target.scale or 0) if isinstance(target, pl.Decimal) else None
            value = text_to(pl.col(name), target, decimal_scale=min(scale, 30) if scale is not None else None)
        elif source != target:
            value = pl.col(name).cast(target, strict=False)
        else:
            value = pl.col(name)
        exprs.append(value.alias(name))
        exprs.append((pl.col(name).is_not_null() & value.is_null()).alias(_BAD + name))
    return expected.select(exprs)


def _common_types(actual: pl.DataFrame, expected: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Decimals of both sides at one scale, so equality and joins are exact (9282.00 = 9282.000000)."""
    casts_a: list[pl.Expr] = []
    casts_e: list[pl.Expr] = []
    for name in expected.columns:
        if name.startswith(_BAD):
            continue
        a, e = actual.schema[name], expected.schema[name]
        if isinstance(a, pl.Decimal) and isinstance(e, pl.Decimal):
            common = pl.Decimal(38, max(a.scale or 0, e.scale or 0))
            casts_a.append(pl.col(name).cast(common))
            casts_e.append(pl.col(name).cast(common))
        elif e.is_float() and not a.is_float():
            casts_a.append(pl.col(name).cast(pl.Float64))
        elif e == pl.Null:
            casts_e.append(pl.col(name).cast(a))
    return actual.with_columns(casts_a), expected.with_columns(casts_e)


def _equal(name: str, dtype: pl.DataType, tolerance: float) -> pl.Expr:
    a, e = pl.col(name), pl.col(name + _E)
    if dtype.is_float():
        close = ((a - e).abs() <= tolerance).fill_null(False)
        same = close | (a.is_null() & e.is_null()) | (a.is_nan() & e.is_nan()).fill_null(False)
    else:
        same = a.eq_missing(e)
    return same & ~pl.col(_BAD + name).fill_null(False)


def _join_key(name: str, dtype: pl.DataType, tolerance: float) -> pl.Expr:
    """A hashable stand-in of a column for multiset matching."""
    if isinstance(dtype, pl.List):
        return (
            pl.col(name)
            .list.eval(
                pl.element().cast(pl.Utf8)
                if not isinstance(dtype.inner, pl.Struct)
                else pl.element().struct.json_encode()
            )
            .list.join("\x1f")
        )
    if dtype.is_float():
        digits = max(0, min(15, round(-math.log10(tolerance)))) if tolerance > 0 else 15
        return pl.col(name).round(digits)
    return pl.col(name)


def compare_frames(
    actual: pl.DataFrame, expected_raw: pl.DataFrame, config: CompareConfig, output: int | None = None
) -> list[dict[str, Any]]:
    """Every mismatch between an output frame and an expected block (§5); never stops at the first."""
    found: list[dict[str, Any]] = []

    def add(kind: str, **fields: Any) -> None:
        found.append({"output": output, "type": kind, **fields})

    system = set(SYSTEM_COLUMNS)
    expected_raw = expected_raw.select([c for c in expected_raw.columns if config.validate_metadata or c not in system])
    listed = set(expected_raw.columns)
    actual = actual.select([c for c in actual.columns if c not in system or (config.validate_metadata and c in listed)])
    for name in expected_raw.columns:
        if name not in actual.columns:
            add("missing_column", columns=[name])
    if config.match_mode == "exact" and expected_raw.width:  # `rows: []` states only that there are no rows
        for name in actual.columns:
            if name not in listed:
                add("extra_column", columns=[name])
    columns = [c for c in expected_raw.columns if c in actual.columns]
    actual = actual.select(columns).with_row_index(_I)
    raw = expected_raw.select(columns)
    expected = _expected_typed(raw, actual.drop(_I)).with_row_index(_I)
    actual, expected = _common_types(actual, expected)
    keys = [k for k in (config.key_columns or []) if k in columns]
    if config.key_columns and len(keys) < len(config.key_columns):
        keys = []  # a key column is missing: the missing_column says so; pair whole rows instead
    if config.order_sensitive:
        on = [_I]
    elif keys:
        on = [*keys, _DUP]
        actual = actual.with_columns(pl.int_range(pl.len()).over(keys).alias(_DUP))
        expected = expected.with_columns(pl.int_range(pl.len()).over(keys).alias(_DUP))
    else:
        return found + _multiset(actual, expected, raw, columns, config, output)

    joined = actual.with_columns(pl.lit(True).alias(_IN_A)).join(
        expected.with_columns(pl.lit(True).alias(_IN_E)),
        on=on,
        how="full",
        nulls_equal=True,
        suffix=_E,
        coalesce=True,
        maintain_order="left_right",
    )
    if _I not in on:  # both sides keep their own index
        joined = joined.rename({_I: _I + "a"}).rename({_I + _E: _I})
    else:
        joined = joined.with_columns(pl.col(_I).alias(_I + "a"))
    value_cols = [c for c in columns if c not in keys]
    diffs = [pl.when(~_equal(c, actual.schema[c], config.float_tolerance)).then(pl.lit(c)) for c in value_cols]
    both = joined.filter(pl.col(_IN_A) & pl.col(_IN_E))
    if value_cols:
        differing = both.with_columns(pl.concat_list(diffs).list.drop_nulls().alias("__cols")).filter(
            pl.col("__cols").list.len() > 0
        )
    else:
        differing = both.head(0).with_columns(pl.lit([], dtype=pl.List(pl.Utf8)).alias("__cols"))

    def key_of(row: dict[str, Any]) -> dict[str, Any]:
        return {k: plain(row[k]) for k in keys} if keys else {"row": row[_I + "a"]}

    pairs = differing.select([*keys, _I, _I + "a", "__cols"]).to_dicts()
    exp_rows = _records(_take(raw, differing[_I]), columns)
    act_rows = _records(_take(actual, differing[_I + "a"]), columns)
    for row, exp, act in zip(pairs, exp_rows, act_rows):
        cols = row["__cols"]
        add(
            "value_mismatch",
            key=key_of(row),
            expected={c: exp[c] for c in cols},
            actual={c: act[c] for c in cols},
            columns=cols,
        )
    missing = joined.filter(pl.col(_IN_A).is_null())
    for idx, exp in zip(missing[_I].to_list(), _records(_take(raw, missing[_I]), columns)):
        add("missing_row", key={k: exp[k] for k in keys} if keys else {"row": idx}, expected=exp)
    if config.match_mode == "exact":
        extra = joined.filter(pl.col(_IN_E).is_null())
        for row in _records(_take(actual, extra[_I + "a"]), [_I, *columns]):
            index = row.pop(_I)
            add("extra_row", key={k: row[k] for k in keys} if keys else {"row": index}, actual=row)
    return found


def _multiset(
    actual: pl.DataFrame,
    expected: pl.DataFrame,
    raw: pl.DataFrame,
    columns: list[str],
    config: CompareConfig,
    output: int | None,
) -> list[dict[str, Any]]:
    """Whole-row matching: equal rows pair off one for one; the rest are missing or extra."""
    found: list[dict[str, Any]] = []
    tol = config.float_tolerance
    keys = [f"__k{i}" for i in range(len(columns))]
    bad = pl.any_horizontal([pl.col(_BAD + c) for c in columns]) if columns else pl.lit(False)

    def keyed(frame: pl.DataFrame, is_bad: pl.Expr) -> pl.DataFrame:
        exprs = [_join_key(c, frame.schema[c], tol).alias(k) for c, k in zip(columns, keys)]
        frame = frame.select([_I, *exprs, is_bad.alias("__badrow")])
        return frame.with_columns(pl.int_range(pl.len()).over([*keys, "__badrow"] if keys else "__badrow").alias(_DUP))

    a = keyed(actual, pl.lit(False))
    e = keyed(expected, bad)
    on = [*keys, "__badrow", _DUP]
    missing = e.join(a, on=on, how="anti", nulls_equal=True)
    for exp in _records(_take(raw, missing[_I]), columns):
        found.append({"output": output, "type": "missing_row", "key": None, "expected": exp})
    if config.match_mode == "exact":
        extra = a.join(e, on=on, how="anti", nulls_equal=True)
        for act in _records(_take(actual, extra[_I]), columns):
            found.append({"output": output, "type": "extra_row", "key": None, "actual": act})
    return found


__all__ = ["CompareConfig", "compare_frames", "plain"]
