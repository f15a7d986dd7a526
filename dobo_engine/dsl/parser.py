"""Text → AST: the lark grammar, literal validation and readable syntax errors (dsl.md §1-2)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from dobo_engine.dsl import ast
from dobo_engine.dsl.ast import Span
from dobo_engine.dsl.errors import ExpressionSyntaxError
from dobo_engine.dsl.types import MAX_LITERAL_SCALE, MAX_PRECISION

INT64_MAX = 2**63 - 1
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# Terminal names as a user would read them in "expected ..." lists.
_DESCRIBE = {
    "INT": "a number", "DECIMAL": "a number", "STRING": "a string", "NAME": "a column name",
    "QNAME": "a column name", "SELECTOR_REF": "{{NAME}}", "TRUE": "TRUE", "FALSE": "FALSE",
    "NULL": "NULL", "NOT": "NOT", "NOT_CALL": "NOT", "AND": "AND", "OR": "OR", "LPAR": "'('",
    "RPAR": "')'", "COMMA": "','", "COMP_OP": "a comparison", "PLUS": "'+'", "MINUS": "'-'",
    "STAR": "'*'", "SLASH": "'/'", "$END": "the end of the expression",
}
_OPERAND_STARTS = {"INT", "DECIMAL", "STRING", "NAME", "QNAME", "SELECTOR_REF", "LPAR"}


class _ParseFailure(Exception):
    """Raised inside transformer callbacks; turned into ExpressionSyntaxError by parse()."""

    def __init__(self, message: str, span: Span, expected: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.expected = expected or []


def _tspan(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column, tok.start_pos, tok.end_pos)


def _span(item: Any) -> Span:
    return _tspan(item) if isinstance(item, Token) else item.span


def _merge(first: Any, last: Any) -> Span:
    a, b = _span(first), _span(last)
    return Span(a.line, a.column, b.end_line, b.end_column, a.start, b.end)


def _unescape(tok: Token) -> str:
    raw = str(tok)[1:-1]
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            nxt = raw[i + 1] if i + 1 < len(raw) else ""
            if nxt not in _ESCAPES:
                col = tok.column + 1 + i
                where = Span(tok.line, col, tok.line, col + 2, tok.start_pos + 1 + i, tok.start_pos + 3 + i)
                raise _ParseFailure(
                    f"unknown escape '\\{nxt}' in a string (allowed: \\\\ \\\" \\' \\n \\t \\r)", where
                )
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class _ToAst(Transformer):  # type: ignore[type-arg]
    """Lark callbacks building AST nodes; runs inside the LALR parser (no parse tree)."""

    def integer(self, children: list[Token]) -> ast.Node:
        (tok,) = children
        value = int(tok)
        if value > INT64_MAX:
            raise _ParseFailure(f"integer literal {tok} does not fit in a 64-bit integer", _tspan(tok))
        return ast.IntegerLit(value, span=_tspan(tok))

    def decimal(self, children: list[Token]) -> ast.Node:
        (tok,) = children
        whole, frac = str(tok).split(".")
        if len(frac) > MAX_LITERAL_SCALE:
            raise _ParseFailure(f"decimal literal {tok} has {len(frac)} digits after the point (at most 18)", _tspan(tok))
        if len(whole.lstrip("0")) + len(frac) > MAX_PRECISION:
            raise _ParseFailure(f"decimal literal {tok} has more than 38 digits", _tspan(tok))
        return ast.DecimalLit(Decimal(str(tok)), len(frac), span=_tspan(tok))

    def string(self, children: list[Token]) -> ast.Node:
        (tok,) = children
        return ast.StringLit(_unescape(tok), span=_tspan(tok))

    def true(self, children: list[Token]) -> ast.Node:
        return ast.BoolLit(True, span=_tspan(children[0]))

    def false(self, children: list[Token]) -> ast.Node:
        return ast.BoolLit(False, span=_tspan(children[0]))

    def null(self, children: list[Token]) -> ast.Node:
        return ast.NullLit(span=_tspan(children[0]))

    def column(self, children: list[Token]) -> ast.Node:
        return ast.Column(str(children[0]), span=_tspan(children[0]))

    def qcolumn(self, children: list[Token]) -> ast.Node:
        qualifier, name = str(children[0]).split(".")
        return ast.Column(name, qualifier, span=_tspan(children[0]))

    def selector_ref(self, children: list[Token]) -> ast.Node:
        return ast.SelectorRef(str(children[0])[2:-2].strip(), span=_tspan(children[0]))

    def paren(self, children: list[Any]) -> ast.Node:
        node: ast.Node = children[1]
        return _with_span(node, _merge(children[0], children[2]))

    def negate(self, children: list[Any]) -> ast.Node:
        return ast.Negate(children[1], span=_merge(children[0], children[1]))

    def not_op(self, children: list[Any]) -> ast.Node:
        return ast.Not(children[1], span=_merge(children[0], children[1]))

    def binary(self, children: list[Any]) -> ast.Node:
        left, op, right = children
        return ast.Binary(str(op), left, right, span=_merge(left, right))

    def logical(self, children: list[Any]) -> ast.Node:
        left, op, right = children
        return ast.Binary(str(op).upper(), left, right, span=_merge(left, right))

    def args(self, children: list[Any]) -> tuple[ast.Node, ...]:
        return tuple(c for c in children if not isinstance(c, Token))

    def call(self, children: list[Any]) -> ast.Node:
        name_tok, _, args, rpar = children
        name = str(name_tok).upper()
        args = args or ()
        span = _merge(name_tok, rpar)
        if name == "DATE":
            return _date_literal(args, span)
        if name == "NOT" and len(args) == 1:
            return ast.Not(args[0], span=span)
        return ast.Call(name, args, span=span)


def _with_span(node: ast.Node, span: Span) -> ast.Node:
    from dataclasses import replace

    return replace(node, span=span)


def _date_literal(args: tuple[ast.Node, ...], span: Span) -> ast.Node:
    if len(args) != 1 or not isinstance(args[0], ast.StringLit):
        where = args[0].span if args else span
        raise _ParseFailure('DATE needs one string literal "YYYY-MM-DD"', where, ["a string"])
    lit = args[0]
    try:
        if not _ISO_DATE.fullmatch(lit.value):
            raise ValueError
        value = date.fromisoformat(lit.value)
    except ValueError:
        raise _ParseFailure(f"invalid date {lit.value!r}: expected a valid date YYYY-MM-DD", lit.span) from None
    return ast.DateLit(value, span=span)


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = (Path(__file__).parent / "grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", transformer=_ToAst(), maybe_placeholders=True)


# Parsed trees by text. ASTs are immutable, so one tree can serve every use of the
# same text (the validator and the engine, a named selector at each use site).
_CACHE: dict[str, ast.Node] = {}
_CACHE_SIZE = 4096


def clear_cache() -> None:
    _CACHE.clear()


def parse(text: str, *, path: str | None = None) -> ast.Node:
    """Parse one expression; raises :class:`ExpressionSyntaxError` (one error)."""
    cached = _CACHE.get(text)
    if cached is not None:
        return cached
    try:
        node: ast.Node = _lark().parse(text)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[text] = node
        return node
    except _ParseFailure as failure:
        raise ExpressionSyntaxError(
            failure.message, expression=text, span=failure.span, path=path, payload={"expected": failure.expected}
        ) from None
    except UnexpectedInput as err:
        message, span, expected = _explain(text, err)
        raise ExpressionSyntaxError(
            message, expression=text, span=span, path=path, payload={"expected": expected}
        ) from None


def _point(text: str, pos: int) -> Span:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return Span(line, column, line, column + 1, pos, pos + 1)


def _previous_token(text: str, pos: int) -> str:
    before = text[:pos].rstrip()
    match = re.search(r"([A-Za-z0-9_.]+|\{\{[^}]*\}\}|\"[^\"]*\"|'[^']*'|<=|>=|<>|.)$", before)
    return match.group(1) if match else ""


def _expected(names: set[str]) -> list[str]:
    return sorted({_DESCRIBE.get(n, n) for n in names})


def _explain(text: str, err: UnexpectedInput) -> tuple[str, Span, list[str]]:
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream
        span = _point(text, pos)
        expected = _expected(set(err.allowed or ()))
        ch, pair = text[pos], text[pos : pos + 2]
        if pair == "!=":
            return "'!=' is not an operator; use '<>' for 'not equal'", _widen(span, 2), expected
        if ch in "\"'":
            return "missing closing quote (strings cannot span lines)", span, expected
        hints = {
            "&": "'&' is not an operator; use CONCAT(a, b) or AND",
            "%": "'%' is not an operator; use MOD(a, b)",
            "[": "'[' is not part of the language: write qualifier.column",
            "]": "']' is not part of the language",
            "`": "quoted identifiers are not supported",
            "{": "a selector reference is written {{NAME}}",
            "!": "'!' is not an operator; use NOT",
            ".": "a number needs digits on both sides of '.', and 'qualifier.column' has no spaces",
        }
        return hints.get(ch, f"unexpected character {ch!r}"), span, expected
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    names = set(err.expected or ())
    expected = _expected(names)
    if tok.type == "$END":
        span = _point(text, len(text.rstrip())) if text.strip() else _point(text, 0)
        prev = _previous_token(text, len(text))
        if not text.strip():
            return "the expression is empty", span, expected
        if names & _OPERAND_STARTS:
            return f"expected an operand after {prev!r}", span, expected
        return f"unexpected end of the expression; expected {', '.join(expected)}", span, expected
    span = _tspan(tok)
    if tok.type == "COMP_OP" and "COMP_OP" not in names:
        if str(tok) == "=" and text[tok.start_pos - 1 : tok.start_pos] == "=":
            return "'==' is not an operator; use '=' to compare", span, expected
        return "comparisons do not chain: write 'a < b AND b < c'", span, expected
    if tok.type in ("AND", "OR", "NOT") and str(tok).upper() in ("AND", "OR", "NOT") and names & _OPERAND_STARTS:
        if tok.type != "NOT":
            prev = _previous_token(text, tok.start_pos)
            where = f" after {prev!r}" if prev else ""
            return f"expected an operand{where}, found {str(tok)!r} (a keyword; write qualifier.{str(tok).lower()} for a column)", span, expected
    if names & _OPERAND_STARTS and not names & {"PLUS", "STAR", "COMP_OP"}:
        prev = _previous_token(text, tok.start_pos)
        where = f" after {prev!r}" if prev else ""
        return f"expected an operand{where}, found {str(tok)!r}", span, expected
    return f"unexpected {str(tok)!r}; expected {', '.join(expected)}", span, expected


def _widen(span: Span, width: int) -> Span:
    return Span(span.line, span.column, span.line, span.column + width, span.start, span.start + width)
