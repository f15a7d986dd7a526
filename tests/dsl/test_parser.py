"""Lexical rules and precedence (dsl.md §1-2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dobo_engine.dsl import parse, pretty
from dobo_engine.dsl.ast import (
    Binary,
    BoolLit,
    Call,
    Column,
    DateLit,
    DecimalLit,
    IntegerLit,
    Negate,
    Not,
    NullLit,
    SelectorRef,
    StringLit,
)
from dobo_engine.dsl.errors import ExpressionSyntaxError

a, b, c = Column("a"), Column("b"), Column("c")


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a + b * c", Binary("+", a, Binary("*", b, c))),
        ("a - b - c", Binary("-", Binary("-", a, b), c)),
        ("a / b * c", Binary("*", Binary("/", a, b), c)),
        ("-a * b", Binary("*", Negate(a), b)),  # §2: -a * b is (-a) * b
        ("- -a", Negate(Negate(a))),
        ("NOT a = b", Not(Binary("=", a, b))),  # §2: NOT a = b is NOT (a = b)
        ("a OR b AND c", Binary("OR", a, Binary("AND", b, c))),
        ("NOT a AND b", Binary("AND", Not(a), b)),
        ("a + b > c", Binary(">", Binary("+", a, b), c)),
        ("(a OR b) AND c", Binary("AND", Binary("OR", a, b), c)),
        ("AND(a, b, c)", Call("AND", (a, b, c))),
        ("or(a, b)", Call("OR", (a, b))),
        ("NOT(a)", Not(a)),
    ],
)
def test_precedence_and_associativity_dsl_2(text: str, tree: object) -> None:
    assert parse(text) == tree


def test_keywords_and_function_names_are_case_insensitive_dsl_1() -> None:
    assert parse("true and False or nUlL") == Binary("OR", Binary("AND", BoolLit(True), BoolLit(False)), NullLit())
    assert parse("coalesce(a, 1)") == Call("COALESCE", (a, IntegerLit(1)))


def test_identifiers_are_case_sensitive_and_date_is_a_column_dsl_1() -> None:
    assert parse("Amount") == Column("Amount")
    assert parse("date") == Column("date")
    assert parse('DATE("2026-01-31")') == DateLit(date(2026, 1, 31))
    assert parse('date("2026-01-31")') == DateLit(date(2026, 1, 31))


def test_qualified_names_allow_keywords_after_the_dot_dsl_1() -> None:
    assert parse("transactions.and") == Column("and", "transactions")
    assert parse("fx.rate") == Column("rate", "fx")


def test_literals_dsl_1() -> None:
    lit = parse("1.0920")
    assert isinstance(lit, DecimalLit) and lit.value == Decimal("1.0920") and lit.scale == 4
    assert parse("9223372036854775807") == IntegerLit(2**63 - 1)
    assert parse(r'"a\"b\\c\n\t\r"') == StringLit('a"b\\c\n\t\r')
    assert parse(r"'it\'s'") == StringLit("it's")
    assert parse("{{ EMEA_ONLY }}") == SelectorRef("EMEA_ONLY")


def test_multiline_expression_positions_dsl_1() -> None:
    node = parse("a +\n  b")
    assert isinstance(node, Binary)
    assert (node.right.span.line, node.right.span.column) == (2, 3)


@pytest.mark.parametrize(
    ("text", "fragment", "column"),
    [
        ("a != b", "use '<>'", 3),
        ("a == b", "use '='", 4),
        ("1 < a < 3", "do not chain", 7),
        ("a & b", "'&' is not an operator", 3),
        ("a % 2", "MOD", 3),
        ("a[1]", "'['", 2),
        ('"abc', "missing closing quote", 1),
        ('"a\nb"', "missing closing quote", 1),
        (r'"a\q"', "unknown escape", 3),
        ("99999999999999999999", "64-bit", 1),
        ("1.1234567890123456789", "at most 18", 1),
        ("123456789012345678901234567890.123456789", "38 digits", 1),
        ('DATE("2026-02-30")', "invalid date", 6),
        ('DATE("26-1-1")', "invalid date", 6),
        ("DATE(a)", "string literal", 6),
        (".5", "digits on both sides", 1),
        ("5.", "digits on both sides", 2),
        ("a . b", "no spaces", 3),
        ("`a`", "quoted identifiers", 1),
        ("and", "operand", 4),
        ("", "empty", 1),
        ("amount_local > 1000 AND", "expected an operand after 'AND'", 24),
    ],
)
def test_lexical_and_syntax_errors_dsl_1(text: str, fragment: str, column: int) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse(text)
    assert fragment in info.value.message
    assert info.value.location.column == column


def test_syntax_error_message_and_caret_exactly_as_dsl_10() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse("amount_local > 1000 AND", path="operations[order=2].selector")
    err = info.value
    assert err.code == "ExpressionSyntaxError"
    assert (err.location.line, err.location.column) == (1, 24)
    assert err.location.path == "operations[order=2].selector"
    assert "a column name" in err.payload["expected"]
    assert err.render().splitlines() == [
        "operations[order=2].selector: ExpressionSyntaxError at line 1, column 24: expected an operand after 'AND'",
        "  amount_local > 1000 AND",
        "                         ^",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "a + b * c",
        "(a + b) * c",
        "a - (b - c)",
        "NOT(a = b) AND c",
        "-(-a)",
        "- -a",
        "{{X}} OR NOT(y)",
        'IF(a > 1, "x\\"y", NULL)',
        "a.b <> 1.50",
        'CONCAT(x, DATE("2026-01-01"))',
        "(a = b) = c",
    ],
)
def test_pretty_reparses_to_the_same_ast(text: str) -> None:
    node = parse(text)
    assert parse(pretty(node)) == node
