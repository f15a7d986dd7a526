"""Property tests: robustness of the parser, pretty-print round trip, and safe evaluation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dobo_engine.dsl import ast as A
from dobo_engine.dsl import build_scope, check_expression, compile_expression, parse, pretty
from dobo_engine.dsl.runtime import collect
from dobo_engine.dsl.scope import ColumnDef
from dobo_engine.errors import DoboError, NumericOverflow

SCOPE = build_scope(
    [
        ColumnDef("i", "integer"),
        ColumnDef("d", "decimal", 38, 2),
        ColumnDef("s", "string"),
        ColumnDef("b", "boolean"),
        ColumnDef("dt", "date"),
    ],
    today=date(2026, 1, 31),
)
FRAME = pl.DataFrame(
    {
        "i": [1, -5, None, 0, 123456],
        "d": [Decimal("1.50"), Decimal("-2.25"), None, Decimal("0"), Decimal("99999.99")],
        "s": ["abc", "", None, "ß x", "  Hi  "],
        "b": [True, False, None, True, False],
        "dt": [date(2026, 1, 5), date(2000, 2, 29), None, date(1999, 12, 31), date(2026, 12, 31)],
    },
    schema={"i": pl.Int64, "d": pl.Decimal(38, 2), "s": pl.Utf8, "b": pl.Boolean, "dt": pl.Date},
)

PIECES = [
    "a",
    "b.c",
    "1",
    "2.50",
    '"x"',
    "'y'",
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
    ">=",
    "!=",
    "AND",
    "or",
    "NOT",
    "NULL",
    "TRUE",
    "IF(",
    "SUM(",
    "DATE(",
    '"2026-01-01"',
    "{{A}}",
    "{{",
    "}}",
    "\\",
    '"',
    ".",
    " ",
    "\n",
    "&",
    "%",
    "[",
    "LEN(",
    "COUNT_ALL()",
    "99999999999999999999",
]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(st.sampled_from(PIECES), max_size=15).map("".join)))
def test_random_text_only_raises_dobo_errors(text: str) -> None:
    try:
        parse(text)
    except DoboError:
        pass
    dtype, errors, _ = check_expression(text, SCOPE, selectors={"A": "b"})
    assert all(isinstance(e, DoboError) for e in errors)
    for err in errors:
        err.render()  # the caret excerpt never fails


def small_int() -> st.SearchStrategy[A.Node]:
    return st.integers(0, 400).map(A.IntegerLit)


def literal_decimal() -> st.SearchStrategy[A.Node]:
    return st.tuples(st.integers(0, 99999), st.integers(1, 4)).map(
        lambda t: A.DecimalLit(Decimal(t[0]).scaleb(-t[1]), t[1])
    )


def safe_string() -> st.SearchStrategy[str]:
    return st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)


def leaves() -> dict[str, st.SearchStrategy[A.Node]]:
    return {
        "integer": st.one_of(small_int(), st.just(A.Column("i"))),
        "decimal": st.one_of(literal_decimal(), st.just(A.Column("d"))),
        "string": st.one_of(safe_string().map(A.StringLit), st.just(A.Column("s"))),
        "date": st.one_of(st.dates(date(1990, 1, 1), date(2040, 1, 1)).map(A.DateLit), st.just(A.Column("dt"))),
        "boolean": st.one_of(st.booleans().map(A.BoolLit), st.just(A.Column("b")), st.just(A.NullLit())),
    }


def trees(depth: int) -> dict[str, st.SearchStrategy[A.Node]]:
    """Well-typed trees by result type, at most ``depth`` operators deep."""
    if depth == 0:
        return leaves()
    sub = trees(depth - 1)
    ints, decs, strs, dates, bools = (sub[k] for k in ("integer", "decimal", "string", "date", "boolean"))
    b = st.builds
    return {
        "integer": st.one_of(
            leaves()["integer"],
            b(lambda o, l, r: A.Binary(o, l, r), st.sampled_from("+-*"), ints, ints),
            b(A.Negate, ints),
            b(lambda x: A.Call("ABS", (x,)), ints),
            b(lambda x, y: A.Call("MOD", (x, y)), ints, ints),
            b(lambda x: A.Call("LEN", (x,)), strs),
            b(lambda x: A.Call("FLOOR", (x,)), decs),
            b(lambda x: A.Call("YEAR", (x,)), dates),
            b(lambda x, y: A.Call("DATEDIFF", (x, y)), dates, dates),
            b(lambda c, x, y: A.Call("IF", (c, x, y)), bools, ints, ints),
        ),
        "decimal": st.one_of(
            leaves()["decimal"],
            b(lambda o, l, r: A.Binary(o, l, r), st.sampled_from("+-/"), decs, st.one_of(decs, ints)),
            b(lambda l, r: A.Binary("*", l, r), decs, small_int()),
            b(A.Negate, decs),
            b(lambda x, n: A.Call("ROUND", (x, A.IntegerLit(n))), decs, st.integers(0, 18)),
            b(lambda x, y: A.Call("MAX", (x, y)), decs, ints),
            b(lambda x, y: A.Call("COALESCE", (x, y)), decs, st.one_of(decs, st.just(A.NullLit()))),
        ),
        "string": st.one_of(
            leaves()["string"],
            b(lambda x: A.Call("UPPER", (x,)), strs),
            b(lambda x: A.Call("TRIM", (x,)), strs),
            b(lambda x, y: A.Call("CONCAT", (x, y)), strs, st.one_of(strs, ints, dates)),
            b(lambda x, n: A.Call("LEFT", (x, n)), strs, ints),
            b(
                lambda x, o, n: A.Call("REPLACE", (x, o, n)),
                strs,
                st.one_of(safe_string().map(A.StringLit), strs),
                strs,
            ),
        ),
        "date": st.one_of(
            leaves()["date"],
            b(lambda d, n: A.Binary("+", d, n), dates, small_int()),
            b(lambda d, n: A.Call("DATEADD", (d, A.Negate(n))), dates, small_int()),
            st.just(A.Call("TODAY", ())),
        ),
        "boolean": st.one_of(
            leaves()["boolean"],
            b(lambda o, l, r: A.Binary(o, l, r), st.sampled_from(["AND", "OR"]), bools, bools),
            b(A.Not, bools),
            b(lambda o, l, r: A.Binary(o, l, r), st.sampled_from(["=", "<>", "<", ">="]), ints, decs),
            b(lambda o, l, r: A.Binary(o, l, r), st.sampled_from(["=", "<"]), strs, strs),
            b(lambda l, r: A.Binary("<=", l, r), dates, dates),
            b(lambda x: A.Call("ISNULL", (x,)), st.one_of(ints, strs)),
            b(lambda x, y: A.Call("CONTAINS", (x, y)), strs, strs),
        ),
    }


EXPRESSIONS = st.one_of(*trees(3).values())
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(EXPRESSIONS)
def test_pretty_print_reparses_to_the_same_ast(tree: A.Node) -> None:
    assert parse(pretty(tree)) == tree


@SETTINGS
@given(EXPRESSIONS)
def test_well_typed_trees_check_and_evaluate_without_error(tree: A.Node) -> None:
    text = pretty(tree)
    _, errors, _ = check_expression(text, SCOPE)
    assert errors == [], [e.render() for e in errors]
    compiled = compile_expression(text, SCOPE)
    try:
        out = collect(FRAME.lazy().select(compiled.expr.alias("v")))
    except NumericOverflow:
        return
    if compiled.dtype.kind not in ("null",):
        assert out["v"].dtype == compiled.dtype.to_polars(), text
