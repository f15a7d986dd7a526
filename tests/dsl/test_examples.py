"""The 24 examples of dsl.md §11, type-checked and evaluated on the finance sample (entities.md §8)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from dobo_engine import errors as catalogue
from dobo_engine.dsl import BOOLEAN, INTEGER, STRING, DslType, check_expression, decimal
from tests.dsl.conftest import evaluate, finance_frame, finance_scope

SELECTORS = {"EMEA_ONLY": 'cost_centers.region = "EMEA"'}
N = None

EXAMPLES: list[tuple[int, str, DslType | str, list[Any] | None]] = [
    (
        1,
        "transactions.amount_local * fx.rate",
        decimal(12),
        [
            D("15000.00"),
            D("15000.00"),
            D("9282.00"),
            D("-9282.00"),
            D("27962.00"),
            D("27962.00"),
            D("3200.00"),
            D("-3200.00"),
            D("16800.00"),
            D("16800.00"),
        ],
    ),
    (
        2,
        'IF(accounts.type = "revenue", -amount_local, amount_local)',
        decimal(6),
        [D(-15000), D(15000), D(8500), D(-8500), D(-22000), D(22000), D(3200), D(-3200), D(-2500000), D(2500000)],
    ),
    (
        3,
        'source_system = "ERP" AND amount_local > 1000',
        BOOLEAN,
        [True, True, False, False, True, True, False, False, True, True],
    ),
    (4, 'CONCAT(accounts.code, " - ", accounts.name)', STRING, None),
    (
        5,
        'CONCAT(journal_id, "/", line_number)',
        STRING,
        [
            "JE-001/1",
            "JE-001/2",
            "JE-002/1",
            "JE-002/2",
            "JE-003/1",
            "JE-003/2",
            "JE-004/1",
            "JE-004/2",
            "JE-005/1",
            "JE-005/2",
        ],
    ),
    (6, "posting_date >= TODAY() - 30", BOOLEAN, [True] * 10),
    (7, "amount_reporting = NULL", BOOLEAN, [None] * 10),
    (8, "NOT cost_centers.is_active", BOOLEAN, [False] * 10),
    (
        9,
        'ISNULL(cost_center_code) OR cost_centers.region = "EMEA"',
        BOOLEAN,
        [False, False, True, True, True, True, False, False, True, True],
    ),
    (10, "amount_local / 0", decimal(6), [None] * 10),
    (11, "line_number / 2", decimal(6), [D("0.5"), D(1)] * 5),
    (
        12,
        "ROUND(amount_local * 1.05, 2)",
        decimal(2),
        [
            D("15750"),
            D("15750"),
            D("8925"),
            D("-8925"),
            D("23100"),
            D("23100"),
            D("3360"),
            D("-3360"),
            D("2625000"),
            D("2625000"),
        ],
    ),
    (13, "FLOOR(amount_local / 1000)", INTEGER, [15, 15, 8, -9, 22, 22, 3, -4, 2500, 2500]),
    (14, 'DATEDIFF(DATE("2026-01-31"), posting_date)', INTEGER, [26, 26, 21, 21, 16, 16, 11, 11, 6, 6]),
    (
        15,
        'CONTAINS(UPPER(description), "REVENUE")',
        BOOLEAN,
        [True, True, False, False, True, False, False, False, True, False],
    ),
    (
        16,
        "{{EMEA_ONLY}} AND amount_local > 0",
        BOOLEAN,
        [False, False, True, False, True, True, False, False, True, True],
    ),
    (17, 'LABEL("review") = "pending"', BOOLEAN, [None, None, True, None, None, None, None, None, None, None]),
    (18, "SUM(amount_local) / COUNT_ALL()", decimal(6), [D("507400")]),
    (19, 'amount_local + "100"', "TypeMismatch", None),
    (20, 'IF(amount_local > 0, "debit", 0)', "TypeMismatch", None),
    (21, "SUM(amount_local) > 0", "AggregateNotAllowed", None),
    (22, "IS_NULL(amount_reporting)", "UnknownFunction", None),
    (23, "1 < line_number < 3", "ExpressionSyntaxError", None),
    (24, "fx.rate > 1", "UnresolvedColumnRef", None),
]


def scope_for(number: int):  # type: ignore[no-untyped-def]
    if number == 18:
        return finance_scope("aggregation")
    if number in (21,):
        return finance_scope("selector")
    if number == 24:
        return finance_scope("selector", fx=False)  # a delete selector: fx belongs to its update
    return finance_scope()


@pytest.mark.parametrize(("number", "text", "expected_type", "values"), EXAMPLES, ids=[f"ex{e[0]}" for e in EXAMPLES])
def test_dsl_11_example(number: int, text: str, expected_type: DslType | str, values: list[Any] | None) -> None:
    scope = scope_for(number)
    dtype, errs, _ = check_expression(text, scope, selectors=SELECTORS)
    if isinstance(expected_type, str):
        assert [e.code for e in errs] == [expected_type]
        assert isinstance(errs[0], getattr(catalogue, expected_type))
        return
    assert errs == []
    assert dtype == expected_type
    out = evaluate(text, finance_frame(), scope, selectors=SELECTORS)
    if number == 4:
        assert out[0] == "4100 - Product Revenue"
        return
    assert out == values


def test_example_1_is_exact_9282_d4() -> None:
    out = evaluate("transactions.amount_local * fx.rate", finance_frame(), finance_scope())
    assert str(out[2]) == "9282.000000000000"


def test_example_4_is_null_when_the_lookup_finds_no_row() -> None:
    frame = finance_frame().with_columns(**{"accounts.code": None, "accounts.name": None})
    frame = frame.cast({"accounts.code": str, "accounts.name": str})
    assert set(evaluate('CONCAT(accounts.code, " - ", accounts.name)', frame, finance_scope())) == {None}


def test_example_16_selector_is_substituted_as_a_parenthesised_subtree_prj_3() -> None:
    scope = finance_scope()
    _, errs, refs = check_expression("{{A}} AND FALSE", scope, selectors={"A": "TRUE OR TRUE"})
    assert errs == [] and refs == set()
    # (TRUE OR TRUE) AND FALSE = FALSE; textual substitution would give TRUE OR (TRUE AND FALSE) = TRUE.
    assert evaluate("{{A}} AND FALSE", finance_frame(), scope, selectors={"A": "TRUE OR TRUE"}) == [False]


def test_references_name_the_lookups_to_join_lk_5() -> None:
    _, _, refs = check_expression(EXAMPLES[8][1], finance_scope())
    assert refs == {(None, "cost_center_code"), ("cost_centers", "region")}
