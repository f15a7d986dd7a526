"""The stages in order: parse → substitute selectors → check (binding names) → compile.

>>> from dobo_engine.dsl.scope import build_scope
>>> scope = build_scope([("amount", "decimal")], context="assignment")
>>> checked = run_check("amount * 2 > 100", scope)
>>> type(checked.ast).__name__, str(checked.dtype), checked.errors
('Binary', 'boolean', [])
>>> str(run_compile("amount / 3", scope).dtype)
'decimal(38,6)'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from dobo_engine.dsl import ast
from dobo_engine.dsl.compiler import Compiler
from dobo_engine.dsl.errors import ExpressionSyntaxError, Reporter
from dobo_engine.dsl.parser import parse
from dobo_engine.dsl.polars_exprs import coerce
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
    """Parse, substitute ``{{NAME}}`` selectors and type-check; never raises.

    Every error found is in ``errors``, in source order; the typed tree is
    ``ast`` (None when the text does not parse).

    >>> from dobo_engine.dsl.scope import build_scope
    >>> scope = build_scope([("amount", "decimal")])
    >>> result = run_check("{{BIG}} AND IS_NULL(amount)", scope, selectors={"BIG": "amount > 1000"})
    >>> str(result.dtype), [error.code for error in result.errors]
    ('boolean', ['UnknownFunction'])
    >>> print(result.errors[0].render())
    UnknownFunction at line 1, column 13: unknown function IS_NULL; did you mean ISNULL?
      {{BIG}} AND IS_NULL(amount)
                  ^^^^^^^
    """
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
    """:func:`run_check`, then the Polars expression; raises ``DoboErrors`` on any error.

    With ``expected`` the result is converted as a store into that type does (D35).

    >>> import polars as pl
    >>> from dobo_engine.dsl.scope import build_scope
    >>> from dobo_engine.dsl.types import decimal
    >>> scope = build_scope([("line_number", "integer")], context="assignment")
    >>> compiled = run_compile("line_number / 3", scope, expected=decimal(2))
    >>> str(compiled.dtype)
    'decimal(38,2)'
    >>> pl.DataFrame({"line_number": [1, 2]}).select(compiled.expr)["line_number"].to_list()
    [Decimal('0.33'), Decimal('0.67')]
    """
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
