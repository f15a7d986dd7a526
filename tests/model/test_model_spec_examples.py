"""Every YAML example of entities.md and operations.md parses (copies under data/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dobo_engine.model.calendar import Calendar, Period
from dobo_engine.model.dataset import DatasetTarget, TableTarget
from dobo_engine.model.datasource import DatabaseOptions, DataSource, ParquetOptions
from dobo_engine.model.documents import authored_content, build_entity, parse_file
from dobo_engine.model.operations import (
    AggregateParameters,
    AppendParameters,
    OutputDestination,
    OutputParameters,
    UpdateParameters,
)
from dobo_engine.model.project import Project
from dobo_engine.model.resolver import PathStrategy, Resolver, TableStrategy
from dobo_engine.model.run import Run
from dobo_engine.model.yaml_loader import load_yaml_file

DATA = Path(__file__).parent / "data"


def _project_with(op: dict[str, Any]) -> Project:
    body = {"id": "p", "name": "P", "input_dataset_id": "ds-gl", "materialization": "eager", "operations": [op]}
    entity = build_entity("project", body)
    assert isinstance(entity, Project)
    return entity


def test_dataset_example_gen2_ds1() -> None:
    [dataset] = parse_file(DATA / "entities_dataset.yaml")
    assert dataset.main_table.columns[3].precision == 18 and dataset.main_table.columns[3].scale == 2
    assert (
        isinstance(dataset.lookups[0].target, TableTarget) and dataset.lookups[0].target.temporal_mode == "bitemporal"
    )
    assert isinstance(dataset.lookups[1].target, DatasetTarget) and dataset.lookups[1].target.dataset_version == 3


def test_datasource_examples_src1() -> None:
    warehouse, lake = parse_file(DATA / "entities_datasources.yaml")
    assert isinstance(warehouse, DataSource) and isinstance(warehouse.options, DatabaseOptions)
    assert warehouse.options.schema == "public" and warehouse.credential_ref == "env://PG_WAREHOUSE"
    assert isinstance(lake.options, ParquetOptions) and lake.options.path_prefix == "s3://fin-lake/data/"
    assert "source_type" not in authored_content(lake)["options"]


def test_calendar_and_period_example_cal2() -> None:
    calendar, period = parse_file(DATA / "entities_calendar_period.yaml")
    assert isinstance(calendar, Calendar) and [lv.name for lv in calendar.levels] == ["year", "quarter", "month"]
    assert calendar.levels[2].date_rules and calendar.levels[2].date_rules[0].end_day == 29
    assert isinstance(period, Period) and period.start_date.isoformat() == "2026-01-01" and period.parent == "2026-Q1"


def test_resolver_example_res1() -> None:
    [resolver] = parse_file(DATA / "entities_resolver.yaml")
    assert isinstance(resolver, Resolver) and resolver.load_warnings == []
    assert isinstance(resolver.rules[0].strategy, TableStrategy) and resolver.rules[0].strategy.schema == "reference"
    assert isinstance(resolver.rules[2].strategy, PathStrategy) and resolver.rules[2].when is None


def test_project_example_d3_prj2() -> None:
    [project] = parse_file(DATA / "entities_project.yaml")
    assert isinstance(project, Project) and project.calendar_id == "fiscal" and project.trace is True
    update = project.operations[0].parameters
    assert isinstance(update, UpdateParameters)
    assert update.joins[0].on.startswith("transactions.currency = fx.from_currency")
    assert isinstance(project.operations[1].parameters, OutputParameters)
    assert project.operation(20) is project.operations[1]


def test_run_example_run2() -> None:
    data = load_yaml_file(DATA / "entities_run.yaml")[0].data["run"]
    data["snapshot"]["operations"] = []  # the example elides them as [ ... ]
    data["snapshot"]["locations"] = []
    run = Run.model_validate(data)
    assert run.snapshot.period.calendar_id == "fiscal" and run.snapshot.today.isoformat() == "2026-02-03"
    assert run.snapshot.clock.microsecond == 4000 and run.error and run.error.code == "WriteFailure"
    assert run.snapshot.resolver_snapshots[1].resolver_version == 5


def test_operation_envelope_example_d3() -> None:
    [op] = load_yaml_file(DATA / "operations_envelope.yaml")[0].data["operations"]
    op["type"] = "delete"  # the example's `parameters: { }` is the delete shape (OP-DEL-1)
    project = _project_with(op)
    assert project.operations[0].selector == "{{EMEA_ONLY}} AND amount_local <> 0"
    assert project.operations[0].name == "convert to USD"


@pytest.mark.parametrize(
    ("file", "type_", "model"),
    [
        ("operations_update.yaml", "update", UpdateParameters),
        ("operations_aggregate.yaml", "aggregate", AggregateParameters),
        ("operations_append.yaml", "append", AppendParameters),
        ("operations_output.yaml", "output", OutputParameters),
    ],
)
def test_operation_parameter_examples(file: str, type_: str, model: type) -> None:
    params = load_yaml_file(DATA / file)[0].data["parameters"]
    project = _project_with({"order": 1, "type": type_, "parameters": params})
    assert isinstance(project.operations[0].parameters, model)


@pytest.mark.parametrize(
    "destination",
    [
        {"datasource_id": "ds-warehouse", "table": "gl_usd", "schema": "reporting"},
        {"datasource_id": "ds-lake", "path": "gl/{{YYYY}}/{{MM}}/gl_usd.parquet"},
    ],
)
def test_output_destination_alternatives_op_out_1(destination: dict[str, str]) -> None:
    project = _project_with({"order": 1, "type": "output", "parameters": {"destination": destination}})
    params = project.operations[0].parameters
    assert isinstance(params, OutputParameters) and isinstance(params.destination, OutputDestination)


def test_append_columns_example_op_app_7() -> None:
    columns = {"account_code": "account_code", "amount_local": "amount", "description": 'CONCAT("Budget ", budget_id)'}
    params = {"source": {"dataset_id": "ds-budgets"}, "columns": columns}
    project = _project_with({"order": 5, "type": "append", "parameters": params})
    assert project.operations[0].parameters.columns == columns
    assert project.operations[0].selector is None


def test_authored_content_is_json_safe_and_leaves_out_system_fields_gen4() -> None:
    body = {
        "id": "ds-x",
        "name": "X",
        "version": 3,
        "status": "active",
        "main_table": {"name": "t", "columns": [{"name": "a", "type": "decimal"}]},
    }
    content = authored_content(build_entity("dataset", body))
    assert "version" not in content and "status" not in content and "created_at" not in content
    assert content["main_table"]["columns"][0]["precision"] == 38 and content["main_table"]["columns"][0]["scale"] == 6
    assert content == authored_content(build_entity("dataset", {**body, "version": 4}))
    snapshot = build_entity(
        "project",
        {
            "id": "p",
            "name": "P",
            "input_dataset_id": "d",
            "materialization": "eager",
            "selectors": {"BIG": "amount > 1.50"},
            "operations": [{"order": 1, "type": "delete"}],
        },
    )
    assert authored_content(snapshot)["operations"][0]["parameters"] == {}
    assert authored_content(snapshot)["selectors"] == {"BIG": "amount > 1.50"}
