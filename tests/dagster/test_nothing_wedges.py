"""Nothing wedges (D15, RUN-5, RUN-8): a dobo Run never outlives its Dagster run, and a held Period never fails a run.

* A Dagster run that is canceled (Terminate) or fails without its op ending
  the dobo Run (worker killed) leaves it `running`; the run-status sensors end
  it (cancelled / failed, WorkerLost), so the next launch of the Period runs.
* The next launch does not wait for the sensor: its first op ends such a Run itself.
* A Run made outside Dagster (`dobo run`) holding the Period makes a Dagster
  run skip its work with a warning: the run succeeds, nothing is written.
"""

from __future__ import annotations

import pytest
from dagster import DagsterEventType, DagsterRunStatus, build_run_status_sensor_context

from dobo_dagster.settle import settle_if_ended
from tests.dagster.helpers import service
from tests.dagster.locations import launch
from tests.dagster.test_reexecution import JOB, PROJECT

PERIOD = "2026-01"


def busy_dagster_run(instance):
    """A Dagster run whose op created and started its dobo Run, then stopped without ending it."""
    run, tags = launch(instance, JOB, PERIOD)
    svc = service()
    svc.create_run(PROJECT, PERIOD, run_id=run.run_id)
    svc.start(run.run_id)  # as the op does: no lease, Dagster watches the process
    return run, tags


def _event(instance, run_id: str, kind: DagsterEventType):
    (record,) = instance.get_records_for_run(run_id, of_type=kind).records
    return record.event_log_entry.dagster_event


@pytest.mark.parametrize(
    ("report", "kind", "sensor", "status"),
    [
        ("report_run_canceled", DagsterEventType.RUN_CANCELED, "dobo_run_canceled", "cancelled"),
        ("report_run_failed", DagsterEventType.RUN_FAILURE, "dobo_run_failed", "failed"),
    ],
)
def test_run_status_sensor_ends_the_dobo_run_of_an_ended_dagster_run(location, instance, report, kind, sensor, status):
    run, _ = busy_dagster_run(instance)
    getattr(instance, report)(instance.get_run_by_id(run.run_id))
    ended = instance.get_run_by_id(run.run_id)
    sensor_def = location.get_sensor_def(sensor)
    context = build_run_status_sensor_context(
        sensor_name=sensor,
        dagster_event=_event(instance, run.run_id, kind),
        dagster_instance=instance,
        dagster_run=ended,
    )
    sensor_def(context)
    record = service().store.get_run(run.run_id)
    assert record.status == status
    if status == "failed":  # resumable by re-execute from failure (RUN-7)
        assert record.error["code"] == "WorkerLost" and run.run_id in record.error["message"]
    # The Period is free: the next launch runs.
    result = location.resolve_job_def(JOB).execute_in_process(partition_key=PERIOD, instance=instance)
    assert result.success and service().store.get_run(result.run_id).status == "completed"


def test_the_next_launch_ends_an_abandoned_run_without_waiting_for_the_sensor(location, instance):
    run, _ = busy_dagster_run(instance)
    instance.report_run_canceled(instance.get_run_by_id(run.run_id))  # terminated; no sensor tick yet
    result = location.resolve_job_def(JOB).execute_in_process(partition_key=PERIOD, instance=instance)
    assert result.success and service().store.get_run(result.run_id).status == "completed"
    assert service().store.get_run(run.run_id).status == "cancelled"


def test_a_live_attempt_is_never_settled(location, instance):
    """A failed root whose re-execution is running: the Run belongs to the live attempt."""
    run, _ = busy_dagster_run(instance)
    instance.report_run_failed(instance.get_run_by_id(run.run_id))
    child, _ = launch(instance, JOB, PERIOD)
    instance.add_run_tags(child.run_id, {"dagster/root_run_id": run.run_id})
    instance.handle_run_event(
        child.run_id,
        _event(instance, run.run_id, DagsterEventType.RUN_FAILURE)._replace(
            event_type_value=DagsterEventType.RUN_START.value, job_name=child.job_name
        ),
    )
    assert instance.get_run_by_id(child.run_id).status == DagsterRunStatus.STARTED
    assert settle_if_ended(instance, service(), run.run_id) is None
    assert service().store.get_run(run.run_id).status == "running"


def test_a_period_held_outside_dagster_skips_the_run_instead_of_failing_it(location, instance):
    held = service().create_run(PROJECT, PERIOD)  # e.g. `dobo run` in progress: queued or running
    result = location.resolve_job_def(JOB).execute_in_process(partition_key=PERIOD, instance=instance)
    assert result.success  # no red run
    skipped = {e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_SKIPPED}
    assert {s.split(".")[-1].split("_")[1] for s in skipped} == {"10", "20", "30", "40", "50"}
    warnings = [e.message for e in instance.all_logs(result.run_id) if e.level >= 30]
    assert any("ConcurrentRunConflict" in (m or "") for m in warnings), warnings
    assert [r.id for r in service().store.list_runs(project_id=PROJECT)] == [held.id]  # the CLI Run is untouched
