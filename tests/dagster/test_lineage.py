"""Column lineage of an output, derived from the Project's expressions (`dagster/column_lineage`)."""

from __future__ import annotations

from dobo_dagster.lineage import column_lineage
from dobo_dagster.translator import DoboTranslator
from tests.dagster.helpers import service


def lineage_of(project_id: str, order: int, columns: list[str]) -> dict[str, set[tuple[str, str]]]:
    project = service().catalog.project(project_id)
    output = next(op for op in project.operations if op.order == order)
    found = column_lineage(project.input_dataset_id, project.operations, output, columns, DoboTranslator())
    return {c: {(d.asset_key.path[-1], d.column_name) for d in deps} for c, deps in found.deps_by_column.items()}


def test_each_output_column_comes_from_the_input_columns_its_expressions_read(finance):
    found = lineage_of(
        "prj-budget-vs-actual", 50, ["account_code", "currency", "line_kind", "total_local", "line_count", "_period"]
    )
    assert found == {
        "account_code": {("ds_gl", "account_code"), ("ds_budgets", "account_code")},  # input + append source
        "currency": {("ds_gl", "currency"), ("ds_budgets", "currency")},
        "line_kind": set(),  # constants only
        "total_local": {("ds_gl", "amount_local"), ("ds_budgets", "amount")},  # SUM over the appended amount too
        "line_count": set(),  # COUNT_ALL()
    }  # system columns (`_period`) have no lineage
