"""Token text → AST nodes: the literal and call rules of dsl.md §1-2.

Both parsers (the lark reference in parser.py and the recursive-descent fast
path in descent.py) build their nodes here, so a literal means the same thing
whichever parser read it. A rule that fails raises :class:`LiteralError`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from dobo_engine.dsl import ast
from dobo_engine.dsl.ast import Span
from dobo_engine.dsl.types import MAX_LITERAL_SCALE, MAX_PRECISION

INT64_MAX = 2**63 - 1
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class LiteralError(Exception):
    """A token that lexes but breaks a literal rule; parser.py reports it as a syntax error."""

    def __init__(self, message: str, span: Span, expected: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.expected = expected or []


def integer(text: str, span: Span) -> ast.Node:
    value = int(text)
    if value > INT64_MAX:
        raise LiteralError(f"integer literal {text} does not fit in a 64-bit integer", span)
    return ast.IntegerLit(value, span=span)


def decimal(text: str, span: Span) -> ast.Node:
    whole, frac = text.split(".")
    if len(frac) > MAX_LITERAL_SCALE:
        raise LiteralError(f"decimal literal {text} has {len(frac)} digits after the point (at most 18)", span)
    if len(whole.lstrip("0")) + len(frac) > MAX_PRECISION:
        raise LiteralError(f"decimal literal {text} has more than 38 digits", span)
    return ast.DecimalLit(Decimal(text), len(frac), span=span)


def string(text: str, span: Span) -> ast.Node:
    """``text`` includes its quotes; escapes are checked here so a bad one is reported where it is."""
    raw = text[1:-1]
    if "\\" not in raw:
        return ast.StringLit(raw, span=span)
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            nxt = raw[i + 1] if i + 1 < len(raw) else ""
            if nxt not in _ESCAPES:
                col = span.column + 1 + i
                where = Span(span.line, col, span.line, col + 2, span.start + 1 + i, span.start + 3 + i)
                raise LiteralError(f"unknown escape '\\{nxt}' in a string (allowed: \\\\ \\\" \\' \\n \\t \\r)", where)
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return ast.StringLit("".join(out), span=span)


def column(text: str, span: Span) -> ast.Node:
    return ast.Column(text, span=span)


def qualified_column(text: str, span: Span) -> ast.Node:
    qualifier, name = text.split(".")
    return ast.Column(name, qualifier, span=span)


def selector_ref(text: str, span: Span) -> ast.Node:
    return ast.SelectorRef(text[2:-2].strip(), span=span)


def call(name_text: str, args: tuple[ast.Node, ...], span: Span) -> ast.Node:
    """A call; ``DATE("…")`` is a date literal and ``NOT(x)`` the NOT operator (dsl.md §2)."""
    name = name_text.upper()
    if name == "DATE":
        return _date_literal(args, span)
    if name == "NOT" and len(args) == 1:
        return ast.Not(args[0], span=span)
    return ast.Call(name, args, span=span)


def _date_literal(args: tuple[ast.Node, ...], span: Span) -> ast.Node:
    if len(args) != 1 or not isinstance(args[0], ast.StringLit):
        where = args[0].span if args else span
        raise LiteralError('DATE needs one string literal "YYYY-MM-DD"', where, ["a string"])
    lit = args[0]
    try:
        if not _ISO_DATE.fullmatch(lit.value):
            raise ValueError
        value = date.fromisoformat(lit.value)
    except ValueError:
        raise LiteralError(f"invalid date {lit.value!r}: expected a valid date YYYY-MM-DD", lit.span) from None
    return ast.DateLit(value, span=span)


def merge(first: Span, last: Span) -> Span:
    """The span from the start of ``first`` to the end of ``last``."""
    return Span(first.line, first.column, last.end_line, last.end_column, first.start, last.end)
