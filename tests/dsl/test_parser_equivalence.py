"""The fast parser (descent.py) and the lark grammar read every text the same way (dsl.md §1-2).

parse() tries descent.py first and asks the grammar for anything it declines.
So the rule is: whenever the fast parser returns a tree, the grammar returns
the same tree with the same spans; and it takes every well-formed expression
(otherwise it would not be the fast path).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dobo_engine.dsl import ast as A
from dobo_engine.dsl import descent, pretty
from dobo_engine.dsl.errors import ExpressionSyntaxError
from dobo_engine.dsl.parser import _lark, parse, parse_with_grammar
from tests.dsl.test_properties import EXPRESSIONS

Shape = list[tuple[str, A.Node, A.Span]]


def shape(node: A.Node) -> Shape:
    """Every node with its fields and its span (node equality alone ignores spans)."""
    return [(type(n).__name__, n, n.span) for n in node.walk()]


def by_grammar(text: str) -> Shape | None:
    try:
        return shape(parse_with_grammar(text))
    except ExpressionSyntaxError:
        return None


def by_fast_path(text: str) -> Shape | None:
    try:
        return shape(descent.parse(text))
    except descent.NotHandled:
        return None


def assert_agree(text: str) -> Shape | None:
    fast = by_fast_path(text)
    if fast is not None:
        assert fast == by_grammar(text), text
    return fast


PIECES = [
    "a",
    "B_1",
    "t.x",
    "t.and",
    "and.t",
    "1",
    "007",
    "2.50",
    "1.",
    ".5",
    '"x y"',
    "'it\\'s'",
    '"\\q"',
    "(",
    ")",
    ",",
    "+",
    "-",
    "*",
    "/",
    "=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "AND",
    "and",
    "Or",
    "NOT",
    "not",
    "NOT(",
    "not (",
    "NULL",
    "true",
    "False",
    "IF(",
    "date(",
    '"2026-02-29"',
    '"2026-02-28"',
    "{{A}}",
    "{{ b_2 }}",
    "{{",
    "NOTx",
    "ORDER",
    "nulls",
    "COUNT_ALL()",
    "99999999999999999999",
    "1.0000000000000000001",
    " ",
    "  ",
    "\n",
    "\t",
    "\r\n",
    "&",
    "é",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_fast_parser_agrees_with_the_grammar_on_random_text_dsl_1(text: str) -> None:
    assert_agree(text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab1.(),+-*/=<> \n\"'\\{}NOTRAD", max_size=30))
def test_fast_parser_agrees_with_the_grammar_on_random_characters_dsl_1(text: str) -> None:
    assert_agree(text)


SEPARATORS = [" ", "  ", "\n", "\t", "\r\n", " \n\t "]
CASED = {"AND", "OR", "NOT", "NOT_CALL", "TRUE", "FALSE", "NULL"}


def respaced(text: str, draw: Any) -> str:
    """The same tokens as ``text`` with other whitespace between them and keywords in other cases."""
    out: list[str] = []
    tokens = list(_lark().lex(text))
    for i, tok in enumerate(tokens):
        value = str(tok)
        if tok.type in CASED or (tok.type == "NAME" and i + 1 < len(tokens) and tokens[i + 1].type == "LPAR"):
            value = draw(st.sampled_from([value.upper(), value.lower(), value.title()]))
        out.append(value)
        out.append(draw(st.sampled_from(SEPARATORS)))
    return draw(st.sampled_from(SEPARATORS[:3])) + "".join(out)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS, st.data())
def test_fast_parser_takes_every_well_formed_expression_dsl_2(tree: A.Node, data: st.DataObject) -> None:
    text = respaced(pretty(tree), data.draw)
    assert assert_agree(text) is not None, f"the fast parser declined {text!r}"


@pytest.mark.parametrize(
    "text",
    [
        "NOT (a) AND b",  # NOT( is the function form (dsl.md §2)
        "NOT a AND b",
        "a = NOT(b)",
        "AND(a, b) OR OR(c)",
        "a AND(b)",
        "NOT(a, b)",
        "NOT()",
        "t.and + and.t",
        "-(-a) * - 2",
        "((a))",
        "f (a, (b), c)",
        "a\n  + b\r\n  * 'it\\'s'",
        '"tab\\there" = s',
        "{{ A }} OR {{B}}",
        'DATE("2026-02-28") > d',
        "NOTx OR ORDER OR nulls",
        "1 - 2 - 3 / 4 / 5",
        "a < b",
    ],
)
def test_fast_parser_reads_tricky_forms_as_the_grammar_dsl_2(text: str) -> None:
    assert assert_agree(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "a = NOT b",  # the grammar reads this NOT as a column name, then fails at b
        "-NOT",  # ... and this one as the column NOT
        "a < b < c",
        "a == b",
        "a != b",
        'DATE("2026-02-30")',
        '"\\q"',
        "99999999999999999999",
        "a.b.c",
        "f(a,)",
        "AND",
        "(a",
        "a)",
        "a & b",
        "a\fb",
    ],
)
def test_fast_parser_leaves_other_texts_to_the_grammar_dsl_10(text: str) -> None:
    assert by_fast_path(text) is None
    grammar = by_grammar(text)
    try:
        assert shape(parse(text)) == grammar
    except ExpressionSyntaxError:
        assert grammar is None
