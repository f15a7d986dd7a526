"""A message test for every compile-time error (dsl.md §10), plus V-3 (all errors, no cascade)."""

from __future__ import annotations

import pytest

from dobo_engine import errors as catalogue
from dobo_engine.dsl import BOOLEAN, INTEGER, STRING, build_scope, check_expression, check_when, compile_expression
from dobo_engine.dsl.scope import ColumnDef
from dobo_engine.errors import DoboError, DoboErrors
from tests.dsl.conftest import finance_scope


def only_error(text: str, scope=None, **kwargs) -> DoboError:  # type: ignore[no-untyped-def]
    _, errs, _ = check_expression(text, scope or finance_scope(), **kwargs)
    assert len(errs) == 1, [e.render() for e in errs]
    return errs[0]


def test_unresolved_column_ref_lists_scope_and_closest_match() -> None:
    err = only_error("amount_locl > 0")
    assert isinstance(err, catalogue.UnresolvedColumnRef)
    assert err.payload["reference"] == "amount_locl"
    assert err.payload["closest"] == "amount_local"
    assert "amount_local" in err.payload["in_scope"]["columns"]
    assert "fx" in err.payload["in_scope"]["qualifiers"]
    assert err.render().splitlines() == [
        "UnresolvedColumnRef at line 1, column 1: unresolved column amount_locl: no column 'amount_locl' in scope;"
        " did you mean amount_local? (qualifiers in scope: accounts, cost_centers, fx, transactions)",
        "  amount_locl > 0",
        "  ^^^^^^^^^^^",
    ]


def test_unresolved_qualifier_example_24_delete_scope_has_no_fx() -> None:
    err = only_error("fx.rate > 1", finance_scope("selector", fx=False))
    assert isinstance(err, catalogue.UnresolvedColumnRef)
    assert "'fx' is not a table, lookup or join alias" in err.message
    assert "fx" not in err.payload["in_scope"]["qualifiers"]


def test_system_columns_readable_but_labels_and_deleted_are_not_d5() -> None:
    assert check_expression("_period = '2026-01' AND ISNULL(_period_to)", finance_scope())[1] == []
    assert isinstance(only_error("_deleted"), catalogue.UnresolvedColumnRef)
    assert isinstance(only_error("ISNULL(_labels)"), catalogue.UnresolvedColumnRef)


def test_type_mismatch_payload_example_19() -> None:
    err = only_error('amount_local + "100"')
    assert isinstance(err, catalogue.TypeMismatch)
    assert err.payload == {**err.payload, "expected": "integer or decimal", "actual": "string", "where": "operator +"}
    assert (err.location.line, err.location.column) == (1, 16)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('IF(amount_local > 0, "debit", 0)', "IF arg 3"),
        ("posting_date - posting_date", "operator -"),
        ("NOT amount_local", "NOT"),
        ("TRUE < FALSE", "operator <"),
        ('CONCAT("a", amount_local)', "CONCAT arg 2"),
        ("ROUND(amount_local, line_number)", "ROUND arg 2"),
        ("ROUND(amount_local, 19)", "ROUND arg 2"),
        ("LABEL(description)", "LABEL arg 1"),
        ("-description", "unary -"),
        ("1 = 'a'", "operator ="),
    ],
)
def test_type_mismatch_where(text: str, where: str) -> None:
    err = only_error(text)
    assert isinstance(err, catalogue.TypeMismatch)
    assert err.payload["where"] == where


def test_context_type_mismatch_non_boolean_selector_and_unstorable_assignment_op_upd_4() -> None:
    err = only_error("amount_local", finance_scope("selector"), expected=BOOLEAN)
    assert isinstance(err, catalogue.TypeMismatch) and err.payload["where"] == "a selector"
    err = only_error("amount_local", expected=INTEGER)
    assert isinstance(err, catalogue.TypeMismatch) and "cannot hold" in err.message
    assert check_expression("line_number", finance_scope(), expected=STRING)[1]


def test_unknown_function_suggestion_example_22() -> None:
    err = only_error("IS_NULL(amount_reporting)")
    assert isinstance(err, catalogue.UnknownFunction)
    assert err.payload["suggestion"] == "ISNULL"
    assert "did you mean ISNULL?" in err.message
    assert err.render().splitlines()[1:] == ["  IS_NULL(amount_reporting)", "  ^^^^^^^"]
    assert only_error("FROBNICATE(1)").payload["suggestion"] is None


def test_wrong_arity() -> None:
    err = only_error("IF(TRUE, 1)")
    assert isinstance(err, catalogue.WrongArity)
    assert err.payload["expected"] == "3" and err.payload["actual"] == 2
    assert only_error("COALESCE(1)").payload["expected"] == "≥2"


