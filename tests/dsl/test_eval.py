"""Values and NULLs of every operator and function through Polars (dsl.md §5-§9, §12)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Any

import pytest

from dobo_engine.dsl import compile_expression, decimal
from dobo_engine.errors import NumericOverflow

Ev = Callable[..., list[Any]]
DEC = "decimal(38,2)"


def one(ev: Ev, text: str, **cols: tuple[str, list[Any]]) -> Any:
    return ev(text, cols or None)[0]


def test_exact_decimal_multiplication_dsl_5_d4(ev: Ev) -> None:
    out = ev("a * r", {"a": ("decimal", [D("8500.00")]), "r": ("decimal", [D("1.0920")])})
    assert out == [D("9282.000000000000")] and out[0] == D("9282.00")
    assert one(ev, "8500.00 * 1.0920") == D("9282.000000")
    assert one(ev, "0.15 * 0.5") == D("0.075")  # scale 3, not Polars' max(sa, sb) = 2 (§12.1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2", 3),
        ("7 - 10", -3),
        ("6 * 7", 42),
        ("7 / 2", D("3.5")),
        ("7 / 3", D("2.333333")),
        ("1.00 / 3", D("0.333333")),
        ("1.5 + 2", D("3.5")),
        ("1.25 - 0.005", D("1.245")),
        ("-(3)", -3),
        ("-1.50", D("-1.50")),
        ("10 / 4 * 2", D("5")),
    ],
)
def test_arithmetic_values_dsl_6(ev: Ev, text: str, expected: Any) -> None:
    assert one(ev, text) == expected


def test_arithmetic_null_propagation_dsl_7_1(ev: Ev) -> None:
    cols = {"i": ("integer", [None]), "d": (DEC, [None])}
    for text in ("i + 1", "i * 2", "d - 1", "d / 2", "-i", "-d", "NULL + 1", "1.5 * NULL"):
        assert ev(text, cols) == [None], text


def test_division_and_mod_by_zero_are_null_dsl_7_4(ev: Ev) -> None:
    cols = {"i": ("integer", [5, 0]), "d": (DEC, [D("1.50"), D("0")])}
    assert ev("i / 0", cols) == [None, None]
    assert ev("d / d", cols) == [D("1"), None]
    assert ev("MOD(i, 0)", cols) == [None, None]
    assert ev("MOD(d, d)", cols) == [D("0"), None]
    assert ev("MOD(1.5, i)", cols) == [D("1.5"), None]


def test_mod_takes_the_divisor_sign_dsl_8(ev: Ev) -> None:
    assert one(ev, "MOD(-7, 2)") == 1
    assert one(ev, "MOD(7, -2)") == -1
    assert one(ev, "MOD(-7.5, 2)") == D("0.5")


def test_integer_overflow_raises_numeric_overflow_dsl_12_4(ev: Ev) -> None:
    cols = {"i": ("integer", [2**62])}
    with pytest.raises(NumericOverflow):
        ev("i * 4", cols)
    with pytest.raises(NumericOverflow):
        ev("9223372036854775807 + 1")
    with pytest.raises(NumericOverflow):
        ev("SUM(i)", {"i": ("integer", [2**62, 2**62])}, context="aggregation")


def test_decimal_overflow_raises_numeric_overflow_dsl_12_4(ev: Ev) -> None:
    big = D("9" * 30)
    with pytest.raises(NumericOverflow):
        ev("d * d", {"d": ("decimal", [big])})
    with pytest.raises(NumericOverflow):
        ev("FLOOR(d)", {"d": ("decimal", [big])})


def test_comparisons_dsl_6(ev: Ev) -> None:
    assert one(ev, "1.50 = 1.5") is True
    assert one(ev, "1 = 1.0") is True
    assert one(ev, '"a" < "b"') is True
    assert one(ev, '"B" < "a"') is True  # code point order, case-sensitive
    assert one(ev, 'DATE("2026-01-01") < DATE("2026-01-02")') is True
    assert one(ev, "2 <> 2") is False
    assert one(ev, "TRUE = FALSE") is False
    cols = {"ts": ("timestamp", [datetime(2026, 1, 1, 12, tzinfo=UTC)])}
    assert ev('ts > DATE("2026-01-01")', cols) == [True]  # date → timestamp 00:00 UTC


def test_equals_null_is_always_null_dsl_7_3(ev: Ev) -> None:
    cols = {"i": ("integer", [1, None])}
    assert ev("i = NULL", cols) == [None, None]
    assert ev("i <> NULL", cols) == [None, None]
    assert ev("ISNULL(i)", cols) == [False, True]


def test_kleene_logic_dsl_7_2(ev: Ev) -> None:
    cols = {
        "a": ("boolean", [True, False, None, True, False, None]),
        "b": ("boolean", [None, None, None, True, False, True]),
    }
    assert ev("a AND b", cols) == [None, False, None, True, False, None]
    assert ev("a OR b", cols) == [True, None, None, True, False, True]
    assert ev("NOT a", cols) == [False, True, None, False, True, None]
    assert ev("AND(a, b, TRUE)", cols) == ev("a AND b", cols)
    assert ev("OR(a, b, FALSE)", cols) == ev("a OR b", cols)
    assert ev("NOT(a)", cols) == ev("NOT a", cols)


def test_if_with_null_condition_takes_else_dsl_8(ev: Ev) -> None:
    cols = {"c": ("boolean", [True, False, None])}
    assert ev("IF(c, 1, 2.5)", cols) == [D("1"), D("2.5"), D("2.5")]
    assert ev("IF(c, NULL, 'x')", cols) == [None, "x", "x"]


def test_coalesce_min_max_dsl_8(ev: Ev) -> None:
    cols = {"a": ("integer", [None, 3, None]), "b": (DEC, [D("1.5"), None, None])}
    assert ev("COALESCE(a, b, 0)", cols) == [D("1.5"), D("3"), D("0")]
    assert ev("COALESCE(a, NULL)", cols) == [None, 3, None]
    assert ev("MIN(a, b)", cols) == [None, None, None]  # NULL if any argument is NULL (§12.6)
    assert one(ev, "MIN(3, 1.5, 2)") == D("1.5")
    assert one(ev, "MAX(3, 1.5, 2)") == D("3")
    assert one(ev, 'MAX("a", "b")') == "b"
    assert one(ev, 'MIN(DATE("2026-01-02"), DATE("2026-01-01"))') == date(2026, 1, 1)


def test_abs_round_floor_ceil_dsl_8(ev: Ev) -> None:
    assert one(ev, "ABS(-3)") == 3
    assert one(ev, "ABS(-3.25)") == D("3.25")
    assert one(ev, "ROUND(2.5, 0)") == D("3")
    assert one(ev, "ROUND(-2.5, 0)") == D("-3")
    assert one(ev, "ROUND(1.2345, 2)") == D("1.23")
    assert one(ev, "ROUND(1.235, 2)") == D("1.24")
    assert one(ev, "ROUND(-1.235, 2)") == D("-1.24")
    assert one(ev, "ROUND(1.5, 4)") == D("1.5")
    assert one(ev, "ROUND(7, 2)") == 7
    assert one(ev, "FLOOR(-8.5)") == -9
    assert one(ev, "CEIL(-8.5)") == -8
    assert one(ev, "CEIL(8.1)") == 9
    assert one(ev, "FLOOR(7)") == 7
    for text in ("ABS(x)", "ROUND(x, 1)", "FLOOR(x)", "CEIL(x)"):
        assert ev(text, {"x": (DEC, [None])}) == [None], text


def test_round_result_scale_dsl_8() -> None:
    from tests.dsl.conftest import finance_scope

    assert compile_expression("ROUND(amount_local * 1.05, 2)", finance_scope()).dtype == decimal(2)
    assert compile_expression("ROUND(1.5, 4)", finance_scope()).dtype == decimal(1)


def test_string_functions_values_dsl_8(ev: Ev) -> None:
    assert one(ev, 'CONCAT("JE-001", "/", 1)') == "JE-001/1"
    assert one(ev, 'CONCAT("d:", DATE("2026-01-05"))') == "d:2026-01-05"
    assert one(ev, 'UPPER("straße")') == "STRASSE"
    assert one(ev, 'LOWER("ÀB")') == "àb"
    assert one(ev, 'TRIM("  a  b ")') == "a  b"
    assert one(ev, 'LEFT("héllo", 2)') == "hé"
    assert one(ev, 'RIGHT("héllo", 3)') == "llo"
    assert one(ev, 'LEFT("abc", 10)') == "abc"
    assert one(ev, 'LEFT("abc", -1)') is None
    assert one(ev, 'RIGHT("abc", -1)') is None
    assert one(ev, 'LEN("héllo")') == 5
    assert one(ev, 'CONTAINS("Revenue", "ven")') is True
    assert one(ev, 'CONTAINS("Revenue", "VEN")') is False
    assert one(ev, 'CONTAINS("abc", "")') is True
    assert one(ev, 'REPLACE("a-b-c", "-", "+")') == "a+b+c"
    assert one(ev, 'REPLACE("abc", "", "X")') == "abc"
    assert one(ev, 'REPLACE("a.b", ".", "")') == "ab"


def test_replace_with_column_pattern_dsl_8(ev: Ev) -> None:
    cols = {"s": ("string", ["a-b", "abc", None, "x"]), "o": ("string", ["-", "", "a", None])}
    assert ev('REPLACE(s, o, "+")', cols) == ["a+b", "abc", None, None]


def test_string_functions_on_null_dsl_7_1(ev: Ev) -> None:
    cols = {"s": ("string", [None]), "n": ("integer", [None])}
    for text in (
        "CONCAT(s, 'x')",
        "CONCAT('x', n)",
        "UPPER(s)",
        "LOWER(s)",
        "TRIM(s)",
        "LEFT(s, 1)",
        "LEFT('abc', n)",
        "RIGHT(s, 1)",
        "LEN(s)",
        "CONTAINS(s, 'a')",
        "CONTAINS('a', s)",
        "REPLACE(s, 'a', 'b')",
        "REPLACE('a', 'a', s)",
        "REPLACE('a', '', s)",
    ):
        assert ev(text, cols) == [None], text


def test_date_functions_dsl_8(ev: Ev) -> None:
    assert one(ev, 'DATEDIFF(DATE("2026-01-31"), DATE("2026-01-05"))') == 26
    assert one(ev, 'DATEDIFF(DATE("2026-01-05"), DATE("2026-01-31"))') == -26
    assert one(ev, 'DATEADD(DATE("2026-01-31"), 1)') == date(2026, 2, 1)
    assert one(ev, 'DATEADD(DATE("2026-01-31"), -31)') == date(2025, 12, 31)
    assert one(ev, 'DATE("2026-01-31") - 30') == date(2026, 1, 1)
    assert one(ev, '1 + DATE("2026-01-31")') == date(2026, 2, 1)
    assert one(ev, 'YEAR(DATE("2026-03-04"))') == 2026
    assert one(ev, 'MONTH(DATE("2026-03-04"))') == 3
    assert one(ev, 'DAY(DATE("2026-03-04"))') == 4
    assert one(ev, "TODAY()") == date(2026, 1, 31)
    ts = {"ts": ("timestamp", [datetime(2026, 1, 31, 23, 30, tzinfo=UTC)]), "d": ("date", [None])}
    assert ev('DATEDIFF(ts, DATE("2026-01-01"))', ts) == [30]
    assert ev("DAY(ts)", ts) == [31]
    assert ev("DATEADD(ts, 1)", ts) == [datetime(2026, 2, 1, 23, 30, tzinfo=UTC)]
    assert ev("ts + 1", ts) == [datetime(2026, 2, 1, 23, 30, tzinfo=UTC)]
    for text in ("YEAR(d)", "DATEDIFF(d, ts)", "DATEADD(d, 1)", "d + 1"):
        assert ev(text, ts) == [None], text


def test_label_reads_the_labels_column_d7(ev: Ev) -> None:
    import polars as pl

    from dobo_engine.dsl import build_scope
    from dobo_engine.dsl.runtime import collect

    frame = pl.DataFrame(
        {"_labels": [[{"key": "review", "value": "pending"}], [], None, [{"key": "x", "value": "1"}]]},
        schema={"_labels": pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8}))},
    )
    compiled = compile_expression('LABEL("review")', build_scope([]))
    assert collect(frame.lazy().select(compiled.expr))["_labels"].to_list() == ["pending", None, None, None]


def test_aggregates_dsl_9(ev: Ev) -> None:
    cols = {"g": ("string", ["a", "a", "b"]), "x": (DEC, [D("1.00"), None, None]), "i": ("integer", [1, 2, None])}
    agg = {"context": "aggregation"}
    assert ev("SUM(x)", cols, **agg) == [D("1.00")]
    assert ev("SUM(i)", cols, **agg) == [3]
    assert ev("COUNT(x)", cols, **agg) == [1]
    assert ev("COUNT_ALL()", cols, **agg) == [3]
    assert ev("AVG(i)", cols, **agg) == [D("1.5")]
    assert ev("AVG(x)", cols, **agg) == [D("1")]
    assert ev("MIN_AGG(g)", cols, **agg) == ["a"]
    assert ev("MAX_AGG(i)", cols, **agg) == [2]
    assert ev("SUM(i) / COUNT_ALL()", cols, **agg) == [D("1")]
    assert ev('IF(SUM(x) >= 0, "debit", "credit")', cols, **agg) == ["debit"]
    assert ev("SUM(1)", cols, **agg) == [3]  # a constant counts once per row


def test_aggregates_of_only_nulls_dsl_12_5(ev: Ev) -> None:
    cols = {"x": (DEC, [None, None]), "i": ("integer", [None, None])}
    agg = {"context": "aggregation"}
    assert ev("SUM(x)", cols, **agg) == [None]
    assert ev("SUM(i)", cols, **agg) == [None]
    assert ev("AVG(x)", cols, **agg) == [None]
    assert ev("COUNT(x)", cols, **agg) == [0]
    assert ev("MIN_AGG(x)", cols, **agg) == [None]


def test_aggregation_by_group_uses_group_columns_dsl_9_3() -> None:
    import polars as pl

    from dobo_engine.dsl import build_scope
    from dobo_engine.dsl.runtime import collect
    from dobo_engine.dsl.scope import ColumnDef

    scope = build_scope([ColumnDef("g", "string"), ColumnDef("x", "decimal")], context="aggregation", group_by=["g"])
    frame = pl.DataFrame(
        {"g": ["a", "a", "b"], "x": [D("1"), D("2"), D("-5")]}, schema={"g": pl.Utf8, "x": pl.Decimal(38, 6)}
    )
    compiled = compile_expression('CONCAT(g, ":", IF(SUM(x) >= 0, "debit", "credit"))', scope)
    out = collect(frame.lazy().group_by("g", maintain_order=True).agg(compiled.expr.alias("v")))
    assert out["v"].to_list() == ["a:debit", "b:credit"]


def test_store_conversion_rounds_half_even_d35() -> None:
    import polars as pl

    from dobo_engine.dsl import build_scope
    from dobo_engine.dsl.scope import ColumnDef

    scope = build_scope([ColumnDef("x", "decimal", 38, 3)])
    frame = pl.DataFrame({"x": [D("0.125"), D("0.135")]}, schema={"x": pl.Decimal(38, 3)})
    compiled = compile_expression("x", scope, expected=decimal(2, 18))
    assert frame.select(compiled.expr)["x"].to_list() == [D("0.12"), D("0.14")]
