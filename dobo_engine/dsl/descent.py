"""The parser's fast path: a tokenizer and recursive-descent parser for grammar.lark.

It reads the well-formed expressions and builds the same AST, with the same
spans, as the lark parser, several times faster. Anything else (a syntax
error, a literal error, or a form it leaves to the grammar, such as a keyword
the grammar would read as a column name) raises :class:`NotHandled`;
:func:`dobo_engine.dsl.parser.parse` then asks lark, whose answer, tree or
error, is the definition. tests/dsl/test_parser_equivalence.py checks the two
agree.

One method per grammar rule, loosest first (dsl.md §2): or, and, not,
comparison (non-chaining), + -, * /, unary -, atom.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from typing import cast

from dobo_engine.dsl import ast, literals
from dobo_engine.dsl.ast import Span


class NotHandled(Exception):
    """The fast path does not take this text; the lark grammar decides."""


# The grammar's terminals in lark's matching order (priority, then width); the
# last alternative catches any character the grammar has no terminal for.
_TOKEN = re.compile(
    r"[ \t\r\n]*(?:"
    + "|".join(
        [
            r"(?P<QNAME>[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)",
            r"(?P<NOT_CALL>(?i:NOT)(?=\s*\())",
            r"(?P<KEYWORD>(?i:FALSE|TRUE|NULL|AND|NOT|OR)\b)",
            r"(?P<DECIMAL>[0-9]+\.[0-9]+)",
            r"""(?P<STRING>"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')""",
            r"(?P<SELECTOR_REF>\{\{[ \t]*[A-Za-z][A-Za-z0-9_]*[ \t]*\}\})",
            r"(?P<NAME>[A-Za-z_][A-Za-z0-9_]*)",
            r"(?P<INT>[0-9]+)",
            r"(?P<CMP><=|>=|<>|=|<|>)",
            r"(?P<PUNCT>[-+*/(),])",
            r"(?P<OTHER>.)",
        ]
    )
    + ")"
)
_END = "END"
_CALL_NAMES = frozenset({"NAME", "AND", "OR", "NOT_CALL"})


def parse(text: str) -> ast.Node:
    """The AST of ``text``, or :class:`NotHandled`."""
    try:
        parser = _Parser(text)
        node = parser.or_expr()
    except (literals.LiteralError, RecursionError):
        raise NotHandled from None
    if parser.kinds[parser.i] != _END:
        raise NotHandled
    return node


