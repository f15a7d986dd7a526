"""Nothing wedges: a dobo Run whose Dagster run has ended is ended too (D15, RUN-5, RUN-8).

A Dagster run can end without its op recording the end of the dobo Run: it is
terminated from the UI (the worker is interrupted), its worker is killed, or
run monitoring gives up on it. The dobo Run is then left `running` and holds
its Project and Period (D15). Dagster-run dobo Runs hold no lease (Dagster
watches their process), so the store's reaper never frees them; this module
does, through the run service only:

* the Dagster run was canceled -> the dobo Run is cancelled (RUN-8);
* it failed or ended otherwise -> the dobo Run fails with `WorkerLost`, and
  "re-execute from failure" resumes it (RUN-7).

A dobo Run is settled only when every Dagster run of its family (the root and
its re-executions, D21) has ended, so a live attempt is never touched. It is
called by the run-status sensors (`run_end_sensors`) and, so that the
next launch of the Period never has to wait for a sensor tick, by the first
op of a new run whose Project and Period the store finds held.
"""

from __future__ import annotations

from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    RunStatusSensorContext,
    RunStatusSensorDefinition,
    SkipReason,
    run_status_sensor,
)

from dobo_dagster.resources import run_service
from dobo_dagster.translator import ROOT_RUN_TAG, TAG_PROJECT
from dobo_engine.errors import OperationFailure, RunNotFound, WorkerLost
from dobo_engine.runner.service import RunService
from dobo_engine.store.records import RunRecord

# A Dagster run in one of these may still write to its dobo Run.
LIVE_STATUSES = (
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
)
HOLDING = ("queued", "running")


def latest_attempt(instance: DagsterInstance, dobo_run_id: str) -> DagsterRun | None:
    """The newest Dagster run of the family, or None if a run of it is still live or none is known.

    None for a dobo Run that is not a Dagster run (a `dobo run` Run: its lease settles it).
    """
    root = instance.get_run_by_id(dobo_run_id)
    if root is None:
        return None
    family = [root, *instance.get_runs(RunsFilter(tags={ROOT_RUN_TAG: dobo_run_id}))]
    if any(r.status in LIVE_STATUSES for r in family):
        return None
    return max(family, key=lambda r: _created(instance, r))


def _created(instance: DagsterInstance, run: DagsterRun) -> float:
    record = instance.get_run_record_by_id(run.run_id)
    return record.create_timestamp.timestamp() if record is not None else 0.0


def settle(service: RunService, dobo_run_id: str, ended: DagsterRun) -> RunRecord | None:
    """End the dobo Run after its Dagster run `ended`; the Run as it is now (None if there is none)."""
    try:
        record = service.store.get_run(dobo_run_id)
    except RunNotFound:
        return None
    if record.status not in HOLDING:
        return record
    status = ended.status.value
    if record.status == "queued":  # never started: cancelled at once (RUN-8)
        return service.cancel(dobo_run_id)
    if ended.status == DagsterRunStatus.CANCELED:
        # A cancel is requested, then recorded as the stop the Dagster run never reached (RUN-8).
        service.cancel(dobo_run_id)
        return service.fail(
            dobo_run_id, OperationFailure(f"the Dagster run {ended.run_id} was {status.lower()}", rule="RUN-8")
        )
    last = record.last_completed_operation
    done = "nothing" if last is None else "the load" if last == 0 else f"operation {last}"
    return service.fail(
        dobo_run_id,
        WorkerLost(
            f"the Dagster run {ended.run_id} ended {status} while the dobo Run was running "
            f"(its worker stopped or was lost); last completed: {done}",
            rule="RUN-5",
            detail="re-execute the Dagster run from failure to resume it (RUN-7)",
        ),
    )


def settle_if_ended(instance: DagsterInstance, service: RunService, dobo_run_id: str) -> RunRecord | None:
    """Settle the dobo Run if every Dagster run of its family has ended; else leave it."""
    ended = latest_attempt(instance, dobo_run_id)
    return settle(service, dobo_run_id, ended) if ended is not None else None


def settle_abandoned(
    instance: DagsterInstance, service: RunService, project_id: str, calendar_id: str, period_identifier: str
) -> bool:
    """Settle the Runs holding this Project and Period whose Dagster runs have ended; True if one was freed."""
    held = service.store.list_runs(
        project_id=project_id,
        period_identifier=period_identifier,
        status=list(HOLDING),
        calendar_id=calendar_id or None,
    )
    freed = False
    for record in held:
        settled = settle_if_ended(instance, service, record.id)
        freed = freed or (settled is not None and settled.status not in HOLDING)
    return freed


def _on_run_end(context: RunStatusSensorContext) -> SkipReason:
    run = context.dagster_run
    if TAG_PROJECT not in run.tags:
        return SkipReason(f"run {run.run_id} is not a dobo run")
    dobo_run_id = run.root_run_id or run.run_id
    settled = settle_if_ended(context.instance, run_service(), dobo_run_id)
    if settled is None:
        return SkipReason(f"dobo Run {dobo_run_id}: nothing to settle (no Run, or an attempt is still live)")
    context.log.info(f"dobo Run {dobo_run_id} is {settled.status} after Dagster run {run.run_id} ended")
    return SkipReason(f"dobo Run {dobo_run_id} is {settled.status}")


def run_end_sensors(minimum_interval_seconds: int = 15) -> list[RunStatusSensorDefinition]:
    """Sensors (on by default) ending the dobo Run of a canceled or failed Dagster run of this location."""
    sensors = []
    for status, name in ((DagsterRunStatus.CANCELED, "canceled"), (DagsterRunStatus.FAILURE, "failed")):
        sensors.append(
            run_status_sensor(
                run_status=status,
                name=f"dobo_run_{name}",
                minimum_interval_seconds=minimum_interval_seconds,
                default_status=DefaultSensorStatus.RUNNING,
                description=f"a dobo Run whose Dagster run {name} (terminated, worker lost) is ended too "
                "(cancelled or failed), so its Project and Period are free again (D15)",
            )(_on_run_end)
        )
    return sensors


__all__ = [
    "LIVE_STATUSES",
    "latest_attempt",
    "run_end_sensors",
    "settle",
    "settle_abandoned",
    "settle_if_ended",
]
