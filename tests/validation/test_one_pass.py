"""V-3/V-4 and the report: every failure in one pass, no cascades, warnings, ordering, ActivationError."""

from __future__ import annotations

import pytest

from dobo_engine.errors import DoboError
from dobo_engine.validation import ActivationError, validate_project
from tests.validation.helpers import FX_JOIN, body, catalog, kinds, output, project, update


def test_six_different_mistakes_are_all_reported_in_one_run_without_cascades():
    report = validate_project(
        body(
            update(1, ("amount_usd", "transactions.amount_local * fx.rte"), joins=[FX_JOIN]),  # 1: VAL-002
            update(2, ("usd_check", "amount_usd * 2"), ("_hidden", "1")),  # 2: VAL-013; amount_usd is in scope
            {"order": 3, "type": "delete", "selector": "amount_local >"},  # 3: VAL-001
            {
                "order": 4,
                "type": "aggregate",
                "parameters": {  # 4: VAL-011
                    "group_by": ["currency"],
                    "aggregations": [{"column": "total", "expression": "amount_local"}],
                },
            },
            update(5, ("flag", "IS_NULL(total)"), ("twice", "total + usd_check")),  # 5: VAL-010; total/usd_check exist
            output(
                6,
                columns=["journal_id", "amount_usd", "total", "flag"],  # flag exists though its expression failed
                destination={"datasource_id": "ghost", "path": "x.parquet"},
            ),  # 6: VAL-017
        ),
        catalog(),
    )
    assert kinds(report) == [
        ("VAL-002", "UnresolvedColumnRef", 1),
        ("VAL-013", "ReservedColumn", 2),
        ("VAL-001", "ExpressionSyntaxError", 3),
        ("VAL-011", "AggregateRequired", 4),
        ("VAL-010", "UnknownFunction", 5),
        ("VAL-017", "InvalidDestination", 6),
    ], report.render()


def test_failures_sorted_project_level_first_then_order_then_path():
    report = validate_project(
        project(
            update(20, ("b", "nope_b"), ("a", "nope_a")),
            update(10, ("c", "nope_c")),
            calendar_id="no-such-calendar",
            selectors={"S": "("},
        ),
        catalog(),
    )
    assert [(f.operation_order, f.path) for f in report.failures] == [
        (None, "calendar_id"),
        (None, "selectors.S"),
        (10, "operations[order=10].parameters.assignments[0].expression"),
        (20, "operations[order=20].parameters.assignments[0].expression"),
        (20, "operations[order=20].parameters.assignments[1].expression"),
    ]


def test_scope_is_simulated_operation_by_operation():
    report = validate_project(
        project(
            update(1, ("a", "b"), ("b", "1")),  # OP-UPD-1: b is created by this same update
            update(2, ("c", "b + 1")),  # fine: b exists after operation 1
            {
                "order": 3,
                "type": "aggregate",
                "parameters": {
                    "group_by": ["currency"],
                    "aggregations": [{"column": "n", "expression": "COUNT_ALL()"}],
                },
            },
            update(4, ("m", "n * 2")),
            {
                "order": 5,
                "type": "append",
                "parameters": {
                    "source": {"dataset_id": "ds-budgets"},
                    "columns": {"account_code": "account_code", "brand_new": "amount"},
                },
            },
            update(6, ("d", "brand_new")),  # append never adds columns
        ),
        catalog(),
    )
    assert kinds(report) == [
        ("VAL-002", "UnresolvedColumnRef", 1),
        ("VAL-016", "AppendColumnNotFound", 5),
        ("VAL-002", "UnresolvedColumnRef", 6),
    ]


def test_new_column_types_are_inferred_for_later_checks():
    report = validate_project(
        project(
            update(1, ("label", '"x"'), ("ratio", "amount_local / 3")),
            update(2, ("label", "1"), ("ratio", "2")),  # string column cannot hold integer; decimal can
        ),
        catalog(),
    )
    assert kinds(report) == [("VAL-003", "TypeMismatch", 2)]
    assert report.failures[0].path.endswith("assignments[0].expression")


def test_warnings_unused_selector_delete_without_selector_null_comparison():
    report = validate_project(
        project(
            {"order": 1, "type": "delete"},
            update(2, ("a", "1"), selector="amount_reporting = NULL AND {{USED}}"),
            selectors={"UNUSED": "amount_local > 0", "USED": "description <> NULL"},
        ),
        catalog(),
    )
    assert report.ok
    assert "named selector UNUSED is never used" in report.warnings
    assert any("delete without a selector" in w and "order=1" in w for w in report.warnings)
    assert any("operations[order=2].selector compares with literal NULL" in w for w in report.warnings)
    assert any("named selector USED compares with literal NULL" in w for w in report.warnings)
    assert len(report.warnings) == 4


def test_activation_error_carries_the_report():
    report = validate_project(project(update(1, ("a", "nope"))), catalog())
    with pytest.raises(ActivationError) as caught:
        report.raise_for_failures()
    err = caught.value
    assert isinstance(err, DoboError) and err.code == "ValidationFailed" and err.exit_code == 1
    assert (err.project_id, err.dataset_id, err.dataset_version) == ("prj-test", "ds-gl", 1)
    data = err.to_dict()
    assert data["code"] == "ValidationFailed" and data["failures"][0]["rule"] == "VAL-002"
    assert data["failures"][0]["operation_order"] == 1 and data["warnings"] == []
    with pytest.raises(ValueError):
        ActivationError(validate_project(project(update(1, ("a", "1"))), catalog()))


def test_a_raw_body_that_is_not_a_project_is_bad_input():
    from dobo_engine.errors import DoboErrors

    with pytest.raises(DoboErrors) as caught:
        validate_project({"id": "x", "operations": []}, catalog())
    assert {e.code for e in caught.value.errors} == {"MissingField"}
