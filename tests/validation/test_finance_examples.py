"""The finance sample projects validate clean against the sample Datasets (entities.md §8)."""

from __future__ import annotations

import pytest

from dobo_engine.model.project import Project
from dobo_engine.validation import validate_project
from tests.validation.helpers import CATALOG, FX_JOIN, catalog, entities, output, project, update

EXAMPLE_PROJECTS = sorted(p.stem for p in (CATALOG / "projects").glob("*.yaml"))


@pytest.mark.parametrize("name", EXAMPLE_PROJECTS)
def test_example_catalog_projects_validate_clean(name):
    (prj,) = [p for p in entities("projects") if p.id == name]
    assert isinstance(prj, Project)
    for purpose in ("activation", "check", "run"):
        # Activation validates a stored draft: a declared `status: active` is the request, not the state (D22).
        report = validate_project(prj, catalog(), purpose=purpose, status="draft")
        assert report.ok, report.render()
        assert report.warnings == []


def test_spec_fx_conversion_project_validates_clean():
    """The entities.md §5 example: EMEA selector, RuntimeJoin to ds-fx, output of the converted lines."""
    prj = project(
        update(
            10, ("amount_reporting", "transactions.amount_local * fx.rate"), selector="{{EMEA_ONLY}}", joins=[FX_JOIN]
        ),
        output(
            20,
            columns=["journal_id", "line_number", "currency", "amount_local", "amount_reporting"],
            destination={"datasource_id": "finance-parquet", "path": "gl/{{YYYY}}/{{MM}}/emea_usd.parquet"},
        ),
        selectors={"EMEA_ONLY": 'cost_centers.region = "EMEA"'},
        input_dataset_version=1,
        calendar_id="finance",
    )
    report = validate_project(prj, catalog())
    assert report.ok and report.warnings == [], report.render()


def test_dsl_examples_validate_clean_in_an_update():
    """dsl.md §11 examples 1-18 in their contexts."""
    prj = project(
        update(
            1,
            ("usd", "transactions.amount_local * fx.rate"),
            ("signed", 'IF(accounts.type = "revenue", -amount_local, amount_local)'),
            ("label", 'CONCAT(accounts.code, " - ", accounts.name)'),
            ("key", 'CONCAT(journal_id, "/", line_number)'),
            ("half", "line_number / 2"),
            ("rounded", "ROUND(amount_local * 1.05, 2)"),
            ("thousands", "FLOOR(amount_local / 1000)"),
            ("age", 'DATEDIFF(DATE("2026-01-31"), posting_date)'),
            joins=[FX_JOIN],
            selector='source_system = "ERP" AND amount_local > 1000 AND posting_date >= TODAY() - 30',
        ),
        {"order": 2, "type": "delete", "selector": 'NOT cost_centers.is_active OR CONTAINS(UPPER(description), "X")'},
        update(3, ("review", '"yes"'), selector='ISNULL(cost_center_code) OR cost_centers.region = "EMEA"'),
        update(4, ("_labels.checked", '"y"'), selector='LABEL("review") = "pending"'),
        {
            "order": 5,
            "type": "aggregate",
            "parameters": {
                "group_by": ["currency"],
                "aggregations": [
                    {"column": "average", "expression": "SUM(amount_local) / COUNT_ALL()"},
                    {"column": "side", "expression": 'IF(SUM(amount_local) >= 0, "debit", "credit")'},
                ],
            },
        },
        output(6),
    )
    report = validate_project(prj, catalog())
    assert report.ok, report.render()
