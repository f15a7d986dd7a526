"""VAL-001..005, VAL-010, VAL-011: expressions, one test per rule and failure type."""

from __future__ import annotations

from dobo_engine.validation import validate_project
from tests.validation.helpers import FX_JOIN, catalog, kinds, only, output, project, update


def check(*operations, **fields):
    return validate_project(project(*operations, **fields), catalog())


def test_VAL_001_expression_syntax_error():
    report = check(update(1, ("amount_reporting", "amount_local"), selector="amount_local > 1000 AND"))
    failure = only(report)
    assert (failure.rule, failure.type, failure.operation_order) == ("VAL-001", "ExpressionSyntaxError", 1)
    assert failure.path == "operations[order=1].selector"
    assert (failure.line, failure.column) == (1, 24)
    assert "amount_local > 1000 AND ^" in failure.detail


def test_VAL_002_unresolved_column_ref_in_assignment():
    report = check(update(2, ("amount_reporting", "transactions.amount_local * fx.rte"), joins=[FX_JOIN]))
    failure = only(report)
    assert kinds(report) == [("VAL-002", "UnresolvedColumnRef", 2)]
    assert failure.path == "operations[order=2].parameters.assignments[0].expression"
    assert "fx.rte" in failure.detail and "fx.rate" in failure.detail


def test_VAL_002_join_alias_is_scoped_to_its_update():
    report = check(
        update(1, ("amount_reporting", "fx.rate"), joins=[FX_JOIN]),
        {"order": 2, "type": "delete", "selector": "fx.rate > 1"},
    )
    assert kinds(report) == [("VAL-002", "UnresolvedColumnRef", 2)]
    assert "fx.rate" in only(report).detail


def test_VAL_002_group_by_and_output_columns():
    report = check(
        {
            "order": 1,
            "type": "aggregate",
            "parameters": {
                "group_by": ["accounts.type", "currenc"],
                "aggregations": [{"column": "total", "expression": "SUM(amount_local)"}],
            },
        },
        output(2, columns=["journal_id", "accounts.name", "_labels", "_deleted", "total"]),
    )
    assert kinds(report) == [("VAL-002", "UnresolvedColumnRef", 1)] * 2 + [("VAL-002", "UnresolvedColumnRef", 2)]
    assert "'accounts.type'" in report.failures[0].detail
    assert "'currenc'" in report.failures[1].detail
    assert "'accounts.name'" in report.failures[2].detail


def test_VAL_003_type_mismatch_selector_assignment_and_new_column():
    report = check(
        update(
            1,
            ("description", "amount_local"),
            ("line_number", "amount_local"),
            ("nothing", "NULL"),
            selector="amount_local",
        ),
    )
    assert kinds(report) == [("VAL-003", "TypeMismatch", 1)] * 4
    details = " | ".join(f.detail for f in report.failures)
    assert "nothing" in details and "only NULL" in details
    paths = [f.path for f in report.failures]
    assert "operations[order=1].selector" in paths
    assert "operations[order=1].parameters.assignments[1].expression" in paths


def test_VAL_003_integer_into_decimal_and_date_into_timestamp_are_storable():
    report = check(
        update(1, ("amount_reporting", "line_number"), ("stamp", "_created_at")),
        update(2, ("stamp", "posting_date"), ("_labels.kind", '"x"')),
    )
    assert report.ok, report.render()


def test_VAL_003_label_value_must_be_a_string():
    report = check(update(1, ("_labels.flag", "line_number")))
    assert kinds(report) == [("VAL-003", "TypeMismatch", 1)]


def test_VAL_004_unresolved_selector_ref():
    report = check(
        {"order": 3, "type": "delete", "selector": "{{NOPE}} AND amount_local > 0"},
        selectors={"EMEA_ONLY": 'cost_centers.region = "EMEA"'},
    )
    failure = report.failures[0]
    assert kinds(report) == [("VAL-004", "UnresolvedSelectorRef", 3)]
    assert "NOPE" in failure.detail and failure.path == "operations[order=3].selector"


def test_VAL_005_named_selector_syntax_error_even_if_unused():
    report = check(update(1, ("amount_reporting", "amount_local")), selectors={"BROKEN": "region = "})
    failure = only(report)
    assert (failure.rule, failure.type, failure.operation_order, failure.path) == (
        "VAL-005",
        "ExpressionSyntaxError",
        None,
        "selectors.BROKEN",
    )
    assert "named selector BROKEN is never used" in report.warnings


def test_VAL_005_selector_cycle():
    report = check(
        {"order": 1, "type": "delete", "selector": "{{A}}"},
        selectors={"A": "{{B}} AND amount_local > 0", "B": "amount_local < 0"},
    )
    assert kinds(report) == [("VAL-005", "SelectorCycle", None)]
    assert report.failures[0].path == "selectors.A" and "{{B}}" in report.failures[0].detail


def test_VAL_005_named_selector_must_be_boolean_where_used():
    report = check({"order": 4, "type": "delete", "selector": "{{AMOUNT}}"}, selectors={"AMOUNT": "amount_local"})
    failure = only(report)
    assert (failure.rule, failure.type, failure.operation_order) == ("VAL-005", "TypeMismatch", 4)
    assert failure.path == "selectors.AMOUNT" and "AMOUNT" in failure.detail


def test_VAL_005_selector_body_errors_are_reported_at_use_with_the_selector_path():
    report = check(
        {"order": 2, "type": "delete", "selector": "{{EMEA}}"}, selectors={"EMEA": 'cost_centres.region = "EMEA"'}
    )
    failure = only(report)
    assert (failure.rule, failure.type, failure.operation_order) == ("VAL-002", "UnresolvedColumnRef", 2)
    assert failure.path == "selectors.EMEA" and "operations[order=2].selector" in failure.detail


def test_VAL_010_unknown_function_and_wrong_arity():
    report = check(update(5, ("flag", "IS_NULL(amount_reporting)"), ("rounded", "ROUND(amount_local)")))
    assert kinds(report) == [("VAL-010", "UnknownFunction", 5), ("VAL-010", "WrongArity", 5)]
    assert "ISNULL" in report.failures[0].detail
    assert "ROUND" in report.failures[1].detail


def test_VAL_011_aggregate_not_allowed_and_required():
    report = check(
        {"order": 1, "type": "delete", "selector": "SUM(amount_local) > 0"},
        {
            "order": 2,
            "type": "aggregate",
            "parameters": {
                "group_by": ["currency"],
                "aggregations": [
                    {"column": "total", "expression": "amount_local"},
                    {"column": "ok", "expression": "SUM(amount_local) / COUNT_ALL()"},
                ],
            },
        },
    )
    assert kinds(report) == [("VAL-011", "AggregateNotAllowed", 1), ("VAL-011", "AggregateRequired", 2)]
    assert "SUM" in report.failures[0].detail and "amount_local" in report.failures[1].detail
