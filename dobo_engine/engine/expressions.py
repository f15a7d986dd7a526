"""Compiling an operation's expressions in their scope (dsl.md §3).

Errors keep the DSL's position and caret and gain the operation's order and
a path such as `operations[order=2].parameters.assignments[0].expression`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from dobo_engine.dsl import CompiledExpression, compile_expression
from dobo_engine.dsl.scope import Scope
from dobo_engine.dsl.types import BOOLEAN
from dobo_engine.errors import DoboError, DoboErrors


def with_order(err: DoboError, order: int) -> DoboError:
    """The same error, located at operation `order`."""
    for inner in getattr(err, "errors", []):
        inner.location = replace(inner.location, operation_order=order)
    err.location = replace(err.location, operation_order=order)
    return err


@dataclass(frozen=True)
class OperationCompiler:
    """Compiles the expressions of one operation."""

    order: int
    selectors: dict[str, str]
    today: date

    def path(self, suffix: str) -> str:
        return f"operations[order={self.order}].{suffix}"

    def compile(self, text: str, scope: Scope, where: str, *, boolean: bool = False) -> CompiledExpression:
        try:
            return compile_expression(
                text, scope, selectors=self.selectors, expected=BOOLEAN if boolean else None, path=self.path(where)
            )
        except (DoboErrors, DoboError) as err:
            raise with_order(err, self.order) from None

    def condition(self, text: str | None, scope: Scope, where: str) -> pl.Expr:
        """A boolean selector as a filter mask: absent = every row, NULL = not selected (OP-SEL-1)."""
        if text is None:
            return pl.lit(True)
        return self.compile(text, scope, where, boolean=True).expr.fill_null(False)
