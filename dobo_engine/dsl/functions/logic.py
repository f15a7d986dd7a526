"""Logic and NULL functions (dsl.md §8): IF, AND, OR, NOT, ISNULL, COALESCE."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from dobo_engine.dsl import ast
from dobo_engine.dsl.functions.spec import (
    CompileContext,
    FunctionSpec,
    Need,
    arg_type,
    common_of,
    compiled_type,
    fixed,
    need_all,
)
from dobo_engine.dsl.polars_exprs import lit
from dobo_engine.dsl.types import BOOLEAN, DslType


def _boolean(args: Sequence[ast.Node], need: Need) -> DslType:
    need_all(args, need, lambda t: t.kind == "boolean", "boolean")
    return BOOLEAN


def _if_type(args: Sequence[ast.Node], need: Need) -> DslType:
    need(0, arg_type(args[0]).is_vague or arg_type(args[0]).kind == "boolean", "boolean")
    return common_of(args[1:], need, offset=1)


def _if(c: CompileContext, node: ast.Call) -> pl.Expr:
    cond, a, b = node.args
    result = compiled_type(node)
    return pl.when(c.typed(cond, BOOLEAN)).then(c.typed(a, result)).otherwise(c.typed(b, result))


def _and(c: CompileContext, node: ast.Call) -> pl.Expr:
    exprs = [c.typed(a, BOOLEAN) for a in node.args]
    out = exprs[0]
    for e in exprs[1:]:
        out = out & e
    return out


def _or(c: CompileContext, node: ast.Call) -> pl.Expr:
    exprs = [c.typed(a, BOOLEAN) for a in node.args]
    out = exprs[0]
    for e in exprs[1:]:
        out = out | e
    return out


def _not(c: CompileContext, node: ast.Call) -> pl.Expr:
    return ~c.typed(node.args[0], BOOLEAN)


def _isnull(c: CompileContext, node: ast.Call) -> pl.Expr:
    arg = node.args[0]
    return lit(True) if compiled_type(arg).kind == "null" else c.compile(arg).is_null()


def _coalesce_type(args: Sequence[ast.Node], need: Need) -> DslType:
    return common_of(args, need)


def _coalesce(c: CompileContext, node: ast.Call) -> pl.Expr:
    target = compiled_type(node)
    return pl.coalesce([c.typed(a, target) for a in node.args])


SPECS = (
    FunctionSpec(
        "IF",
        3,
        3,
        _if_type,
        _if,
        signature="IF(c, a, b)",
        types="boolean, T, T → common T",
        summary="a when the condition c is TRUE, else b",
        nulls="c NULL → b. Both branches are computed for every row.",
        example='IF(2 > 1, "yes", "no")',
        example_result='"yes"',
    ),
    FunctionSpec(
        "AND",
        2,
        None,
        _boolean,
        _and,
        signature="AND(x, y, …)",
        types="≥2 boolean → boolean",
        summary="TRUE when every argument is TRUE (the AND operator's function form)",
        nulls="Kleene, as the operators: FALSE wins over NULL",
        example="AND(TRUE, NULL)",
        example_result="NULL",
        result=BOOLEAN,
    ),
    FunctionSpec(
        "OR",
        2,
        None,
        _boolean,
        _or,
        signature="OR(x, y, …)",
        types="≥2 boolean → boolean",
        summary="TRUE when any argument is TRUE (the OR operator's function form)",
        nulls="Kleene, as the operators: TRUE wins over NULL",
        example="OR(TRUE, NULL)",
        example_result="TRUE",
        result=BOOLEAN,
    ),
    FunctionSpec(
        "NOT",
        1,
        1,
        _boolean,
        _not,
        signature="NOT(x)",
        types="boolean → boolean",
        summary="the negation of x (the NOT operator's function form)",
        nulls="NOT NULL = NULL",
        example="NOT(FALSE)",
        example_result="TRUE",
        result=BOOLEAN,
    ),
    FunctionSpec(
        "ISNULL",
        1,
        1,
        fixed(BOOLEAN),
        _isnull,
        signature="ISNULL(x)",
        types="any → boolean",
        summary="whether x is NULL (`x = NULL` is always NULL, §7.3)",
        nulls="never NULL",
        example="ISNULL(NULL)",
        example_result="TRUE",
        result=BOOLEAN,
    ),
    FunctionSpec(
        "COALESCE",
        2,
        None,
        _coalesce_type,
        _coalesce,
        signature="COALESCE(a, b, …)",
        types="≥2, common T → T",
        summary="the first argument that is not NULL",
        nulls="NULL if all are NULL",
        example="COALESCE(NULL, 2, 3)",
        example_result="2",
    ),
)
