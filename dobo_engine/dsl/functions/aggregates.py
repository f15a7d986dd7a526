"""Aggregates (dsl.md §8-§9, §12.5): SUM, COUNT, COUNT_ALL, AVG, MIN_AGG, MAX_AGG.

Allowed only in aggregations; the checker enforces §9 and the compiler marks
the arguments as inside an aggregate (a group_by column there is one value
per row, not per group). Examples run over the sample rows of the reference:
``amount`` = 10.00, 2.50, NULL.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from dobo_engine.dsl import ast
from dobo_engine.dsl.functions.numeric import NUMBER, same_number
from dobo_engine.dsl.functions.spec import CompileContext, FunctionSpec, Need, arg_type, compiled_type, fixed
from dobo_engine.dsl.polars_exprs import INT64_TARGET, INT128_TARGET, checked_int, dec_target, typed_null
from dobo_engine.dsl.types import INTEGER, UNKNOWN, DslType, decimal, scale_of

ORDERABLE = "an orderable type (number, string, date or timestamp)"


def _values(c: CompileContext, arg: ast.Node, target: DslType) -> pl.Expr:
    """The argument, converted to ``target``, as one value per row of the group."""
    x = c.typed(arg, target) if target.kind not in ("null", "unknown") else c.compile(arg)
    if not any(isinstance(n, ast.Column) for n in arg.walk()):
        # A constant argument counts once per row of the group, not once.
        x = pl.repeat(x, pl.len())
    return x


def _sum(c: CompileContext, node: ast.Call) -> pl.Expr:
    result = compiled_type(node)
    x = _values(c, node.args[0], result)
    # SUM of only NULLs is NULL, not 0; Int64 sums are checked in Int128 (§12.4-5).
    total = checked_int(x.cast(INT128_TARGET).sum()) if result.kind == "integer" else x.sum()
    return pl.when(x.count() > 0).then(total).otherwise(typed_null(result))


def _count(c: CompileContext, node: ast.Call) -> pl.Expr:
    arg = node.args[0]
    return _values(c, arg, compiled_type(arg)).count().cast(INT64_TARGET)


def _count_all(c: CompileContext, node: ast.Call) -> pl.Expr:
    return pl.len().cast(INT64_TARGET)


def _avg_type(args: Sequence[ast.Node], need: Need) -> DslType:
    t = arg_type(args[0])
    if not need(0, t.is_vague or t.is_numeric, NUMBER):
        return UNKNOWN
    return UNKNOWN if t.kind == "unknown" else decimal(max(scale_of(t), 6))


def _avg(c: CompileContext, node: ast.Call) -> pl.Expr:
    arg = node.args[0]
    x = _values(c, arg, compiled_type(arg))
    # mean() on Decimal is Float64: SUM / COUNT in decimal instead (§12.5).
    scale = scale_of(compiled_type(node))
    divisor = pl.when(x.count() > 0).then(x.count().cast(dec_target(0)))
    return (x.cast(dec_target(scale)).sum() / divisor).cast(dec_target(scale))


def _extreme_type(args: Sequence[ast.Node], need: Need) -> DslType:
    t = arg_type(args[0])
    if not need(0, t.is_vague or t.is_orderable, ORDERABLE):
        return UNKNOWN
    return t


def _min_agg(c: CompileContext, node: ast.Call) -> pl.Expr:
    return _values(c, node.args[0], compiled_type(node)).min()


def _max_agg(c: CompileContext, node: ast.Call) -> pl.Expr:
    return _values(c, node.args[0], compiled_type(node)).max()


SPECS = (
    FunctionSpec(
        "SUM",
        1,
        1,
        same_number,
        _sum,
        aggregate=True,
        signature="SUM(x)",
        types="num → same (decimal keeps its scale)",
        summary="the total of x over the group",
        nulls="NULLs skipped; NULL when no non-NULL input",
        example="SUM(amount)",
        example_result="12.50",
    ),
    FunctionSpec(
        "COUNT",
        1,
        1,
        fixed(INTEGER),
        _count,
        aggregate=True,
        signature="COUNT(x)",
        types="any → integer",
        summary="the number of non-NULL values of x in the group",
        nulls="may be 0",
        example="COUNT(amount)",
        example_result="2",
        result=INTEGER,
    ),
    FunctionSpec(
        "COUNT_ALL",
        0,
        0,
        fixed(INTEGER),
        _count_all,
        aggregate=True,
        signature="COUNT_ALL()",
        types="→ integer",
        summary="the number of rows in the group",
        example="COUNT_ALL()",
        example_result="3",
        result=INTEGER,
    ),
    FunctionSpec(
        "AVG",
        1,
        1,
        _avg_type,
        _avg,
        aggregate=True,
        signature="AVG(x)",
        types="num → decimal, scale max(s, 6), half-even",
        summary="the mean of x over the group",
        nulls="NULLs skipped; NULL when no non-NULL input",
        example="AVG(amount)",
        example_result="6.250000",
    ),
    FunctionSpec(
        "MIN_AGG",
        1,
        1,
        _extreme_type,
        _min_agg,
        aggregate=True,
        signature="MIN_AGG(x)",
        types="orderable T → T",
        summary="the smallest value of x in the group",
        nulls="NULLs skipped; NULL when no non-NULL input",
        example="MIN_AGG(amount)",
        example_result="2.50",
    ),
    FunctionSpec(
        "MAX_AGG",
        1,
        1,
        _extreme_type,
        _max_agg,
        aggregate=True,
        signature="MAX_AGG(x)",
        types="orderable T → T",
        summary="the largest value of x in the group",
        nulls="NULLs skipped; NULL when no non-NULL input",
        example="MAX_AGG(amount)",
        example_result="10.00",
    ),
)
