"""Number functions (dsl.md §8, §12.6): ABS, ROUND, FLOOR, CEIL, MOD, MIN, MAX."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from dobo_engine.dsl import ast
from dobo_engine.dsl.functions.spec import (
    CompileContext,
    FunctionSpec,
    Need,
    arg_type,
    common_of,
    compiled_type,
    need_all,
)
from dobo_engine.dsl.polars_exprs import INT64_TARGET, INT128, INT128_TARGET, checked_int, dec_target, lit, typed_null
from dobo_engine.dsl.types import INTEGER, UNKNOWN, DslType, decimal, scale_of

NUMBER = "integer or decimal"


def same_number(args: Sequence[ast.Node], need: Need) -> DslType:
    """A number in, the same type out (ABS, SUM); a bare NULL counts as integer."""
    t = arg_type(args[0])
    if not need(0, t.is_vague or t.is_numeric, NUMBER):
        return UNKNOWN
    return decimal(t.scale or 0) if t.kind == "decimal" else (INTEGER if t.kind == "null" else t)


def _abs(c: CompileContext, node: ast.Call) -> pl.Expr:
    result = compiled_type(node)
    if result.kind == "integer":
        x = c.typed(node.args[0], INTEGER).cast(INT128_TARGET)
        return checked_int(pl.when(x < 0).then(lit(0, INT128) - x).otherwise(x))
    return c.typed(node.args[0], result).abs()


def _round_type(args: Sequence[ast.Node], need: Need) -> DslType:
    t = arg_type(args[0])
    n = args[1]
    ok_n = isinstance(n, ast.IntegerLit) and 0 <= n.value <= 18
    need(1, ok_n, "an integer literal 0-18")
    if not need(0, t.is_vague or t.is_numeric, NUMBER):
        return UNKNOWN
    if t.kind == "decimal" and isinstance(n, ast.IntegerLit):
        return decimal(min(scale_of(t), n.value))
    return UNKNOWN if t.kind == "unknown" else (t if t.kind == "decimal" else INTEGER)


def _round(c: CompileContext, node: ast.Call) -> pl.Expr:
    value, n = node.args
    source, result = compiled_type(value), compiled_type(node)
    if result.kind != "decimal" or scale_of(source) <= scale_of(result):
        return c.typed(value, result)  # nothing to round away
    digits = n.value if isinstance(n, ast.IntegerLit) else 0
    x = c.typed(value, decimal(scale_of(source)))
    # round() keeps the input scale: cast down to the result's (§12.6).
    return x.round(digits, mode="half_away_from_zero").cast(dec_target(scale_of(result)))


def _to_integer_type(args: Sequence[ast.Node], need: Need) -> DslType:
    t = arg_type(args[0])
    need(0, t.is_vague or t.is_numeric, NUMBER)
    return INTEGER


def _floor(c: CompileContext, node: ast.Call) -> pl.Expr:
    arg = node.args[0]
    if compiled_type(arg).kind != "decimal":
        return c.typed(arg, INTEGER)
    # floor() on a Decimal stays Decimal: the strict cast detects overflow (§12.6).
    return c.compile(arg).floor().cast(INT64_TARGET, strict=True)


def _ceil(c: CompileContext, node: ast.Call) -> pl.Expr:
    arg = node.args[0]
    if compiled_type(arg).kind != "decimal":
        return c.typed(arg, INTEGER)
    return c.compile(arg).ceil().cast(INT64_TARGET, strict=True)


def _mod_type(args: Sequence[ast.Node], need: Need) -> DslType:
    if not need_all(args, need, lambda t: t.is_numeric, NUMBER) or any(arg_type(a).kind == "unknown" for a in args):
        return UNKNOWN
    types = [arg_type(a) for a in args]
    if all(t.kind in ("integer", "null") for t in types):
        return INTEGER
    return decimal(max(scale_of(t) for t in types))


def _mod(c: CompileContext, node: ast.Call) -> pl.Expr:
    result = compiled_type(node)
    a, b = c.typed(node.args[0], result), c.typed(node.args[1], result)
    # MOD by zero is NULL; decimal % 0 would fail the whole query (§12.2).
    return a % pl.when(b != 0).then(b)


def _orderable_common(args: Sequence[ast.Node], need: Need) -> DslType:
    return common_of(args, need, orderable=True)


def _min(c: CompileContext, node: ast.Call) -> pl.Expr:
    return _min_or_max(c, node, pl.min_horizontal)


def _max(c: CompileContext, node: ast.Call) -> pl.Expr:
    return _min_or_max(c, node, pl.max_horizontal)


def _min_or_max(c: CompileContext, node: ast.Call, horizontal: Callable[[list[pl.Expr]], pl.Expr]) -> pl.Expr:
    result = compiled_type(node)
    exprs = [c.typed(a, result) for a in node.args]
    any_null = pl.any_horizontal([e.is_null() for e in exprs])
    pick = horizontal(exprs)
    # min/max_horizontal skip NULLs; the language says NULL if any argument is (§12.6).
    return pl.when(any_null).then(typed_null(result)).otherwise(pick)


SPECS = (
    FunctionSpec(
        "ABS",
        1,
        1,
        same_number,
        _abs,
        signature="ABS(x)",
        types="num → same",
        summary="the absolute value of x",
        nulls="out of Int64 (ABS of the smallest integer) → NumericOverflow",
        example="ABS(-2.50)",
        example_result="2.50",
    ),
    FunctionSpec(
        "ROUND",
        2,
        2,
        _round_type,
        _round,
        signature="ROUND(x, n)",
        types="num, integer literal 0–18 → int stays int; decimal(s) → decimal(min(s,n))",
        summary="x rounded to n digits after the point",
        nulls="half away from zero: ROUND(2.5,0)=3, ROUND(-2.5,0)=-3",
        example="ROUND(2.5, 0)",
        example_result="3",
    ),
    FunctionSpec(
        "FLOOR",
        1,
        1,
        _to_integer_type,
        _floor,
        signature="FLOOR(x)",
        types="num → integer",
        summary="the largest integer not above x (toward −∞)",
        nulls="out of Int64 → NumericOverflow",
        example="FLOOR(-8.5)",
        example_result="-9",
        result=INTEGER,
    ),
    FunctionSpec(
        "CEIL",
        1,
        1,
        _to_integer_type,
        _ceil,
        signature="CEIL(x)",
        types="num → integer",
        summary="the smallest integer not below x (toward +∞)",
        nulls="out of Int64 → NumericOverflow",
        example="CEIL(-8.5)",
        example_result="-8",
        result=INTEGER,
    ),
    FunctionSpec(
        "MOD",
        2,
        2,
        _mod_type,
        _mod,
        signature="MOD(a, b)",
        types="num, num → int if both int, else decimal",
        summary="the remainder of a divided by b, with the divisor's sign",
        nulls="MOD(-7,2)=1; b=0 → NULL",
        example="MOD(-7, 2)",
        example_result="1",
    ),
    FunctionSpec(
        "MIN",
        2,
        None,
        _orderable_common,
        _min,
        signature="MIN(a, b, …)",
        types="≥2, common orderable T → T",
        summary="the smallest argument (row by row; MIN_AGG aggregates a column)",
        nulls="NULL if any argument is NULL",
        example="MIN(3, 1.5)",
        example_result="1.5",
    ),
    FunctionSpec(
        "MAX",
        2,
        None,
        _orderable_common,
        _max,
        signature="MAX(a, b, …)",
        types="≥2, common orderable T → T",
        summary="the largest argument (row by row; MAX_AGG aggregates a column)",
        nulls="NULL if any argument is NULL",
        example="MAX(3, 1.5)",
        example_result="3.0",
    ),
)
