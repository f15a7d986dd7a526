"""Executing Projects as Dagster jobs gives what `dobo run` gives (D12, D17, D21)."""

from __future__ import annotations

import pytest
from dagster import AssetKey

from tests.dagster.helpers import assert_same_as_dobo_run, service

PROJECTS = ["prj-budget-vs-actual", "prj-fx-usd", "prj-monthly-summary", "prj-review-flags"]
PERIODS = ["2026-01", "2026-02"]  # the example Projects run at the leaf level (test_partitions.py: quarters)


def job_name(project_id: str) -> str:
    return project_id.replace("-", "_")


@pytest.mark.parametrize("project_id", PROJECTS)
def test_each_project_and_period_matches_dobo_run(location, instance, project_id):
    job = location.resolve_job_def(job_name(project_id))
    for period in PERIODS:
        result = job.execute_in_process(partition_key=period, instance=instance)
        assert result.success
        record = service().store.get_run(result.run_id)  # the dobo Run id is the Dagster run id (D21)
        assert record.status == "completed" and record.attempt == 1 and record.period_identifier == period
        assert_same_as_dobo_run(result.run_id, project_id, period)


def test_one_materialization_per_asset_partition_and_run(location, instance):
    result = location.resolve_job_def("prj_budget_vs_actual").execute_in_process(
        partition_key="2026-01", instance=instance
    )
    materialized = result.get_asset_materialization_events()
    keys = [e.asset_key for e in materialized]
    trace_key = AssetKey(["dobo", "trace", "prj_budget_vs_actual"])
    output_key = AssetKey(["dobo", "output", "prj_budget_vs_actual", "default", "write_totals"])
    assert sorted(keys) == sorted([trace_key, output_key])  # once each, not once per operation
    assert {e.partition for e in materialized} == {"2026-01"}

    by_key = {e.asset_key: e.step_materialization_data.materialization for e in materialized}
    trace = by_key[trace_key]
    meta = trace.metadata
    assert meta["dobo/run_id"].value == result.run_id
    assert meta["dagster_run"].value == result.run_id  # a link to the run in the UI
    assert meta["dagster/uri"].value.endswith(f"run_id={result.run_id}")
    rows = [r.data for r in meta["dobo/operations"].value.records]
    assert [r["order"] for r in rows] == [0, 10, 20, 30, 40, 50]
    assert {"rows_in", "rows_changed", "rows_created", "rows_deleted"} <= rows[0].keys()
    assert rows[0]["rows_created"] == rows[1]["rows_in"] > 0

    output = by_key[output_key]
    out = output.metadata
    assert out["dagster/row_count"].value > 0 and out["dobo/run_id"].value == result.run_id
    assert [c.name for c in out["dagster/column_schema"].value.columns] == [
        "account_code",
        "currency",
        "line_kind",
        "total_local",
        "line_count",
    ]
    assert "operation=50.parquet" in out["dagster/uri"].value
    lineage = out["dagster/column_lineage"].value.deps_by_column
    gl = AssetKey(["dobo", "dataset", "ds_gl"])
    assert {(d.asset_key, d.column_name) for d in lineage["account_code"]} >= {(gl, "account_code")}
    assert lineage["total_local"] and all(d.asset_key.path[0] == "dobo" for d in lineage["total_local"])


def test_output_assets_are_named_after_their_destination(location, instance):
    result = location.resolve_job_def("prj_monthly_summary").execute_in_process(
        partition_key="2026-01", instance=instance
    )
    keys = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert keys == {
        "dobo/trace/prj_monthly_summary",
        "dobo/output/prj_monthly_summary/default/write_summary",
        "dobo/output/prj_monthly_summary/finance_reports/monthly_summary",
    }
    # a draft Project writes to the sandbox, which is not its output asset (D16): only its trace
    draft = location.resolve_job_def("prj_review_flags").execute_in_process(partition_key="2026-01", instance=instance)
    assert [e.asset_key.path[1] for e in draft.get_asset_materialization_events()] == ["trace"]


def test_job_tags_metadata_and_op_descriptions(location):
    job = location.resolve_job_def("prj_budget_vs_actual")
    assert job.tags["dobo/project_id"] == "prj-budget-vs-actual" and job.tags["dobo/status"] == "active"
    assert job.tags["dobo/project_version"] == "1" and job.tags["dobo/input_dataset"] == "ds-gl"
    (graph,) = [n.definition for n in job.graph.nodes_in_topological_order]  # the Project's ops, one graph
    assert graph.name == "prj_budget_vs_actual_ops"
    assert [n.name for n in graph.nodes_in_topological_order] == [
        "load",
        "op_10_tag_actuals",
        "op_20_add_original_budget",
        "op_30_tag_budget_lines",
        "op_40_totals_per_account_and_kind",
        "op_50_write_totals",
    ]
    assert (
        graph.node_named("op_20_add_original_budget").definition.description
        == "operation 20: append 'add original budget'"
    )
    assert job.executor_def.name == "in_process"


def test_locked_period_is_refused_with_a_clear_message(location, instance):
    service().store.set_period_status("finance", "2026-01", "closed")
    service().store.set_period_status("finance", "2026-01", "locked")
    job = location.resolve_job_def("prj_fx_usd")
    with pytest.raises(Exception, match="Period 2026-01 of Calendar finance is locked"):
        job.execute_in_process(partition_key="2026-01", instance=instance)
    assert service().store.list_runs(project_id="prj-fx-usd") == []
