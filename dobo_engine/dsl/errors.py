"""Compile-time errors of the expression language (dsl.md §10).

Each subclasses the catalogue class of its code, so callers may catch
``dobo_engine.errors.TypeMismatch`` and get these too. Every error knows the
expression text, its path and the offending span, and renders the one-line
message followed by a caret excerpt::

    ExpressionSyntaxError at line 1, column 24: expected an operand after 'AND'
      amount_local > 1000 AND
                             ^
"""

from __future__ import annotations

from typing import Any

from dobo_engine import errors as catalogue
from dobo_engine.dsl.ast import Span
from dobo_engine.errors import DoboError, Location


def caret_excerpt(text: str, span: Span) -> str:
    """The source line of ``span`` and a caret line under its first character."""
    lines = text.split("\n") or [""]
    index = min(max(span.line, 1), len(lines)) - 1
    line = lines[index].replace("\t", " ").rstrip("\r")
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    return f"  {line}\n  {' ' * (span.column - 1)}{'^' * min(width, max(1, len(line) - span.column + 2))}"


def distance(a: str, b: str) -> int:
    """Levenshtein distance (suggestions for misspelt names)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def closest(name: str, candidates: list[str], *, fold: bool = False, limit: int = 2) -> str | None:
    """The candidate nearest to ``name`` within edit distance ``limit``, if any."""
    best: tuple[int, str] | None = None
    for candidate in candidates:
        d = distance(name.upper(), candidate.upper()) if fold else distance(name, candidate)
        if d <= limit and (best is None or (d, candidate) < best):
            best = (d, candidate)
    return best[1] if best else None


class ExpressionError(DoboError):
    """Base of the positioned DSL errors; the code comes from the catalogue class."""

    def __init__(
        self,
        message: str,
        *,
        expression: str,
        span: Span,
        path: str | None = None,
        use_site: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
        rule: str | None = None,
    ) -> None:
        self.expression = expression
        self.span = span
        self.use_site = use_site
        data = dict(payload or {})
        data.update(expression=expression, end_line=span.end_line, end_column=span.end_column)
        if use_site:
            data["use_site"] = use_site
        super().__init__(
            message,
            detail=caret_excerpt(expression, span),
            location=Location(path=path, line=span.line, column=span.column),
            rule=rule,
            payload=data,
        )

    def render(self) -> str:
        if not hasattr(self, "span"):
            return super().render()
        head = f"{self.location.path}: " if self.location.path else ""
        text = f"{head}{self.code} at line {self.span.line}, column {self.span.column}: {self.message}"
        text += f"\n{self.detail}"
        if self.use_site:
            site = self.use_site
            where = f"{site['path']}: " if site.get("path") else ""
            text += f"\n  (used at {where}line {site['line']}, column {site['column']})"
        return text


class ExpressionSyntaxError(ExpressionError, catalogue.ExpressionSyntaxError):
    """Payload ``expected``: the tokens that would have been accepted."""


class UnresolvedColumnRef(ExpressionError, catalogue.UnresolvedColumnRef):
    """Payload ``reference``, ``in_scope`` and ``closest``."""


class TypeMismatch(ExpressionError, catalogue.TypeMismatch):
    """Payload ``expected``, ``actual``, ``where``."""


class UnknownFunction(ExpressionError, catalogue.UnknownFunction):
    """Payload ``function`` and ``suggestion``."""


class WrongArity(ExpressionError, catalogue.WrongArity):
    """Payload ``function``, ``expected`` (e.g. ``2`` or ``≥2``), ``actual``."""


class AggregateNotAllowed(ExpressionError, catalogue.AggregateNotAllowed):
    """Payload ``function``, ``context``."""


class AggregateRequired(ExpressionError, catalogue.AggregateRequired):
    """Payload ``reference`` (the bare column, or the whole expression)."""


class UnresolvedSelectorRef(ExpressionError, catalogue.UnresolvedSelectorRef):
    """Payload ``name``, ``available``."""


class SelectorCycle(ExpressionError, catalogue.SelectorCycle):
    """Payload ``selector``, ``reference``."""


class FunctionNotAllowed(ExpressionError, catalogue.FunctionNotAllowed):
    """Payload ``function``, ``context``."""


NumericOverflow = catalogue.NumericOverflow  # the one run-time error (§10, §12.4)


class Reporter:
    """Collects errors for one expression; knows which source text a node belongs to.

    Nodes inside a substituted named selector point into the selector's own
    text; :meth:`enter_selector` switches to it and records the use site.
    """

    def __init__(self, expression: str, path: str | None) -> None:
        self.expression = expression
        self.path = path
        self.errors: list[DoboError] = []
        self._stack: list[tuple[str, str | None, dict[str, Any] | None]] = []

    def enter_selector(self, source: str, path: str | None, use_span: Span) -> None:
        site = {"path": self.path, "line": use_span.line, "column": use_span.column, "expression": self.expression}
        self._stack.append((source, path, site))

    def leave_selector(self) -> None:
        self._stack.pop()

    def add(self, cls: type[ExpressionError], message: str, span: Span, **payload: Any) -> None:
        source, path, site = self._stack[-1] if self._stack else (self.expression, self.path, None)
        self.errors.append(cls(message, expression=source, span=span, path=path, use_site=site, payload=payload))
