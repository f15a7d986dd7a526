"""Keeping the dobo Run record in step with the Dagster run (D21, RUN-1..7).

The dobo Run id is the Dagster root run id; every Dagster run of that family
is one attempt. The first op of an attempt moves the record: a new Run is
created with a snapshot built from the store (never from run config, which
only names the Project version and Period), a failed one is resumed
(attempt +1, RUN-7), a queued one is started. When the store refuses a new
Run because the Project and Period are held (D15), the run skips its work
with a warning instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn

from dagster import Failure, MetadataValue, OpExecutionContext

from dobo_dagster.resources import DoboRunResource
from dobo_dagster.settle import settle_abandoned
from dobo_dagster.translator import TAG_CHECKPOINTS, TAG_PROJECT, TAG_TRACE, DoboTranslator
from dobo_engine.errors import (
    ConcurrentRunConflict,
    DoboError,
    InvalidField,
    OperationFailure,
    ProjectNotRunnable,
    RunNotFound,
)
from dobo_engine.model.project import RUNNABLE_STATUSES, runs_in_sandbox
from dobo_engine.model.run import ProjectSnapshot
from dobo_engine.runner.service import RunService
from dobo_engine.settings import checkpoint_policy
from dobo_engine.store.records import RunRecord
from dobo_engine.unexpected_errors import from_unexpected


def dobo_run_id(context: OpExecutionContext) -> str:
    run = context.run
    return run.root_run_id or run.run_id


def trigger_of(tags: Mapping[str, str]) -> tuple[str, str]:
    """RUN trigger_type/triggered_by from the tags Dagster puts on the run."""
    if tags.get("dagster/schedule_name"):
        return "scheduled", tags["dagster/schedule_name"]
    if tags.get("dagster/sensor_name"):
        return "sensor", tags["dagster/sensor_name"]
    if tags.get("dagster/backfill"):
        return "manual", f"backfill:{tags['dagster/backfill']}"
    return "manual", tags.get("dagster/user") or "dagster"


def create_from_snapshot(
    service: RunService, snapshot: ProjectSnapshot, run_id: str, *, trigger_type: str, triggered_by: str
) -> RunRecord:
    """The dobo Run (id = the Dagster root run id, D21) keeping its snapshot in the store (D13, D31)."""
    return service.create_run(
        snapshot.project_id,
        snapshot.period.identifier,
        trigger_type=trigger_type,
        triggered_by=triggered_by,
        run_id=run_id,
        snapshot=snapshot,
    )


@dataclass(frozen=True)
class RunTarget:
    """What a job's ops run: its Project and version, named in Dagster by `translator`."""

    project_id: str
    version: int
    translator: DoboTranslator


def partition_of(context: OpExecutionContext) -> str:
    """The Period of the run: its partition key; a run without one is refused (nothing to run)."""
    if not context.has_partition_key:
        raise InvalidField(
            "this run has no partition: launch it for one partition (a Period), from the job's or the "
            "asset's partitions"
        )
    return context.partition_key


def server_snapshot(
    context: OpExecutionContext, resource: DoboRunResource, service: RunService, target: RunTarget
) -> ProjectSnapshot:
    """The Run snapshot, built here from the store and the launcher's choices only (D13, D16).

    Nothing of it comes from run config: the Project and version are the
    job's, the Period is the partition, the sandbox follows the Project's
    stored status (a draft Project always writes to the sandbox), the
    operations, Datasets and Resolvers come from the stored versions, and the
    clock is the Dagster run's creation time.
    """
    period = partition_of(context)
    stored = service.store.get_entity("project", target.project_id)
    if stored.status not in RUNNABLE_STATUSES:
        raise ProjectNotRunnable(
            f"Project {target.project_id} is {stored.status}; only active and draft Projects run", rule="PRJ-10"
        )
    created = context.instance.get_run_record_by_id(context.run.run_id)
    clock = created.create_timestamp if created is not None else None
    snapshot = service.build_snapshot(
        target.project_id, period, version=target.version, trace=resource.trace, clock=clock
    )
    snapshot = with_run_tags(snapshot, context.run.tags)
    # The Project's status now decides the sandbox, not the status `version` was stored with (D16).
    update: dict[str, object] = {"sandbox": runs_in_sandbox(stored.status)}
    if resource.checkpoints is not None:  # the launchpad's choice wins over the tag
        update["checkpoints"] = resource.checkpoints.value
    return snapshot.model_copy(update=update)


def tag_run(context: OpExecutionContext, snapshot: ProjectSnapshot, target: RunTarget) -> None:
    """A run launched from the asset graph gets the tags a job launch carries (sensors find it by them)."""
    if TAG_PROJECT in context.run.tags:
        return
    tags = target.translator.run_tags(target.project_id, snapshot.period.calendar_id or "", snapshot.period.identifier)
    context.instance.add_run_tags(context.run.run_id, {k: v for k, v in tags.items() if k not in context.run.tags})