class _Parser:
    __slots__ = ("i", "kinds", "line_starts", "matches", "values")

    def __init__(self, text: str) -> None:
        # Whitespace is matched as the prefix of the next token; trailing whitespace has none.
        matches = list(_TOKEN.finditer(text.rstrip(" \t\r\n")))
        # Every alternative of _TOKEN is a named group, so each match has a lastgroup.
        groups = cast("list[str]", [m.lastgroup for m in matches])
        if "OTHER" in groups:
            raise NotHandled
        values = [m[g] for m, g in zip(matches, groups, strict=True)]
        kinds = [v.upper() if g == "KEYWORD" else v if g == "PUNCT" else g for g, v in zip(groups, values, strict=True)]
        kinds.append(_END)
        self.kinds, self.values, self.matches = kinds, values, matches
        # Line starts only when there is more than one line; most expressions have one.
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)] if "\n" in text else None
        self.i = 0

    # -- tokens -----------------------------------------------------------------
    def span(self, k: int) -> Span:
        """The span of token ``k``."""
        line, column, start = self.position(k)
        end = self.matches[k].end()
        return Span(line, column, line, column + end - start, start, end)

    def span_from(self, k: int, last: Span) -> Span:
        """From the start of token ``k`` to the end of ``last``."""
        line, column, start = self.position(k)
        return Span(line, column, last.end_line, last.end_column, start, last.end)

    def position(self, k: int) -> tuple[int, int, int]:
        """Line, column (1-based) and offset where token ``k`` starts."""
        start = self.matches[k].end() - len(self.values[k])
        if self.line_starts is None:
            return 1, start + 1, start
        line = bisect_right(self.line_starts, start)
        return line, start - self.line_starts[line - 1] + 1, start

    def take(self, kind: str) -> int:
        k = self.i
        if self.kinds[k] != kind:
            raise NotHandled
        self.i = k + 1
        return k

    # -- rules, loosest first ---------------------------------------------------
    def or_expr(self) -> ast.Node:
        left = self.and_expr()
        while self.kinds[self.i] == "OR":
            self.i += 1
            right = self.and_expr()
            left = ast.Binary("OR", left, right, span=literals.merge(left.span, right.span))
        return left

    def and_expr(self) -> ast.Node:
        left = self.not_expr()
        while self.kinds[self.i] == "AND":
            self.i += 1
            right = self.not_expr()
            left = ast.Binary("AND", left, right, span=literals.merge(left.span, right.span))
        return left

    def not_expr(self) -> ast.Node:
        if self.kinds[self.i] != "NOT":
            return self.cmp_expr()
        k = self.i
        self.i += 1
        operand = self.not_expr()
        return ast.Not(operand, span=self.span_from(k, operand.span))

    def cmp_expr(self) -> ast.Node:
        left = self.sum_expr()
        if self.kinds[self.i] != "CMP":
            return left
        op = self.values[self.i]
        self.i += 1
        right = self.sum_expr()
        if self.kinds[self.i] == "CMP":
            raise NotHandled  # comparisons do not chain; the grammar explains
        return ast.Binary(op, left, right, span=literals.merge(left.span, right.span))

    def sum_expr(self) -> ast.Node:
        left = self.product()
        while self.kinds[self.i] in ("+", "-"):
            op = self.kinds[self.i]
            self.i += 1
            right = self.product()
            left = ast.Binary(op, left, right, span=literals.merge(left.span, right.span))
        return left

    def product(self) -> ast.Node:
        left = self.unary()
        while self.kinds[self.i] in ("*", "/"):
            op = self.kinds[self.i]
            self.i += 1
            right = self.unary()
            left = ast.Binary(op, left, right, span=literals.merge(left.span, right.span))
        return left

    def unary(self) -> ast.Node:
        if self.kinds[self.i] != "-":
            return self.atom()
        k = self.i
        self.i += 1
        operand = self.unary()
        return ast.Negate(operand, span=self.span_from(k, operand.span))

    def atom(self) -> ast.Node:
        k = self.i
        kind = self.kinds[k]
        if kind in _CALL_NAMES and self.kinds[k + 1] == "(":
            return self.call(k)
        if kind == "(":
            self.i += 1
            inner = self.or_expr()
            close = self.take(")")
            return ast.evolve(inner, span=self.span_from(k, self.span(close)))
        build = _LEAVES.get(kind)
        if build is None:
            raise NotHandled  # e.g. AND without '(', or NOT where the grammar reads a name
        self.i += 1
        return build(self.values[k], self.span(k))

    def call(self, k: int) -> ast.Node:
        self.i = k + 2
        args: list[ast.Node] = []
        if self.kinds[self.i] != ")":
            args.append(self.or_expr())
            while self.kinds[self.i] == ",":
                self.i += 1
                args.append(self.or_expr())
        close = self.take(")")
        return literals.call(self.values[k], tuple(args), self.span_from(k, self.span(close)))


_LEAVES: dict[str, Callable[[str, Span], ast.Node]] = {
    "INT": literals.integer,
    "DECIMAL": literals.decimal,
    "STRING": literals.string,
    "NAME": literals.column,
    "QNAME": literals.qualified_column,
    "SELECTOR_REF": literals.selector_ref,
    "TRUE": lambda _, span: ast.BoolLit(True, span=span),
    "FALSE": lambda _, span: ast.BoolLit(False, span=span),
    "NULL": lambda _, span: ast.NullLit(span=span),
}
