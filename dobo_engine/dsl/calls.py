"""Polars code for function calls (dsl.md §8) and aggregates (§9), with the §12 guards."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from dobo_engine.dsl import ast
from dobo_engine.dsl.compiler import (
    INT64,
    INT64_TARGET,
    INT128,
    INT128_TARGET,
    PL_DATE,
    PL_STRING,
    STRING_TARGET,
    checked_int,
    dec_target,
    lit,
)
from dobo_engine.dsl.types import BOOLEAN, DATE, INTEGER, STRING, DslType, decimal, scale_of
from dobo_engine.errors import DoboError

if TYPE_CHECKING:
    from dobo_engine.dsl.compiler import Compiler

AGGREGATES = frozenset({"SUM", "COUNT", "COUNT_ALL", "AVG", "MIN_AGG", "MAX_AGG"})


def _t(node: ast.Node) -> DslType:
    assert node.dtype is not None
    return node.dtype


def _null(t: DslType) -> pl.Expr:
    return lit(None, t.to_polars()) if t.kind not in ("null", "unknown") else lit(None)


def _as_date(c: Compiler, node: ast.Node) -> pl.Expr:
    """Timestamps are reduced to their UTC date (DATEDIFF, §8)."""
    expr = c.compile(node)
    t = _t(node)
    if t.kind == "timestamp":
        return expr.dt.date()
    return expr if t.kind == "date" else lit(None, PL_DATE)


def _common_args(c: Compiler, node: ast.Call, args: tuple[ast.Node, ...]) -> list[pl.Expr]:
    target = _t(node)
    return [c.typed(a, target) for a in args]


def compile_call(c: Compiler, node: ast.Call) -> pl.Expr:
    name, args, result = node.name, node.args, _t(node)
    if name == "IF":
        cond, a, b = args
        return pl.when(c.typed(cond, BOOLEAN)).then(c.typed(a, result)).otherwise(c.typed(b, result))
    if name in ("AND", "OR"):
        exprs = [c.typed(a, BOOLEAN) for a in args]
        out = exprs[0]
        for e in exprs[1:]:
            out = out & e if name == "AND" else out | e
        return out
    if name == "NOT":
        return ~c.typed(args[0], BOOLEAN)
    if name == "ISNULL":
        return lit(True) if _t(args[0]).kind == "null" else c.compile(args[0]).is_null()
    if name == "COALESCE":
        return pl.coalesce(_common_args(c, node, args))
    if name in ("MIN", "MAX"):
        exprs = _common_args(c, node, args)
        any_null = pl.any_horizontal([e.is_null() for e in exprs])
        pick = pl.min_horizontal(exprs) if name == "MIN" else pl.max_horizontal(exprs)
        # min/max_horizontal skip NULLs; the language says NULL if any argument is (§12.6).
        return pl.when(any_null).then(_null(result)).otherwise(pick)
    if name == "ABS":
        if result.kind == "integer":
            x = c.typed(args[0], INTEGER).cast(INT128_TARGET)
            return checked_int(pl.when(x < 0).then(lit(0, INT128) - x).otherwise(x))
        return c.typed(args[0], result).abs()
    if name == "ROUND":
        return _round(c, args, result)
    if name in ("FLOOR", "CEIL"):
        source = _t(args[0])
        if source.kind != "decimal":
            return c.typed(args[0], INTEGER)
        x = c.compile(args[0])
        return (x.floor() if name == "FLOOR" else x.ceil()).cast(INT64_TARGET, strict=True)
    if name == "MOD":
        a, b = c.typed(args[0], result), c.typed(args[1], result)
        # MOD by zero is NULL; decimal % 0 would fail the whole query (§12.2).
        return a % pl.when(b != 0).then(b)
    if name == "CONCAT":
        parts = [_to_text(c, a) for a in args]
        return pl.concat_str(parts, ignore_nulls=False)
    if name in ("UPPER", "LOWER", "TRIM", "LEN"):
        s = c.typed(args[0], STRING)
        if name == "UPPER":
            return s.str.to_uppercase()
        if name == "LOWER":
            return s.str.to_lowercase()
        if name == "TRIM":
            return s.str.strip_chars()
        return s.str.len_chars().cast(INT64_TARGET)
    if name in ("LEFT", "RIGHT"):
        s, n = c.typed(args[0], STRING), c.typed(args[1], INTEGER)
        # head/tail(-1) drop a character; the language says NULL for n < 0 (§12.7).
        taken = s.str.head(n) if name == "LEFT" else s.str.tail(n)
        return pl.when(n >= 0).then(taken).otherwise(lit(None, PL_STRING))
    if name == "CONTAINS":
        return c.typed(args[0], STRING).str.contains(c.typed(args[1], STRING), literal=True)
    if name == "REPLACE":
        return _replace(c, args)
    if name == "TODAY":
        if c.today is None:
            raise DoboError("TODAY() needs the Run date (Scope.today) to compile", code="OperationFailure")
        return lit(c.today, PL_DATE)
    if name in ("YEAR", "MONTH", "DAY"):
        d = c.compile(args[0])
        if _t(args[0]).kind == "null":
            return lit(None, INT64)
        part = d.dt.year() if name == "YEAR" else d.dt.month() if name == "MONTH" else d.dt.day()
        return part.cast(INT64_TARGET)
    if name == "DATEDIFF":
        end, start = _as_date(c, args[0]), _as_date(c, args[1])
        return end.cast(INT64_TARGET) - start.cast(INT64_TARGET)
    if name == "DATEADD":
        target = result if result.is_temporal else DATE
        return c.typed(args[0], target) + pl.duration(days=c.typed(args[1], INTEGER))
    if name == "LABEL":
        return _label(c, args[0])
    raise DoboError(f"no compiler for function {name}", code="OperationFailure")


def _round(c: Compiler, args: tuple[ast.Node, ...], result: DslType) -> pl.Expr:
    source = _t(args[0])
    if result.kind != "decimal" or scale_of(source) <= scale_of(result):
        return c.typed(args[0], result)  # nothing to round away
    n = args[1]
    digits = n.value if isinstance(n, ast.IntegerLit) else 0
    x = c.typed(args[0], decimal(scale_of(source)))
    return x.round(digits, mode="half_away_from_zero").cast(dec_target(scale_of(result)))


def _to_text(c: Compiler, node: ast.Node) -> pl.Expr:
    t = _t(node)
    if t.kind == "null":
        return lit(None, PL_STRING)
    expr = c.compile(node)
    if t.kind == "date":
        return expr.dt.to_string("%Y-%m-%d")
    return expr.cast(STRING_TARGET)  # integers as plain digits


def _replace(c: Compiler, args: tuple[ast.Node, ...]) -> pl.Expr:
    s_node, old_node, new_node = args
    s, new = c.typed(s_node, STRING), c.typed(new_node, STRING)
    if isinstance(old_node, ast.StringLit) and isinstance(new_node, (ast.StringLit, ast.NullLit)):
        if isinstance(new_node, ast.NullLit):
            return lit(None, PL_STRING)
        if old_node.value == "":
            # replace_all("") would insert between characters (§12.7): s unchanged.
            return s
        return s.str.replace_all(old_node.value, new_node.value, literal=True)
    # Polars takes neither a pattern nor (on a constant string) a replacement from a
    # column: do those rows in Python.
    old = c.typed(old_node, STRING)

    def one(row: dict[str, Any]) -> str | None:
        text, pattern, value = row["s"], row["o"], row["n"]
        if text is None or pattern is None or value is None:
            return None
        return text if pattern == "" else text.replace(pattern, value)

    return pl.struct(s.alias("s"), old.alias("o"), new.alias("n")).map_elements(one, return_dtype=pl.Utf8)


def _label(c: Compiler, key_node: ast.Node) -> pl.Expr:
    assert isinstance(key_node, ast.StringLit)
    if c.labels_column is None:
        return lit(None, PL_STRING)
    element = pl.element()
    values = pl.col(c.labels_column).list.eval(
        element.filter(element.struct.field("key") == key_node.value).struct.field("value")
    )
    return values.list.first()


def compile_aggregate(c: Compiler, node: ast.Call) -> pl.Expr:
    name, result = node.name, _t(node)
    if name == "COUNT_ALL":
        return pl.len().cast(INT64_TARGET)
    arg = node.args[0]
    t = _t(arg)
    target = result if name in ("SUM", "MIN_AGG", "MAX_AGG") else t
    x = c.typed(arg, target) if target.kind not in ("null", "unknown") else c.compile(arg)
    if not any(isinstance(n, ast.Column) for n in arg.walk()):
        # A constant argument counts once per row of the group, not once.
        x = pl.repeat(x, pl.len())
    count = x.count()
    if name == "COUNT":
        return count.cast(INT64_TARGET)
    if name in ("MIN_AGG", "MAX_AGG"):
        return x.min() if name == "MIN_AGG" else x.max()
    if name == "SUM":
        # SUM of only NULLs is NULL, not 0; Int64 sums are checked in Int128 (§12.4-5).
        total = checked_int(x.cast(INT128_TARGET).sum()) if result.kind == "integer" else x.sum()
        return pl.when(count > 0).then(total).otherwise(_null(result))
    if name == "AVG":
        scale = scale_of(result)
        divisor = pl.when(count > 0).then(count.cast(dec_target(0)))
        return (x.cast(dec_target(scale)).sum() / divisor).cast(dec_target(scale))
    raise DoboError(f"no compiler for aggregate {name}", code="OperationFailure")

