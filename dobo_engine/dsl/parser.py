"""Text → AST (dsl.md §1-2): the cache, the fast path, the lark grammar and readable syntax errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from dobo_engine.dsl import ast, descent, literals
from dobo_engine.dsl.ast import Span
from dobo_engine.dsl.errors import ExpressionSyntaxError

# Terminal names as a user would read them in "expected ..." lists.
_DESCRIBE = {
    "INT": "a number",
    "DECIMAL": "a number",
    "STRING": "a string",
    "NAME": "a column name",
    "QNAME": "a column name",
    "SELECTOR_REF": "{{NAME}}",
    "TRUE": "TRUE",
    "FALSE": "FALSE",
    "NULL": "NULL",
    "NOT": "NOT",
    "NOT_CALL": "NOT",
    "AND": "AND",
    "OR": "OR",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "COMP_OP": "a comparison",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "$END": "the end of the expression",
}
_OPERAND_STARTS = {"INT", "DECIMAL", "STRING", "NAME", "QNAME", "SELECTOR_REF", "LPAR"}


def _tspan(tok: Token) -> Span:
    # lark types a token's positions Optional; its LALR lexer always sets them. This runs
    # once per token: `_make` takes them without cast calls, and is cheaper than `Span(...)`.
    return Span._make((tok.line, tok.column, tok.end_line, tok.end_column, tok.start_pos, tok.end_pos))


def _span(item: Any) -> Span:
    return _tspan(item) if isinstance(item, Token) else item.span


def _merge(first: Any, last: Any) -> Span:
    return literals.merge(_span(first), _span(last))


def _leaf(build: Callable[[str, Span], ast.Node]) -> Callable[[Any, list[Token]], ast.Node]:
    def callback(self: Any, children: list[Token]) -> ast.Node:
        (tok,) = children
        return build(str(tok), _tspan(tok))

    return callback


class _ToAst(Transformer[Token, ast.Node]):
    """Lark callbacks building AST nodes; runs inside the LALR parser (no parse tree)."""

    integer = _leaf(literals.integer)
    decimal = _leaf(literals.decimal)
    string = _leaf(literals.string)
    column = _leaf(literals.column)
    qcolumn = _leaf(literals.qualified_column)
    selector_ref = _leaf(literals.selector_ref)

    def true(self, children: list[Token]) -> ast.Node:
        return ast.BoolLit(True, span=_tspan(children[0]))

    def false(self, children: list[Token]) -> ast.Node:
        return ast.BoolLit(False, span=_tspan(children[0]))

    def null(self, children: list[Token]) -> ast.Node:
        return ast.NullLit(span=_tspan(children[0]))

    def paren(self, children: list[Any]) -> ast.Node:
        inner: ast.Node = children[1]
        return inner.evolve(span=_merge(children[0], children[2]))

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
        return literals.call(str(name_tok), args or (), _merge(name_tok, rpar))


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
        node = descent.parse(text)
    except descent.NotHandled:
        node = parse_with_grammar(text, path=path)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[text] = node
    return node


def parse_with_grammar(text: str, *, path: str | None = None) -> ast.Node:
    """Parse with the lark grammar, the definition of the language.

    :func:`parse` tries the faster equivalent parser in descent.py first and
    comes here for anything it does not take, so every syntax error is the
    grammar's own, explained by :func:`_explain`.
    """
    try:
        # The transformer runs inside the parser, so the result is our AST, not a lark Tree.
        return cast(ast.Node, _lark().parse(text))
    except literals.LiteralError as failure:
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
        pos = err.pos_in_stream or 0  # always set for UnexpectedCharacters; typed Optional
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
            return (
                f"expected an operand{where}, found {str(tok)!r} (a keyword; write qualifier.{str(tok).lower()} for a column)",
                span,
                expected,
            )
    if names & _OPERAND_STARTS and not names & {"PLUS", "STAR", "COMP_OP"}:
        prev = _previous_token(text, tok.start_pos)
        where = f" after {prev!r}" if prev else ""
        return f"expected an operand{where}, found {str(tok)!r}", span, expected
    return f"unexpected {str(tok)!r}; expected {', '.join(expected)}", span, expected


def _widen(span: Span, width: int) -> Span:
    return Span(span.line, span.column, span.line, span.column + width, span.start, span.start + width)
