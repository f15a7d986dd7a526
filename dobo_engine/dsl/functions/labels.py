"""Row labels (dsl.md §8): LABEL("key") reads a label the engine set on the row."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from dobo_engine.dsl import ast
from dobo_engine.dsl.functions.spec import CompileContext, FunctionSpec, Need
from dobo_engine.dsl.polars_exprs import PL_STRING, col, lit
from dobo_engine.dsl.types import STRING, DslType


def _label_type(args: Sequence[ast.Node], need: Need) -> DslType:
    need(0, isinstance(args[0], ast.StringLit), "a string literal (the label key)")
    return STRING


def _label(c: CompileContext, node: ast.Call) -> pl.Expr:
    key = node.args[0]
    assert isinstance(key, ast.StringLit), "LABEL takes a string literal (checked)"
    if c.labels_column is None:
        return lit(None, PL_STRING)
    element = pl.element()
    values = col(c.labels_column).list.eval(
        element.filter(element.struct.field("key") == key.value).struct.field("value")
    )
    return values.list.first()


SPECS = (
    FunctionSpec(
        "LABEL",
        1,
        1,
        _label_type,
        _label,
        signature='LABEL("key")',
        types="string literal → string",
        summary="the row's value of the label key",
        nulls="NULL if the label is not set; not allowed in a Resolver rule's when",
        example='LABEL("review")',
        example_result='"pending"',
        result=STRING,
    ),
)