def _create(
    context: OpExecutionContext, resource: DoboRunResource, service: RunService, run_id: str, target: RunTarget
) -> RunRecord | None:
    """A new dobo Run for this Dagster run, or None when its Project and Period are held elsewhere (D15)."""
    snapshot = server_snapshot(context, resource, service, target)
    tag_run(context, snapshot, target)
    trigger_type, triggered_by = trigger_of(context.run.tags)
    for attempt in (1, 2):
        try:
            record = create_from_snapshot(
                service, snapshot, run_id, trigger_type=trigger_type, triggered_by=triggered_by
            )
        except ConcurrentRunConflict as err:
            calendar_id = snapshot.period.calendar_id or ""
            # A Run left `running` by a Dagster run that ended (terminated, worker killed) is settled
            # now rather than at the run-status sensor's next tick; then try once more.
            if attempt == 1 and settle_abandoned(
                context.instance, service, snapshot.project_id, calendar_id, snapshot.period.identifier
            ):
                continue
            context.log.warning(
                f"dobo Run not created, this run does nothing: {err.code}: {err.message}. "
                "Another Run of this Project and Period is queued or running (D15); launch again once it has ended."
            )
            return None
        context.log.info(
            f"dobo Run {run_id} created: {snapshot.project_id} v{snapshot.project_version} "
            f"for {snapshot.period.identifier}{' (sandbox)' if snapshot.sandbox else ''}"
        )
        return record
    return None


def with_run_tags(snapshot: ProjectSnapshot, tags: Mapping[str, str]) -> ProjectSnapshot:
    """The snapshot with what the run's tags choose: trace off (D32), the durability policy (D36).

    The policy is recorded as chosen; the job itself makes every op boundary
    durable whatever it says, as the IO manager persists the frame there anyway.
    """
    update: dict[str, object] = {}
    if tags.get(TAG_TRACE, "").lower() == "off":
        update["trace"] = False
    if tags.get(TAG_CHECKPOINTS):
        update["checkpoints"] = checkpoint_policy(tags[TAG_CHECKPOINTS], f"the run tag {TAG_CHECKPOINTS}")
    return snapshot.model_copy(update=update) if update else snapshot


def begin_attempt(context: OpExecutionContext, resource: DoboRunResource, target: RunTarget) -> RunRecord | None:
    """The running dobo Run for this Dagster run, creating, resuming or starting it as needed.

    None when no Run could be created because another one holds the Project
    and Period (D15): the caller skips, the Dagster run ends without failing.
    """
    service = resource.service()
    run_id = dobo_run_id(context)
    try:
        try:
            record = service.store.get_run(run_id)
        except RunNotFound:
            created = _create(context, resource, service, run_id, target)
            if created is None:
                return None
            record = created
        if record.status == "failed":  # a re-execution from failure is a resume (D21, RUN-7)
            record = service.resume(run_id)
            context.log.info(
                f"dobo Run {run_id} resumed (attempt {record.attempt}) after operation "
                f"{record.last_completed_operation}"
            )
        if record.status == "queued":
            record = service.start(run_id)
    except DoboError as err:
        refuse(err, run_id)
    if record.status != "running":
        refuse(
            OperationFailure(
                f"dobo Run {run_id} is {record.status}; launch a new run for the Period "
                "instead of re-executing this one"
            ),
            run_id,
        )
    return record


def refuse(err: DoboError, run_id: str) -> NoReturn:
    """A Run that cannot start or resume: the Dagster run fails with dobo's message and code."""
    raise Failure(
        description=f"{err.code}: {err.message}",
        metadata={"dobo/code": err.code, "dobo/run_id": run_id, "detail": MetadataValue.text(err.detail or "")},
        allow_retries=False,
    )


def fail(service: RunService, run_id: str, err: Exception) -> NoReturn:
    """Record the failure on the dobo Run (RUN-5), then fail the op with the same message."""
    dobo_err = err if isinstance(err, DoboError) else from_unexpected(err)
    service.fail(run_id, dobo_err)
    order = dobo_err.location.operation_order
    where = f"at operation {order}" if order is not None else "during load (before the first operation)"
    raise Failure(
        description=f"dobo Run {run_id} failed {where}: {dobo_err.code}: {dobo_err.message}",
        metadata={
            "dobo/code": dobo_err.code,
            "dobo/run_id": run_id,
            "dobo/operation_order": -1 if order is None else order,
            "detail": MetadataValue.text(dobo_err.detail or ""),
        },
        allow_retries=False,
    ) from err


__all__ = [
    "RunTarget",
    "begin_attempt",
    "create_from_snapshot",
    "dobo_run_id",
    "fail",
    "partition_of",
    "refuse",
    "server_snapshot",
    "trigger_of",
    "with_run_tags",
]
