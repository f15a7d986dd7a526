"""Resolver rule ``when`` expressions (RES-1..3, D31).

Only ``period.identifier``, ``period.level``, ``period.start_date``,
``period.end_date`` and ``table.name`` are in scope; TODAY(), LABEL() and
aggregates are ``FunctionNotAllowed``. Evaluation runs the compiled
expression on a one-row frame; NULL is returned as None (the caller counts
it as false, RES-2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from dobo_engine.dsl.pipeline import run_check, run_compile
from dobo_engine.dsl.runtime import overflow_guard
from dobo_engine.dsl.scope import resolver_when_scope
from dobo_engine.dsl.types import BOOLEAN
from dobo_engine.errors import DoboError


@dataclass(frozen=True)
class ResolutionContext:
    """What a Resolver rule can see: the Period being resolved and the table."""

    period_identifier: str
    period_level: str
    period_start_date: date
    period_end_date: date
    table_name: str

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "period.identifier": [self.period_identifier],
                "period.level": [self.period_level],
                "period.start_date": [self.period_start_date],
                "period.end_date": [self.period_end_date],
                "table.name": [self.table_name],
            },
            schema={
                "period.identifier": pl.Utf8,
                "period.level": pl.Utf8,
                "period.start_date": pl.Date,
                "period.end_date": pl.Date,
                "table.name": pl.Utf8,
            },
        )


def check_when(text: str, *, path: str | None = None) -> list[DoboError]:
    """Every error of a ``when`` (must be boolean, context variables only)."""
    return run_check(text, resolver_when_scope(), expected=BOOLEAN, path=path).errors


def evaluate_when(text: str, context: ResolutionContext, *, path: str | None = None) -> bool | None:
    """The value of ``when`` for one Period and table; None for NULL. Raises DoboErrors."""
    compiled = run_compile(text, resolver_when_scope(), expected=BOOLEAN, path=path)
    with overflow_guard(path or "when"):
        value = context.frame().select(compiled.expr.alias("when")).item()
    return None if value is None else bool(value)
