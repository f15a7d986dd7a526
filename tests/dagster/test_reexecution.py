"""Re-execute from failure resumes the same dobo Run (D21, RUN-7); edits never change what a Run runs (D13)."""

from __future__ import annotations

from dagster import ReexecutionOptions, execute_job
from dagster._core.execution.api import execute_run

from tests.dagster.helpers import assert_same_as_dobo_run, inject_failure, outputs_of, service
from tests.dagster.locations import launch, recon_repo

JOB = "prj_budget_vs_actual"
PROJECT = "prj-budget-vs-actual"


def structural_edit(first_op_expression: str) -> None:
    """A new Project version: operation 30 changed and an operation 35 added."""
    store = service().store
    content = store.get_entity("project", PROJECT).content
    ops = content["operations"]
    ops[2]["parameters"]["assignments"][0]["expression"] = first_op_expression
    ops.insert(3, {"order": 35, "type": "delete", "selector": "TRUE"})
    assert store.put_entity("project", PROJECT, content).version == 2


def test_reexecution_from_failure_runs_only_the_failed_ops_and_matches_a_clean_run(location, instance, monkeypatch):
    with monkeypatch.context() as patch:
        inject_failure(patch, 30)
        run, tags = launch(instance, JOB, "2026-01")
        parent = execute_run(recon_repo().get_reconstructable_job(JOB), run, instance)
    assert not parent.success
    record = service().store.get_run(run.run_id)
    assert record.status == "failed" and record.last_completed_operation == 20
    assert record.error["operation_order"] == 30 and "injected failure" in record.error["message"]

    child = execute_job(
        recon_repo().get_reconstructable_job(JOB),
        instance,
        tags=tags,
        reexecution_options=ReexecutionOptions.from_failure(run.run_id, instance),
    )
    assert child.success
    executed = {e.step_key.split(".")[-1] for e in child.all_events if e.event_type_value == "STEP_START"}
    assert executed == {"op_30_tag_budget_lines", "op_40_totals_per_account_and_kind", "op_50_write_totals"}
    record = service().store.get_run(run.run_id)  # the same dobo Run, a second attempt
    assert record.status == "completed" and record.attempt == 2
    # one trace materialization for the Run, with the counts of every operation over both attempts
    (trace,) = [e for e in child.get_asset_materialization_events() if e.asset_key.path[1] == "trace"]
    metadata = trace.materialization.metadata
    assert metadata["dobo/run_id"].value == run.run_id
    assert [r.data["order"] for r in metadata["dobo/operations"].value.records] == [0, 10, 20, 30, 40, 50]
    assert_same_as_dobo_run(run.run_id, PROJECT, "2026-01")


def test_edit_between_run_creation_and_start_does_not_change_what_runs(location, instance):
    run, _ = launch(instance, JOB, "2026-01")
    structural_edit('"edited"')
    result = execute_run(recon_repo().get_reconstructable_job(JOB), run, instance)
    assert result.success
    record = service().store.get_run(run.run_id)
    assert record.project_version == 1 and [o["order"] for o in record.snapshot["operations"]] == [10, 20, 30, 40, 50]
    (written,) = outputs_of(run.run_id).values()  # the totals per account and kind
    assert "edited" not in "".join(written) and "'budget'" in "".join(written)


def test_edit_before_a_resume_does_not_change_what_runs(location, instance, monkeypatch):
    with monkeypatch.context() as patch:
        inject_failure(patch, 30)
        run, tags = launch(instance, JOB, "2026-01")
        assert not execute_run(recon_repo().get_reconstructable_job(JOB), run, instance).success
    structural_edit('"edited"')  # the reloaded location now has op_35 and a changed op_30

    child = execute_job(
        recon_repo().get_reconstructable_job(JOB),
        instance,
        tags=tags,
        reexecution_options=ReexecutionOptions.from_failure(run.run_id, instance),
    )
    assert child.success
    record = service().store.get_run(run.run_id)
    assert record.status == "completed" and record.attempt == 2 and record.project_version == 1
    service().store.put_entity("project", PROJECT, service().store.get_entity("project", PROJECT, 1).content)
    assert_same_as_dobo_run(run.run_id, PROJECT, "2026-01")
