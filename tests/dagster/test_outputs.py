"""Outputs are written by the `dobo_outputs` IO manager (OP-OUT-1, RUN-4, RUN-5, RUN-7, D16, D25).

An `output` operation's op yields the rows it selected; Dagster has the IO
manager write them through the engine's writer for the Run, report the step,
and materialize the asset with what was written, before the op goes on.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from dagster import (
    AssetIn,
    AssetKey,
    DagsterInvalidConfigError,
    Definitions,
    EnvVar,
    MaterializeResult,
    ReexecutionOptions,
    asset,
    define_asset_job,
    execute_job,
)
from dagster._core.execution.api import execute_run

from dobo_dagster.inputs import DATASETS_KEY
from dobo_dagster.location import build_definitions
from dobo_dagster.outputs import OUTPUTS_KEY, DestinationIOManager, WrittenOutput
from dobo_engine.runner.outputs import DestinationOutputs
from dobo_engine.settings import Settings
from tests.dagster.conftest import sync_partitions
from tests.dagster.helpers import assert_same_as_dobo_run, inject_failure, service
from tests.dagster.locations import launch, recon_repo

JOB, PROJECT = "prj_budget_vs_actual", "prj-budget-vs-actual"
TOTALS = AssetKey(["dobo", "output", "prj_budget_vs_actual", "default", "write_totals"])
OUTPUT_METADATA = {
    "dagster/row_count",
    "dagster/column_schema",
    "dagster/uri",
    "dagster/column_lineage",
    "dobo/run_id",
    "dobo/project_version",
    "dobo/operation_order",
    "dobo/made_by",
    "dagster_run",
}


def spy_writes(patch: pytest.MonkeyPatch) -> list[tuple[int, int | None]]:
    """(operation written, the Run's last_completed_operation at that moment), for every output write."""
    seen: list[tuple[int, int | None]] = []
    real = DestinationOutputs.write

    def spying(self, frame, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((kwargs["operation_order"], service().store.get_run(self.run_id).last_completed_operation))
        return real(self, frame, **kwargs)

    patch.setattr(DestinationOutputs, "write", spying)
    return seen


def handled_by(result, step: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(event type, output name) of a step's outputs, handled outputs and materializations, in order."""
    found = []
    for event in result.all_events:
        if not (event.step_key or "").endswith(step):
            continue
        if event.event_type_value == "STEP_OUTPUT":
            found.append(("output", event.event_specific_data.step_output_handle.output_name))
        elif event.event_type_value == "HANDLED_OUTPUT":
            data = event.event_specific_data
            found.append((f"handled by {data.manager_key}", data.output_name))
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            found.append(("materialized", event.asset_key.to_user_string()))
    return found


def test_the_output_asset_is_written_by_dobo_outputs_before_its_step_is_reported_RUN_4(location, instance, monkeypatch):
    seen = spy_writes(monkeypatch)
    result = location.resolve_job_def(JOB).execute_in_process(partition_key="2026-01", instance=instance)
    assert result.success
    assert seen == [(50, 40)]  # written while operation 40 was still the last durable step
    assert service().store.get_run(result.run_id).status == "completed"

    # Dagster hands the rows to dobo_outputs as they are yielded, before the op yields its trace.
    assert handled_by(result, "op_50_write_totals") == [
        ("output", "asset"),
        ("materialized", TOTALS.to_user_string()),
        ("handled by dobo_outputs", "asset"),
        ("output", "trace"),
        ("materialized", "dobo/trace/prj_budget_vs_actual"),
    ]
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == TOTALS]
    metadata = event.step_materialization_data.materialization.metadata
    assert set(metadata) == OUTPUT_METADATA
    written = Path(metadata["dagster/uri"].value)
    expected = Path(Settings.from_env().output_root) / PROJECT / "2026-01" / "operation=50.parquet"
    assert written == expected
    frame = pl.read_parquet(written)
    assert metadata["dagster/row_count"].value == frame.height > 0
    assert [(c.name, c.type) for c in metadata["dagster/column_schema"].value.columns] == [
        (name, str(dtype)) for name, dtype in frame.schema.items()
    ]
    assert metadata["dobo/run_id"].value == metadata["dagster_run"].value == result.run_id
    assert metadata["dobo/operation_order"].value == 50 and metadata["dobo/made_by"].value == "dagster"
    assert_same_as_dobo_run(result.run_id, PROJECT, "2026-01")


@pytest.mark.parametrize("from_env", [False, True])
def test_a_deployment_moves_datasource_outputs_by_configuring_dobo_outputs_OP_OUT_1(
    finance, instance, tmp_path, monkeypatch, from_env
):
    elsewhere = tmp_path / "other-storage"
    monkeypatch.setenv("OUTPUTS_DATA_ROOT", str(elsewhere))
    root = EnvVar("OUTPUTS_DATA_ROOT") if from_env else str(elsewhere)  # EnvVar: read when a run starts
    defs = build_definitions(resources={OUTPUTS_KEY: DestinationIOManager(data_root=root)})
    sync_partitions(defs, instance)
    result = defs.resolve_job_def("prj_monthly_summary").execute_in_process(partition_key="2026-01", instance=instance)
    assert result.success and service().store.get_run(result.run_id).status == "completed"

    # finance-reports has the relative prefix `.dobo/reports`: under the resource's data_root now
    report = elsewhere / ".dobo/reports/monthly-summary/2026-01.csv"
    assert report.is_file() and pl.read_csv(report).height > 0
    data_root = Path(Settings.from_env().data_root)  # the Datasets are still read from here
    assert not (data_root / ".dobo/reports").exists()
    uris = {
        e.asset_key.path[-1]: e.step_materialization_data.materialization.metadata["dagster/uri"].value
        for e in result.get_asset_materialization_events()
        if e.asset_key.path[1] == "output"
    }
    assert uris["monthly_summary"] == str(report)
    # a default destination stays under $DOBO_OUTPUT_ROOT, where registered outputs are read back (D25)
    assert uris["write_summary"].startswith(Settings.from_env().output_root)


@pytest.mark.parametrize("key", [OUTPUTS_KEY, DATASETS_KEY])
def test_a_launch_cannot_move_where_a_run_reads_or_writes_D16(location, instance, tmp_path, key):
    moved = {"resources": {key: {"config": {"data_root": str(tmp_path / "elsewhere")}}}}
    with pytest.raises(DagsterInvalidConfigError, match=key):
        location.resolve_job_def("prj_monthly_summary").execute_in_process(
            run_config=moved, partition_key="2026-01", instance=instance
        )
    assert instance.get_runs() == [] and service().store.list_runs() == []
    assert not (tmp_path / "elsewhere").exists()


def test_a_failed_write_fails_the_run_at_its_operation_and_reexecution_writes_it_RUN_5_RUN_7(location, instance):
    # a regular file where the output's folder must be created: the write fails
    blocker = Path(Settings.from_env().output_root) / PROJECT / "2026-01"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    run, tags = launch(instance, JOB, "2026-01")
    parent = execute_run(recon_repo().get_reconstructable_job(JOB), run, instance)
    assert not parent.success
    record = service().store.get_run(run.run_id)
    assert record.status == "failed" and record.last_completed_operation == 40
    assert record.error["operation_order"] == 50 and record.error["code"] == "WriteFailure"
    failure = parent.failure_data_for_node(f"{JOB}_ops.op_50_write_totals")
    assert failure is not None and f"dobo Run {run.run_id} failed at operation 50" in str(failure.error)
    assert [e.asset_key for e in parent.get_asset_materialization_events()] == []  # nothing was written

    blocker.unlink()
    child = execute_job(
        recon_repo().get_reconstructable_job(JOB),
        instance,
        tags=tags,
        reexecution_options=ReexecutionOptions.from_failure(run.run_id, instance),
    )
    assert child.success
    executed = {e.step_key.split(".")[-1] for e in child.all_events if e.event_type_value == "STEP_START"}
    assert executed == {"op_50_write_totals"}
    record = service().store.get_run(run.run_id)  # the same dobo Run, completed by its second attempt
    assert record.status == "completed" and record.attempt == 2
    (event,) = [e for e in child.get_asset_materialization_events() if e.asset_key == TOTALS]
    assert event.step_materialization_data.materialization.metadata["dobo/run_id"].value == run.run_id
    assert_same_as_dobo_run(run.run_id, PROJECT, "2026-01")


def test_a_draft_run_writes_to_the_sandbox_only_and_materializes_no_output_D16(location, instance):
    result = location.resolve_job_def("prj_review_flags").execute_in_process(partition_key="2026-01", instance=instance)
    assert result.success and service().store.get_run(result.run_id).sandbox
    handled = [e for e in result.all_events if e.event_type_value == "HANDLED_OUTPUT"]
    assert all(e.event_specific_data.manager_key != OUTPUTS_KEY for e in handled)  # never handed over
    assert [e.asset_key.path[1] for e in result.get_asset_materialization_events()] == ["trace"]
    settings = Settings.from_env()
    sandboxed = sorted(Path(settings.sandbox_root).rglob("*.parquet"))
    assert sandboxed and all(result.run_id in str(p) for p in sandboxed)
    assert not Path(settings.output_root).exists() or list(Path(settings.output_root).rglob("*")) == []


def test_a_downstream_dagster_asset_gets_where_the_output_was_written(location, instance):
    upstream = location.resolve_job_def(JOB).execute_in_process(partition_key="2026-01", instance=instance)
    received: list[WrittenOutput] = []

    @asset(partitions_def=location.resolve_assets_def(TOTALS).partitions_def, ins={"totals": AssetIn(key=TOTALS)})
    def totals_report(totals: WrittenOutput) -> MaterializeResult:
        received.append(totals)
        return MaterializeResult()

    defs = Definitions.merge(
        location, Definitions(assets=[totals_report], jobs=[define_asset_job("report", [totals_report.key])])
    )
    assert defs.resolve_job_def("report").execute_in_process(partition_key="2026-01", instance=instance).success
    (pointer,) = received
    written = pl.read_parquet(pointer.uri)
    assert pointer.asset_key == TOTALS.to_user_string() and pointer.partition == "2026-01"
    assert pointer.dobo_run_id == upstream.run_id and pointer.row_count == written.height
    assert pointer.columns == tuple(written.columns)

    never = defs.resolve_job_def("report").execute_in_process(
        partition_key="2026-02", instance=instance, raise_on_error=False
    )
    assert not never.success
    assert "has no materialization for 2026-02" in str(never.failure_data_for_node("totals_report").error)


def test_after_an_edit_the_last_op_hands_its_output_over_then_runs_the_runs_later_operations_RUN_7(
    location, instance, monkeypatch
):
    store = service().store
    first = store.get_entity("project", PROJECT).content
    with_60 = {**first, "operations": [*first["operations"], {"order": 60, "type": "output", "name": "all rows"}]}
    with_60["operations"][-1]["parameters"] = {"destination": "default"}
    assert store.put_entity("project", PROJECT, with_60).version == 2
    with monkeypatch.context() as patch:
        inject_failure(patch, 30)
        run, tags = launch(instance, JOB, "2026-01")  # the Run executes version 2 (ops 10..60)
        assert not execute_run(recon_repo().get_reconstructable_job(JOB), run, instance).success
    assert store.put_entity("project", PROJECT, first).version == 3  # the location's last op is op_50 again

    seen = spy_writes(monkeypatch)
    child = execute_job(
        recon_repo().get_reconstructable_job(JOB),
        instance,
        tags=tags,
        reexecution_options=ReexecutionOptions(
            parent_run_id=run.run_id, step_selection=[f"{JOB}_ops.op_30_tag_budget_lines*"]
        ),
    )
    assert child.success
    record = store.get_run(run.run_id)
    assert record.status == "completed" and record.attempt == 2 and record.project_version == 2
    # op_50 hands operation 50 to dobo_outputs; operation 60 runs only once 50 is durable
    assert seen == [(50, 40), (60, 50)]
    assert ("handled by dobo_outputs", "asset") in handled_by(child, "op_50_write_totals")
    keys = {e.asset_key.to_user_string() for e in child.get_asset_materialization_events()}
    assert keys == {
        TOTALS.to_user_string(),
        "dobo/output/prj_budget_vs_actual/default/all_rows",  # written by the engine, logged as an event
        "dobo/trace/prj_budget_vs_actual",
    }
    store.put_entity("project", PROJECT, with_60)  # `dobo run` of what the Run executed
    assert_same_as_dobo_run(run.run_id, PROJECT, "2026-01")
