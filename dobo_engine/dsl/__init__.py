"""dobo's expression language (dsl.md): text → AST → resolved, typed AST → Polars.

Public API (other packages use only these names):

- ``parse(text, *, path=None) -> Node``: the AST; raises ``ExpressionSyntaxError``.
- ``compile_expression(text, scope, *, selectors=None, expected=None, path=None)
  -> CompiledExpression`` (``.expr``, ``.dtype``, ``.ast``, ``.references``);
  raises ``DoboErrors`` holding every error found. ``expected``: the context's
  type (``BOOLEAN`` for selectors/``on``, the target column's type for an
  assignment); the result is converted to it as a store does (D35).
- ``check_expression(...) -> (dtype, errors, references)``: the same checks,
  never raises (the validator, V-3).
- ``Scope``, ``ColumnBinding``, ``ColumnDef``, ``build_scope``: what names mean.
- ``is_storable(value_type, target_type)``, ``common_type(*types)``, ``DslType``.
- ``evaluate_when(text, ResolutionContext) -> bool | None``, ``check_when(text)``.
- ``pretty(node) -> str``: canonical text that re-parses to the same AST.
- ``collect(lazy_frame)`` / ``overflow_guard()``: run a query and map overflow to
  ``NumericOverflow``, the only run-time expression error.

The functions an expression may call are declared once, in the registry
``dobo_engine.dsl.functions`` (reference: docs/dsl-functions.md).

The whole pipeline on one expression: parse, check, compile, run on a frame.

>>> from decimal import Decimal
>>> import polars as pl
>>> from dobo_engine.dsl import build_scope, compile_expression, parse, pretty
>>> pretty(parse("round( amount*1.05 ,2 )"))
'ROUND(amount * 1.05, 2)'
>>> scope = build_scope([("amount", "decimal"), ("currency", "string")], context="assignment")
>>> compiled = compile_expression("ROUND(amount * 1.05, 2)", scope)
>>> str(compiled.dtype), sorted(compiled.references, key=str)
('decimal(38,2)', [(None, 'amount')])
>>> frame = pl.DataFrame(
...     {"amount": [Decimal("100.00"), Decimal("-2.50"), None]}, schema={"amount": pl.Decimal(38, 6)}
... )
>>> frame.select(compiled.expr.alias("result"))["result"].to_list()
[Decimal('105.00'), Decimal('-2.63'), None]
"""

from __future__ import annotations

from collections.abc import Mapping

from dobo_engine.dsl.ast import Node
from dobo_engine.dsl.parser import parse
from dobo_engine.dsl.pipeline import CompiledExpression, run_check, run_compile
from dobo_engine.dsl.pretty import pretty
from dobo_engine.dsl.runtime import collect, overflow_guard
from dobo_engine.dsl.scope import ColumnBinding, ColumnDef, Scope, build_scope, resolver_when_scope
from dobo_engine.dsl.types import (
    BOOLEAN,
    DATE,
    INTEGER,
    NULL,
    STRING,
    TIMESTAMP,
    UNKNOWN,
    DslType,
    common_type,
    decimal,
    is_storable,
)
from dobo_engine.dsl.when import ResolutionContext, check_when, evaluate_when
from dobo_engine.errors import DoboError


def compile_expression(
    text: str,
    scope: Scope,
    *,
    selectors: Mapping[str, str] | None = None,
    expected: DslType | None = None,
    path: str | None = None,
) -> CompiledExpression:
    """Parse, resolve, type-check and compile one expression (raises ``DoboErrors``).

    >>> import polars as pl
    >>> scope = build_scope([("currency", "string"), ("line_number", "integer")])
    >>> selector = compile_expression('currency = "EUR" AND line_number > 1', scope, expected=BOOLEAN)
    >>> str(selector.dtype)
    'boolean'
    >>> frame = pl.DataFrame({"currency": ["EUR", "EUR", None], "line_number": [1, 2, 2]})
    >>> frame.select(selector.expr.alias("hit"))["hit"].to_list()
    [False, True, None]
    >>> compile_expression("SUM(line_number) > 0", scope)
    Traceback (most recent call last):
    ...
    dobo_engine.errors.DoboErrors: ...aggregate SUM is not allowed in a selector...
    """
    return run_compile(text, scope, selectors=selectors, expected=expected, path=path)


def check_expression(
    text: str,
    scope: Scope,
    *,
    selectors: Mapping[str, str] | None = None,
    expected: DslType | None = None,
    path: str | None = None,
) -> tuple[DslType, list[DoboError], set[tuple[str | None, str]]]:
    """Check without raising: (type — unknown if it failed, errors, columns read).

    >>> scope = build_scope([("amount", "decimal")], context="assignment")
    >>> dtype, errors, references = check_expression('amount + "100"', scope)
    >>> str(dtype), [error.code for error in errors], references
    ('unknown', ['TypeMismatch'], {(None, 'amount')})
    >>> print(errors[0].render())
    TypeMismatch at line 1, column 10: operator + expects integer or decimal, got string
      amount + "100"
               ^^^^^
    """
    result = run_check(text, scope, selectors=selectors, expected=expected, path=path)
    return result.dtype, result.errors, result.references


__all__ = [
    "BOOLEAN",
    "DATE",
    "INTEGER",
    "NULL",
    "STRING",
    "TIMESTAMP",
    "UNKNOWN",
    "ColumnBinding",
    "ColumnDef",
    "CompiledExpression",
    "DslType",
    "Node",
    "ResolutionContext",
    "Scope",
    "build_scope",
    "check_expression",
    "check_when",
    "collect",
    "common_type",
    "compile_expression",
    "decimal",
    "evaluate_when",
    "is_storable",
    "overflow_guard",
    "parse",
    "pretty",
    "resolver_when_scope",
]
