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
"""

from __future__ import annotations

from typing import Mapping

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
    """Parse, resolve, type-check and compile one expression (raises ``DoboErrors``)."""
    return run_compile(text, scope, selectors=selectors, expected=expected, path=path)


def check_expression(
    text: str,
    scope: Scope,
    *,
    selectors: Mapping[str, str] | None = None,
    expected: DslType | None = None,
    path: str | None = None,
) -> tuple[DslType, list[DoboError], set[tuple[str | None, str]]]:
    """Check without raising: (type — unknown if it failed, errors, columns read)."""
    result = run_check(text, scope, selectors=selectors, expected=expected, path=path)
    return result.dtype, result.errors, result.references


__all__ = [
    "BOOLEAN", "DATE", "INTEGER", "NULL", "STRING", "TIMESTAMP", "UNKNOWN",
    "ColumnBinding", "ColumnDef", "CompiledExpression", "DslType", "Node", "ResolutionContext", "Scope",
    "build_scope", "check_expression", "check_when", "collect", "common_type", "compile_expression",
    "decimal", "evaluate_when", "is_storable", "overflow_guard", "parse", "pretty", "resolver_when_scope",
]
