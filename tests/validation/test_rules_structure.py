"""VAL-009, VAL-012..016: operation shape, names, joins and appends."""

from __future__ import annotations

from dobo_engine.validation import validate_project
from tests.validation.helpers import FX_JOIN, body, catalog, kinds, only, project, update


def test_VAL_009_duplicate_operation_order():
    report = validate_project(project(update(1, ("a", "1")), update(1, ("b", "2"))), catalog())
    failure = only(report)
    assert (failure.rule, failure.type, failure.operation_order) == ("VAL-009", "DuplicateOperationOrder", 1)
    assert "order 1" in failure.detail and failure.path == "operations[1].order"


def test_VAL_012_unknown_operation_type():
    report = validate_project(body({"order": 3, "type": "merge", "parameters": {}}), catalog())
    failure = only(report)
    assert (failure.rule, failure.type, failure.operation_order) == ("VAL-012", "UnknownOperationType", 3)
    assert "'merge'" in failure.detail


def test_VAL_012_invalid_operation_shapes():
    report = validate_project(
        body(
            {
                "order": 1,
                "type": "append",
                "selector": "TRUE",
                "parameters": {
                    "source": {"dataset_id": "ds-budgets"},
                    "aggregation": {
                        "group_by": ["account_code", "cost_center_code", "currency"],
                        "aggregations": [{"column": "amount_local", "expression": "SUM(amount)"}],
                    },
                },
            },
            {"order": 2, "type": "delete", "parameters": {"mode": "hard"}},
            {"order": 3, "type": "update", "parameters": {"assignments": []}},
            {
                "order": 4,
                "type": "update",
                "parameters": {"assignments": [{"column": "x", "expression": "1"}], "joinz": []},
            },
            {
                "order": 5,
                "type": "aggregate",
                "parameters": {"aggregations": [{"column": "n", "expression": "COUNT_ALL()"}]},
            },
            {"order": 0, "type": "delete"},
        ),
        catalog(),
    )
    assert kinds(report) == [("VAL-012", "InvalidOperation", o) for o in (0, 1, 2, 3, 4, 5)]
    details = [f.detail for f in report.failures]
    assert "out of range" in details[0]
    assert "append takes no selector" in details[1]
    assert "delete takes no parameters" in details[2]
    assert "assignments" in details[3] and "'joinz'" in details[4] and "group_by" in details[5]


def test_VAL_013_reserved_and_qualified_targets():
    report = validate_project(
        body(
            update(1, ("_secret", "1"), ("transactions.amount_reporting", "amount_local"), ("_labels.ok", '"yes"')),
            {
                "order": 2,
                "type": "aggregate",
                "parameters": {
                    "group_by": [],
                    "aggregations": [{"column": "_labels.total", "expression": "SUM(amount_local)"}],
                },
            },
        ),
        catalog(),
    )
    assert kinds(report) == [("VAL-013", "ReservedColumn", 1)] * 2 + [("VAL-013", "ReservedColumn", 2)]
    assert "'_secret'" in report.failures[0].detail
    assert "qualified" in report.failures[1].detail
    assert report.failures[2].path == "operations[order=2].parameters.aggregations[0].column"


def test_VAL_014_duplicate_names():
    report = validate_project(
        body(
            update(
                1,
                ("a", "1"),
                ("a", "2"),
                joins=[
                    {"alias": "accounts", "dataset_id": "ds-fx", "on": 'accounts.to_currency = "USD"'},
                    {**FX_JOIN, "alias": "fx"},
                    {**FX_JOIN, "alias": "fx"},
                ],
            ),
            {
                "order": 2,
                "type": "aggregate",
                "parameters": {
                    "group_by": ["currency"],
                    "aggregations": [
                        {"column": "currency", "expression": "MAX_AGG(currency)"},
                        {"column": "n", "expression": "COUNT_ALL()"},
                        {"column": "n", "expression": "COUNT(journal_id)"},
                    ],
                },
            },
        ),
        catalog(),
    )
    assert kinds(report) == [("VAL-014", "DuplicateName", 1)] * 3 + [("VAL-014", "DuplicateName", 2)] * 2
    details = " | ".join(f.detail for f in report.failures)
    assert "'a'" in details and "'accounts' is also a lookup alias" in details
    assert "'fx' is also another join alias" in details and "'currency' is also a group_by column" in details


def test_VAL_015_unsupported_join_condition():
    join = {
        "alias": "fx",
        "dataset_id": "ds-fx",
        "on": 'transactions.currency = fx.from_currency AND fx.rate > amount_local AND fx.to_currency = "USD"',
    }
    report = validate_project(project(update(7, ("amount_reporting", "fx.rate"), joins=[join])), catalog())
    failure = only(report)
    assert (failure.rule, failure.type, failure.operation_order) == ("VAL-015", "UnsupportedJoinCondition", 7)
    assert "fx.rate > amount_local" in failure.detail
    assert failure.path == "operations[order=7].parameters.joins[0].on"


def test_VAL_015_keys_filters_and_guards_are_supported():
    join = {
        "alias": "fx",
        "dataset_id": "ds-fx",
        "on": 'UPPER(currency) = fx.from_currency AND fx.to_currency = "USD" AND amount_local > 0',
    }
    report = validate_project(project(update(1, ("amount_reporting", "fx.rate"), joins=[join])), catalog())
    assert report.ok, report.render()


def test_VAL_016_append_column_not_found():
    report = validate_project(
        project({"order": 6, "type": "append", "parameters": {"source": {"dataset_id": "ds-budgets"}}}), catalog()
    )
    assert {f.type for f in report.failures} == {"AppendColumnNotFound"}
    missing = sorted(f.detail.split()[2] for f in report.failures)
    assert missing == ["amount", "budget_id", "budget_type"]
    assert all(f.rule == "VAL-016" and f.operation_order == 6 for f in report.failures)


def test_VAL_016_aggregation_and_columns_rename_into_working_columns():
    report = validate_project(
        project(
            {
                "order": 1,
                "type": "append",
                "parameters": {
                    "source": {"dataset_id": "ds-budgets"},
                    "source_selector": 'budget_type = "original"',
                    "aggregation": {
                        "group_by": ["account_code", "cost_center_code", "currency"],
                        "aggregations": [{"column": "amount_local", "expression": "SUM(amount)"}],
                    },
                },
            },
            {
                "order": 2,
                "type": "append",
                "parameters": {
                    "source": {"dataset_id": "ds-budgets"},
                    "columns": {
                        "account_code": "account_code",
                        "amount_local": "amount",
                        "description": 'CONCAT("Budget ", budget_id)',
                        "budget": "amount",
                        "line_number": "budget_type",
                    },
                },
            },
        ),
        catalog(),
    )
    # sorted by path: columns.budget before columns.line_number
    assert kinds(report) == [("VAL-016", "AppendColumnNotFound", 2), ("VAL-003", "TypeMismatch", 2)]
    assert report.failures[0].path == "operations[order=2].parameters.columns.budget"
    assert "line_number" in report.failures[1].detail
