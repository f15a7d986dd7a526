"""Each operation answers what it reads and writes (model/operations.py).

Catalog apply (OP-JOIN-1, OP-APP-1), impact analysis (PRJ-12), lookup loading
(LK-5), the scenario harness and the Dagster lineage all ask the operation,
so these answers are checked once here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dobo_engine.model.documents import build_entity, parse_file
from dobo_engine.model.operations import DatasetRead, ExpressionAt
from dobo_engine.model.project import Project

EXAMPLE_PROJECTS = sorted(
    (Path(__file__).resolve().parents[2] / "examples" / "finance" / "catalog" / "projects").glob("*.yaml")
)


def _project(*operations: dict[str, Any]) -> Project:
    body = {
        "id": "p",
        "name": "P",
        "input_dataset_id": "ds-gl",
        "materialization": "eager",
        "operations": list(operations),
    }
    entity = build_entity("project", body)
    assert isinstance(entity, Project)
    return entity


UPDATE = {
    "order": 10,
    "type": "update",
    "selector": "amount > 0",
    "parameters": {
        "joins": [{"alias": "fx", "dataset_id": "ds-fx", "dataset_version": 2, "on": "fx.currency = currency"}],
        "assignments": [
            {"column": "amount_usd", "expression": "amount * fx.rate"},
            {"column": "_labels.reviewed", "expression": "'yes'"},
        ],
    },
}
APPEND = {
    "order": 20,
    "type": "append",
    "parameters": {
        "source": {"dataset_id": "ds-budgets"},
        "source_selector": "budget > 0",
        "aggregation": {"group_by": ["account"], "aggregations": [{"column": "budget", "expression": "SUM(budget)"}]},
        "columns": {"amount": "budget"},
    },
}
AGGREGATE = {
    "order": 30,
    "type": "aggregate",
    "parameters": {
        "group_by": ["accounts.category", "currency"],
        "aggregations": [{"column": "total", "expression": "SUM(amount)"}],
    },
}
OUTPUT = {"order": 40, "type": "output", "parameters": {"destination": "default", "columns": ["account", "total"]}}
DELETE = {"order": 50, "type": "delete", "selector": "total = 0"}


def test_an_update_reads_its_runtime_join_datasets_without_their_lookups_op_join_1():
    update = _project(UPDATE).operations[0]
    assert update.datasets_read() == [DatasetRead("ds-fx", 2, ("parameters", "joins", 0), "OP-JOIN-1", alias="fx")]
    assert update.datasets_read()[0].role == "join 'fx'"
    assert update.columns_assigned() == ["amount_usd", "_labels.reviewed"]
    assert update.columns_named() == []


def test_an_append_reads_its_source_with_lookups_and_all_its_expressions_read_the_source_op_app_1():
    append = _project(APPEND).operations[0]
    assert append.datasets_read() == [
        DatasetRead("ds-budgets", None, ("parameters", "source"), "OP-APP-1", with_lookups=True)
    ]
    assert append.datasets_read()[0].role == "append source"
    assert append.expressions() == [
        ExpressionAt(("parameters", "source_selector"), "budget > 0", "source"),
        ExpressionAt(("parameters", "aggregation", "aggregations", 0, "expression"), "SUM(budget)", "source"),
        ExpressionAt(("parameters", "columns", "amount"), "budget", "source"),
    ]
    assert append.expressions("working") == []
    assert append.columns_assigned() == ["amount"]  # OP-APP-4: lands in the working column of that name


def test_selector_comes_first_then_parameters_in_yaml_order():
    update = _project(UPDATE).operations[0]
    assert [(e.path, e.scope) for e in update.expressions()] == [
        (("selector",), "working"),
        (("parameters", "joins", 0, "on"), "working"),
        (("parameters", "assignments", 0, "expression"), "working"),
        (("parameters", "assignments", 1, "expression"), "working"),
    ]


def test_aggregate_and_output_name_the_columns_they_read_and_assign_none():
    aggregate, output, delete = _project(AGGREGATE, OUTPUT, DELETE).operations
    assert aggregate.columns_named() == ["accounts.category", "currency"]
    assert [e.text for e in aggregate.expressions()] == ["SUM(amount)"]
    assert output.columns_named() == ["account", "total"]
    assert [e.text for e in delete.expressions()] == ["total = 0"]
    for op in (aggregate, output, delete):
        assert op.columns_assigned() == [] and op.datasets_read() == []


def _at(document: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


@pytest.mark.parametrize("path", EXAMPLE_PROJECTS, ids=lambda p: p.stem)
def test_every_expression_path_of_the_example_projects_leads_to_its_text(path: Path):
    [project] = parse_file(path)
    assert isinstance(project, Project)
    seen = 0
    for op in project.operations:
        written = op.model_dump(mode="json")
        for expression in op.expressions():
            assert _at(written, expression.path) == expression.text
            seen += 1
        for read in op.datasets_read():
            assert _at(written, read.path)["dataset_id"] == read.dataset_id
    assert seen > 0
