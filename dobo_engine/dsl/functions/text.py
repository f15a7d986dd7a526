"""String functions (dsl.md §8, §12.7): CONCAT, UPPER, LOWER, TRIM, LEFT, RIGHT, LEN, CONTAINS, REPLACE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from dobo_engine.dsl import ast
from dobo_engine.dsl.functions.spec import (
    CompileContext,
    FunctionSpec,
    Need,
    TypeRule,
    arg_type,
    compiled_type,
    need_all,
)
from dobo_engine.dsl.polars_exprs import INT64_TARGET, PL_STRING, STRING_TARGET, lit
from dobo_engine.dsl.types import BOOLEAN, INTEGER, STRING, DslType


def _strings(count: int, result: DslType) -> TypeRule:
    """The first ``count`` arguments are strings; the result is ``result``."""

    def rule(args: Sequence[ast.Node], need: Need) -> DslType:
        need_all(args[:count], need, lambda t: t.kind == "string", "string")
        return result

    return rule


def _concat_type(args: Sequence[ast.Node], need: Need) -> DslType:
    need_all(args, need, lambda t: t.kind in ("string", "integer", "date"), "string, integer or date")
    return STRING


def _to_text(c: CompileContext, node: ast.Node) -> pl.Expr:
    t = compiled_type(node)
    if t.kind == "null":
        return lit(None, PL_STRING)
    expr = c.compile(node)
    if t.kind == "date":
        return expr.dt.to_string("%Y-%m-%d")
    return expr.cast(STRING_TARGET)  # integers as plain digits


def _concat(c: CompileContext, node: ast.Call) -> pl.Expr:
    return pl.concat_str([_to_text(c, a) for a in node.args], ignore_nulls=False)


def _upper(c: CompileContext, node: ast.Call) -> pl.Expr:
    return c.typed(node.args[0], STRING).str.to_uppercase()


def _lower(c: CompileContext, node: ast.Call) -> pl.Expr:
    return c.typed(node.args[0], STRING).str.to_lowercase()


def _trim(c: CompileContext, node: ast.Call) -> pl.Expr:
    return c.typed(node.args[0], STRING).str.strip_chars()


def _len(c: CompileContext, node: ast.Call) -> pl.Expr:
    return c.typed(node.args[0], STRING).str.len_chars().cast(INT64_TARGET)


def _left_type(args: Sequence[ast.Node], need: Need) -> DslType:
    need(0, arg_type(args[0]).is_vague or arg_type(args[0]).kind == "string", "string")
    need(1, arg_type(args[1]).is_vague or arg_type(args[1]).kind == "integer", "integer")
    return STRING


def _left(c: CompileContext, node: ast.Call) -> pl.Expr:
    s, n = c.typed(node.args[0], STRING), c.typed(node.args[1], INTEGER)
    # head(-1) drops a character; the language says NULL for n < 0 (§12.7).
    return pl.when(n >= 0).then(s.str.head(n)).otherwise(lit(None, PL_STRING))


def _right(c: CompileContext, node: ast.Call) -> pl.Expr:
    s, n = c.typed(node.args[0], STRING), c.typed(node.args[1], INTEGER)
    return pl.when(n >= 0).then(s.str.tail(n)).otherwise(lit(None, PL_STRING))


def _contains(c: CompileContext, node: ast.Call) -> pl.Expr:
    return c.typed(node.args[0], STRING).str.contains(c.typed(node.args[1], STRING), literal=True)


def _replace(c: CompileContext, node: ast.Call) -> pl.Expr:
    s_node, old_node, new_node = node.args
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
        text: str | None = row["s"]
        pattern: str | None = row["o"]
        value: str | None = row["n"]
        if text is None or pattern is None or value is None:
            return None
        return text if pattern == "" else text.replace(pattern, value)

    return pl.struct(s.alias("s"), old.alias("o"), new.alias("n")).map_elements(one, return_dtype=pl.Utf8)


SPECS = (
    FunctionSpec(
        "CONCAT",
        1,
        None,
        _concat_type,
        _concat,
        signature="CONCAT(a, …)",
        types="≥1 of string, integer or date → string",
        summary="the arguments joined into one string",
        nulls="NULL if any argument is NULL; integers as plain digits, dates as `YYYY-MM-DD`; "
        "decimal/boolean → TypeMismatch",
        example='CONCAT("JE-001", "/", 1)',
        example_result='"JE-001/1"',
        result=STRING,
    ),
    FunctionSpec(
        "UPPER",
        1,
        1,
        _strings(1, STRING),
        _upper,
        signature="UPPER(s)",
        types="string → string",
        summary="s in upper case",
        nulls="Unicode-aware (ß → SS)",
        example='UPPER("straße")',
        example_result='"STRASSE"',
        result=STRING,
    ),
    FunctionSpec(
        "LOWER",
        1,
        1,
        _strings(1, STRING),
        _lower,
        signature="LOWER(s)",
        types="string → string",
        summary="s in lower case",
        nulls="Unicode-aware",
        example='LOWER("EUR")',
        example_result='"eur"',
        result=STRING,
    ),
    FunctionSpec(
        "TRIM",
        1,
        1,
        _strings(1, STRING),
        _trim,
        signature="TRIM(s)",
        types="string → string",
        summary="s without leading and trailing whitespace",
        nulls="inner spaces kept",
        example='TRIM("  AR  - travel ")',
        example_result='"AR  - travel"',
        result=STRING,
    ),
    FunctionSpec(
        "LEFT",
        2,
        2,
        _left_type,
        _left,
        signature="LEFT(s, n)",
        types="string, integer → string",
        summary="the first n characters of s",
        nulls="n ≥ length → whole string; n < 0 → NULL",
        example='LEFT("Revenue", 3)',
        example_result='"Rev"',
        result=STRING,
    ),
    FunctionSpec(
        "RIGHT",
        2,
        2,
        _left_type,
        _right,
        signature="RIGHT(s, n)",
        types="string, integer → string",
        summary="the last n characters of s",
        nulls="n ≥ length → whole string; n < 0 → NULL",
        example='RIGHT("Revenue", 3)',
        example_result='"nue"',
        result=STRING,
    ),
    FunctionSpec(
        "LEN",
        1,
        1,
        _strings(1, INTEGER),
        _len,
        signature="LEN(s)",
        types="string → integer",
        summary="the length of s in Unicode characters",
        example='LEN("Straße")',
        example_result="6",
        result=INTEGER,
    ),
    FunctionSpec(
        "CONTAINS",
        2,
        2,
        _strings(2, BOOLEAN),
        _contains,
        signature="CONTAINS(s, sub)",
        types="string, string → boolean",
        summary="whether sub occurs in s (literal, case-sensitive)",
        nulls="empty sub → TRUE",
        example='CONTAINS("Product revenue", "revenue")',
        example_result="TRUE",
        result=BOOLEAN,
    ),
    FunctionSpec(
        "REPLACE",
        3,
        3,
        _strings(3, STRING),
        _replace,
        signature="REPLACE(s, old, new)",
        types="3 strings → string",
        summary="s with every literal occurrence of old replaced by new",
        nulls="empty old → s unchanged",
        example='REPLACE("AR - travel", " - ", "/")',
        example_result='"AR/travel"',
        result=STRING,
    ),
)