def test_aggregate_not_allowed_example_21_and_nested_dsl_9() -> None:
    err = only_error("SUM(amount_local) > 0", finance_scope("selector"))
    assert isinstance(err, catalogue.AggregateNotAllowed)
    assert err.payload == {**err.payload, "function": "SUM", "context": "selector"}
    err = only_error("SUM(COUNT(amount_local))", finance_scope("aggregation"))
    assert isinstance(err, catalogue.AggregateNotAllowed) and err.payload["context"] == "inside SUM"


def test_aggregate_required_dsl_9_3() -> None:
    err = only_error("amount_local + 1", finance_scope("aggregation"))
    assert isinstance(err, catalogue.AggregateRequired)
    err = only_error("SUM(amount_local) + line_number", finance_scope("aggregation", group_by=("currency",)))
    assert isinstance(err, catalogue.AggregateRequired) and err.payload["reference"] == "line_number"
    assert (
        check_expression("CONCAT(currency, COUNT_ALL())", finance_scope("aggregation", group_by=("currency",)))[1] == []
    )
    assert isinstance(only_error("1", finance_scope("aggregation")), catalogue.AggregateRequired)


def test_unresolved_selector_ref_dsl_4_3() -> None:
    err = only_error("{{EMEA}} AND TRUE", selectors={"EMEA_ONLY": "TRUE", "BIG": "TRUE"})
    assert isinstance(err, catalogue.UnresolvedSelectorRef)
    assert err.payload["name"] == "EMEA" and err.payload["available"] == ["BIG", "EMEA_ONLY"]


@pytest.mark.parametrize("selectors", [{"A": "{{A}} AND TRUE"}, {"A": "{{B}}", "B": "TRUE"}])
def test_selector_cycle_dsl_4_4(selectors: dict[str, str]) -> None:
    err = only_error("{{A}}", selectors=selectors)
    assert isinstance(err, catalogue.SelectorCycle)
    assert err.payload["selector"] == "A"
    assert err.location.path == "selectors.A"


def test_errors_inside_a_selector_give_its_path_and_the_use_site_dsl_10() -> None:
    err = only_error(
        "amount_local > 0 AND {{EMEA}}",
        selectors={"EMEA": 'cost_centers.regin = "EMEA"'},
        path="operations[order=2].selector",
    )
    assert isinstance(err, catalogue.UnresolvedColumnRef)
    assert err.location.path == "selectors.EMEA"
    assert (err.location.line, err.location.column) == (1, 1)
    assert err.payload["use_site"]["path"] == "operations[order=2].selector"
    assert err.payload["use_site"]["column"] == 22
    assert "used at operations[order=2].selector: line 1, column 22" in err.render()
    syntax = only_error("{{S}}", selectors={"S": "a <"})
    assert isinstance(syntax, catalogue.ExpressionSyntaxError) and syntax.location.path == "selectors.S"
    typed = only_error("{{S}}", selectors={"S": "amount_local"})
    assert isinstance(typed, catalogue.TypeMismatch)


def test_function_not_allowed_in_resolver_when_d31() -> None:
    for text, fn in (
        ("period.start_date < TODAY()", "TODAY"),
        ('LABEL("x") = "y"', "LABEL"),
        ("COUNT_ALL() > 0", "COUNT_ALL"),
    ):
        errs = check_when(text)
        assert len(errs) == 1 and isinstance(errs[0], catalogue.FunctionNotAllowed), text
        assert errs[0].payload["function"] == fn


def test_every_error_is_reported_without_cascade_v_3() -> None:
    _, errs, _ = check_expression('nope + 1 > "x" AND IS_NULL(x) AND IF(TRUE, 1, "a") = 2', finance_scope())
    assert [e.code for e in errs] == ["UnresolvedColumnRef", "UnknownFunction", "UnresolvedColumnRef", "TypeMismatch"]
    with pytest.raises(DoboErrors) as info:
        compile_expression("nope AND nada", finance_scope())
    assert len(info.value.errors) == 2


def test_errors_subclass_the_catalogue_and_carry_codes_d30() -> None:
    from dobo_engine.dsl import errors as dsl_errors

    for name in (
        "ExpressionSyntaxError",
        "UnresolvedColumnRef",
        "TypeMismatch",
        "UnknownFunction",
        "WrongArity",
        "AggregateNotAllowed",
        "AggregateRequired",
        "UnresolvedSelectorRef",
        "SelectorCycle",
        "FunctionNotAllowed",
    ):
        cls = getattr(dsl_errors, name)
        assert issubclass(cls, getattr(catalogue, name)) and cls.code == name


def test_scope_from_column_types() -> None:
    scope = build_scope([ColumnDef("x", "decimal", 18, 2)])
    assert str(check_expression("x * 2", scope)[0]) == "decimal(38,2)"
