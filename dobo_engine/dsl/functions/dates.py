"""Date functions (dsl.md §8): DATE, TODAY, YEAR, MONTH, DAY, DATEDIFF, DATEADD.

Timestamps are read in UTC. ``DATE("…")`` is a literal: the parser turns it
into a date node (literals.py), so its entry here serves arity, suggestions
and the docs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from dobo_engine.dsl import ast
from dobo_engine.dsl.functions.spec import (
    CompileContext,
    FunctionSpec,
    Need,
    arg_type,
    compiled_type,
    fixed,
    need_all,
)
from dobo_engine.dsl.polars_exprs import INT64, INT64_TARGET, PL_DATE, lit
from dobo_engine.dsl.types import DATE, INTEGER, UNKNOWN, DslType
from dobo_engine.errors import InternalError

TEMPORAL = "date or timestamp"


def _date_type(args: Sequence[ast.Node], need: Need) -> DslType:
    need(0, isinstance(args[0], ast.StringLit), 'a string literal "YYYY-MM-DD"')
    return DATE


def _date(c: CompileContext, node: ast.Call) -> pl.Expr:
    text = node.args[0]
    assert isinstance(text, ast.StringLit), "DATE takes a string literal (checked)"
    return lit(date.fromisoformat(text.value), PL_DATE)


def _today(c: CompileContext, node: ast.Call) -> pl.Expr:
    if c.today is None:
        raise InternalError("TODAY() needs the Run date (Scope.today) to compile")
    return lit(c.today, PL_DATE)


def _part_type(args: Sequence[ast.Node], need: Need) -> DslType:
    need(0, arg_type(args[0]).is_vague or arg_type(args[0]).is_temporal, TEMPORAL)
    return INTEGER


def _year(c: CompileContext, node: ast.Call) -> pl.Expr:
    return _part(c, node, "year")


def _month(c: CompileContext, node: ast.Call) -> pl.Expr:
    return _part(c, node, "month")


def _day(c: CompileContext, node: ast.Call) -> pl.Expr:
    return _part(c, node, "day")


def _part(c: CompileContext, node: ast.Call, part: str) -> pl.Expr:
    arg = node.args[0]
    if compiled_type(arg).kind == "null":
        return lit(None, INT64)
    d = c.compile(arg)
    value = d.dt.year() if part == "year" else d.dt.month() if part == "month" else d.dt.day()
    return value.cast(INT64_TARGET)


def _datediff_type(args: Sequence[ast.Node], need: Need) -> DslType:
    need_all(args, need, lambda t: t.is_temporal, TEMPORAL)
    return INTEGER


def _as_date(c: CompileContext, node: ast.Node) -> pl.Expr:
    """Timestamps are reduced to their UTC date (DATEDIFF, §8)."""
    expr = c.compile(node)
    t = compiled_type(node)
    if t.kind == "timestamp":
        return expr.dt.date()
    return expr if t.kind == "date" else lit(None, PL_DATE)


def _datediff(c: CompileContext, node: ast.Call) -> pl.Expr:
    end, start = _as_date(c, node.args[0]), _as_date(c, node.args[1])
    return end.cast(INT64_TARGET) - start.cast(INT64_TARGET)


def _dateadd_type(args: Sequence[ast.Node], need: Need) -> DslType:
    t = arg_type(args[0])
    ok = need(0, t.is_vague or t.is_temporal, TEMPORAL)
    need(1, arg_type(args[1]).is_vague or arg_type(args[1]).kind == "integer", "integer")
    return t if ok and t.is_temporal else (DATE if t.kind == "null" else UNKNOWN)


def _dateadd(c: CompileContext, node: ast.Call) -> pl.Expr:
    result = compiled_type(node)
    target = result if result.is_temporal else DATE
    return c.typed(node.args[0], target) + pl.duration(days=c.typed(node.args[1], INTEGER))


SPECS = (
    FunctionSpec(
        "DATE",
        1,
        1,
        _date_type,
        _date,
        signature='DATE("…")',
        types="string literal → date",
        summary="a date literal, YYYY-MM-DD",
        nulls="compile-time constant; an invalid date is a syntax error",
        example='DATE("2026-01-31")',
        example_result='DATE("2026-01-31")',
        result=DATE,
    ),
    FunctionSpec(
        "TODAY",
        0,
        0,
        fixed(DATE),
        _today,
        signature="TODAY()",
        types="→ date",
        summary="the date of the Run clock",
        nulls="fixed when the Run is created (D10, D26); not allowed in a Resolver rule's when",
        example="TODAY()",
        example_result='DATE("2026-01-31")',
        result=DATE,
    ),
    FunctionSpec(
        "YEAR",
        1,
        1,
        _part_type,
        _year,
        signature="YEAR(d)",
        types="date or timestamp → integer",
        summary="the year of d",
        nulls="timestamps read in UTC",
        example='YEAR(DATE("2026-01-31"))',
        example_result="2026",
        result=INTEGER,
    ),
    FunctionSpec(
        "MONTH",
        1,
        1,
        _part_type,
        _month,
        signature="MONTH(d)",
        types="date or timestamp → integer",
        summary="the month of d, 1–12",
        nulls="timestamps read in UTC",
        example='MONTH(DATE("2026-01-31"))',
        example_result="1",
        result=INTEGER,
    ),
    FunctionSpec(
        "DAY",
        1,
        1,
        _part_type,
        _day,
        signature="DAY(d)",
        types="date or timestamp → integer",
        summary="the day of the month of d, 1–31",
        nulls="timestamps read in UTC",
        example='DAY(DATE("2026-01-31"))',
        example_result="31",
        result=INTEGER,
    ),
    FunctionSpec(
        "DATEDIFF",
        2,
        2,
        _datediff_type,
        _datediff,
        signature="DATEDIFF(end, start)",
        types="date/timestamp ×2 → integer",
        summary="the number of days from start to end",
        nulls="may be negative; timestamps reduced to their UTC date",
        example='DATEDIFF(DATE("2026-01-31"), DATE("2026-01-05"))',
        example_result="26",
        result=INTEGER,
    ),
    FunctionSpec(
        "DATEADD",
        2,
        2,
        _dateadd_type,
        _dateadd,
        signature="DATEADD(d, n)",
        types="date or timestamp, integer → same as d",
        summary="d moved by n days",
        nulls="n may be negative",
        example='DATEADD(DATE("2026-01-31"), 1)',
        example_result='DATE("2026-02-01")',
    ),
)
