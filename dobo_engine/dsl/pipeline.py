"""The stages in order: parse → substitute selectors → check (binding names) → compile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import polars as pl

from dobo_engine.dsl import ast
from dobo_engine.dsl.compiler import Compiler, coerce
from dobo_engine.dsl.errors import ExpressionSyntaxError, Reporter
from dobo_engine.dsl.parser import parse
from dobo_engine.dsl.resolve import substitute_selectors
from dobo_engine.dsl.scope import Scope
from dobo_engine.dsl.typecheck import Checker
from dobo_engine.dsl.types import UNKNOWN, DslType
from dobo_engine.errors import DoboError, DoboErrors


@dataclass(frozen=True)
class CheckResult:
    ast: ast.Node | None  # typed tree; None when the text does not parse
    dtype: DslType
    errors: list[DoboError]
    references: set[tuple[str | None, str]] = field(default_factory=set)


@dataclass(frozen=True)
class CompiledExpression:
    """A checked expression: its Polars form, type, typed AST and the columns it reads.

    ``references`` holds (qualifier, column) as written, qualifier None for a
    bare name; the engine uses it to know which lookups to join (LK-5).
    """

    expr: pl.Expr
    dtype: DslType
    ast: ast.Node
    references: set[tuple[str | None, str]]


def run_check(
    text: str,
    scope: Scope,
    *,
    selectors: Mapping[str, str] | None = None,
    expected: DslType | None = None,
    path: str | None = None,
) -> CheckResult:
    try:
        tree = parse(text, path=path)
    except ExpressionSyntaxError as err:
        return CheckResult(None, UNKNOWN, [err])
    reporter = Reporter(text, path)
    if "{{" in text:  # every {{NAME}} contains "{{": without one there is nothing to substitute
        tree = substitute_selectors(tree, selectors or {}, reporter)
    checker = Checker(scope, reporter)
    typed = checker.check(tree, expected)
    return CheckResult(typed, typed.dtype or UNKNOWN, sorted(reporter.errors, key=_position), checker.references)


def _position(err: DoboError) -> tuple[int, int, int, int]:
    """Errors in source order; one inside a named selector sorts at its use site,
    then by where it is in the selector."""
    here = (err.location.line or 0, err.location.column or 0)
    site = getattr(err, "use_site", None)
    if site:
        return site["line"], site["column"], *here
    return *here, 0, 0


def run_compile(
    text: str,
    scope: Scope,
    *,
    selectors: Mapping[str, str] | None = None,
    expected: DslType | None = None,
    path: str | None = None,
) -> CompiledExpression:
    result = run_check(text, scope, selectors=selectors, expected=expected, path=path)
    if result.errors:
        raise DoboErrors(result.errors)
    assert result.ast is not None
    compiler = Compiler(context=scope.context, today=scope.today, labels_column=scope.labels_column)
    expr = compiler.compile(result.ast)
    dtype = result.dtype
    if expected is not None and not expected.is_vague and expected != dtype:
        # Storing converts: integer → decimal, date → timestamp, decimal rescaled half-even (D35).
        expr = coerce(expr, dtype, expected).cast(expected.to_polars())
        dtype = expected
    elif dtype.kind == "null":
        expr = pl.lit(None)
    return CompiledExpression(expr, dtype, result.ast, result.references)
