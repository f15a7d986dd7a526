"""Shared fixtures: the finance sample catalog in memory and a Project body builder."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

from dobo_engine.model.common import Entity
from dobo_engine.model.documents import parse_file, parse_text
from dobo_engine.model.project import Project
from dobo_engine.resolver.catalog import MemoryCatalog
from dobo_engine.validation import ValidationReport

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "examples/finance/catalog"

TEST_RESOLVER = """
resolver:
  id: test-resolver
  name: Test resolver
  rules:
    - { name: all, data_level: any, strategy: { type: path, datasource_id: finance-parquet, path: "{{table_name}}.parquet" } }
"""


@functools.cache
def _parsed(kind: str) -> tuple[Entity, ...]:
    return tuple(e for path in sorted((CATALOG / kind).glob("*.yaml")) for e in parse_file(path))


def entities(kind: str) -> list[Entity]:
    """The sample catalog's entities of one kind (parsed once per test session)."""
    return list(_parsed(kind))


def finance_datasets() -> list[Entity]:
    """The sample Datasets, served by a test Resolver as the scenario harness does (SC-2)."""
    return [d.model_copy(update={"resolver_id": "test-resolver"}) for d in entities("datasets")]


def catalog(*extra: Entity, datasets: list[Entity] | None = None) -> MemoryCatalog:
    found = MemoryCatalog(
        [*(finance_datasets() if datasets is None else datasets), *entities("datasources"), *entities("calendars")]
    )
    for entity in parse_text(TEST_RESOLVER):
        found.add(entity)
    for entity in extra:
        found.add(entity)
    return found


def body(*operations: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A raw Project body over ds-gl with the given operations."""
    data: dict[str, Any] = {
        "id": "prj-test",
        "name": "Test project",
        "input_dataset_id": "ds-gl",
        "materialization": "eager",
        "operations": [copy.deepcopy(op) for op in operations],
    }
    data.update(fields)
    return data


def project(*operations: dict[str, Any], **fields: Any) -> Project:
    return Project.model_validate(body(*operations, **fields))


def update(
    order: int, *assignments: tuple[str, str], selector: str | None = None, joins: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "order": order,
        "type": "update",
        "parameters": {"assignments": [{"column": c, "expression": e} for c, e in assignments]},
    }
    if joins:
        op["parameters"]["joins"] = joins
    if selector is not None:
        op["selector"] = selector
    return op


FX_JOIN = {
    "alias": "fx",
    "dataset_id": "ds-fx",
    "on": 'transactions.currency = fx.from_currency AND fx.to_currency = "USD" AND fx.rate_type = "closing"',
}


def output(order: int, **parameters: Any) -> dict[str, Any]:
    return {"order": order, "type": "output", "parameters": {"destination": "default", **parameters}}


def kinds(report: ValidationReport) -> list[tuple[str, str, int | None]]:
    return [(f.rule, f.type, f.operation_order) for f in report.failures]


def only(report: ValidationReport):
    assert len(report.failures) == 1, report.render()
    return report.failures[0]
