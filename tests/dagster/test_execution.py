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
    job = location.get_job_def(job_name(project_id))
    for period in PERIODS:
        result = job.execute_in_process(partition_key=period, instance=instance)
        assert result.success
        record = service().store.get_run(result.run_id)  # the dobo Run id is the Dagster run id (D21)
        assert record.status == "completed" and record.attempt == 1 and record.period_identifier == period
        assert_same_as_dobo_run(result.run_id, project_id, period)


def test_materializations_per_partition_for_trace_and_outputs(location, instance):
    result = location.get_job_def("prj_fx_usd").execute_in_process(partition_key="2026-01", instance=instance)
    trace = [m for m in result.asset_materializations_for_node("load")]
    assert trace[0].asset_key == AssetKey(["dobo", "trace", "prj_fx_usd"]) and trace[0].partition == "2026-01"
    assert trace[0].metadata["rows_created"].value == 10
    (output,) = result.asset_materializations_for_node("op_20")
    assert output.asset_key == AssetKey(["dobo", "output", "prj_fx_usd", "op_20"]) and output.partition == "2026-01"
    assert output.metadata["dagster/row_count"].value == 10
    assert [c.name for c in output.metadata["dagster/column_schema"].value.columns][:2] == ["journal_id", "line_number"]
    # a draft Project writes to the sandbox, which is not its output asset (D16)
    draft = location.get_job_def("prj_review_flags").execute_in_process(partition_key="2026-01", instance=instance)
    assert [m.asset_key.path[1] for m in draft.asset_materializations_for_node("op_20")] == []


def test_job_tags_metadata_and_op_descriptions(location):
    job = location.get_job_def("prj_budget_vs_actual")
    assert job.tags["dobo/project_id"] == "prj-budget-vs-actual" and job.tags["dobo/status"] == "active"
    assert job.tags["dobo/project_version"] == "1" and job.tags["dobo/input_dataset"] == "ds-gl"
    assert [n.name for n in job.graph.nodes_in_topological_order] == [
        "load",
        "op_10",
        "op_20",
        "op_30",
        "op_40",
        "op_50",
    ]
    assert job.graph.node_named("op_20").definition.description == "operation 20: append 'add original budget'"
    assert job.executor_def.name == "in_process"


def test_locked_period_is_refused_with_a_clear_message(location, instance):
    service().store.set_period_status("finance", "2026-01", "closed")
    service().store.set_period_status("finance", "2026-01", "locked")
    job = location.get_job_def("prj_fx_usd")
    with pytest.raises(Exception, match="Period 2026-01 of Calendar finance is locked"):
        job.execute_in_process(partition_key="2026-01", instance=instance)
    assert service().store.list_runs(project_id="prj-fx-usd") == []
