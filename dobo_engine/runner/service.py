"""Runs against the metadata store: create (RUN-1), execute, resume (RUN-7), cancel (RUN-8).

The Run record in the store holds the full snapshot (D31); the engine runs
only from that snapshot, the Period and injected IO (D12, RUN-2), so a
resume or a re-execution computes exactly what the first attempt would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel

from dobo_engine.engine.checkpoints import CheckpointStore, step_holding
from dobo_engine.engine.context import RunContext
from dobo_engine.engine.pipeline import Executor, StepReport
from dobo_engine.errors import (
    DoboError,
    InvalidResumePoint,
    OperationFailure,
    PeriodNotFound,
    PeriodNotRunnable,
    ProjectNotRunnable,
    WorkerLost,
)
from dobo_engine.lifecycle.impact import analyse_dataset
from dobo_engine.model.calendar import RUNNABLE_PERIOD_STATUSES
from dobo_engine.model.datasource import DataSource
from dobo_engine.model.project import RUNNABLE_STATUSES, runs_in_sandbox
from dobo_engine.model.run import ErrorDetail, ProjectSnapshot
from dobo_engine.resolver.periods import period_details
from dobo_engine.resolver.registered_outputs import OUTPUTS_DATASOURCE_ID, StoreRegisteredLocations, outputs_datasource
from dobo_engine.resolver.selection import choose_resolver
from dobo_engine.resolver.table_source import ResolvingTableSource
from dobo_engine.runner import faults
from dobo_engine.runner.lease import RunLease, RunStopped, lease_owner
from dobo_engine.runner.output_registration import register_outputs
from dobo_engine.runner.outputs import DestinationOutputs
from dobo_engine.runner.snapshot import build_snapshot, run_clock
from dobo_engine.settings import CheckpointPolicy, Settings
from dobo_engine.store.api import MetadataStore
from dobo_engine.store.catalog_reader import StoreCatalog
from dobo_engine.store.records import RunRecord
from dobo_engine.trace.replay import ReplayedLoad
from dobo_engine.trace.runinfo import RunInfo
from dobo_engine.trace.store import TraceWriter
from dobo_engine.unexpected_errors import from_unexpected
from dobo_engine.validation import ActivationError, validate_project


class RunCatalog(StoreCatalog):
    """The store's entities plus the built-in DataSource of registered default outputs (D25)."""

    def __init__(self, store: MetadataStore, settings: Settings) -> None:
        super().__init__(store)
        self.settings = settings

    def datasource(self, datasource_id: str) -> DataSource:
        if datasource_id == OUTPUTS_DATASOURCE_ID:
            return outputs_datasource(self.settings.output_root)
        return super().datasource(datasource_id)


def _now() -> datetime:
    return datetime.now(UTC)


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


@dataclass
class RunService:
    store: MetadataStore
    settings: Settings
    # Non-blocking remarks of the last executed Run's loads (TMP-1 mislabelled `_period` rows).
    load_warnings: list[Any] = field(default_factory=list)
    # Outputs to register when a Run under `checkpoints: none` completes, by Run id: such a Run runs
    # in one process and persists nothing before its end (D36, RUN-9).
    pending_registrations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def catalog(self) -> StoreCatalog:
        return RunCatalog(self.store, self.settings)

    # -- creation (RUN-1) ----------------------------------------------------------

    def create_run(
        self,
        project_id: str,
        period_identifier: str,
        *,
        as_known_at: date | None = None,
        trace: bool | None = None,
        checkpoints: CheckpointPolicy | None = None,
        trigger_type: str = "manual",
        triggered_by: str | None = None,
        run_id: str | None = None,
        clock: datetime | None = None,
        snapshot: ProjectSnapshot | None = None,
    ) -> RunRecord:
        """RUN-1: checks, then a queued Run with its snapshot (built now unless one is given, e.g. frozen
        in a Dagster run's config at creation)."""
        stored = self.store.get_entity("project", project_id)
        if stored.status not in RUNNABLE_STATUSES:
            raise ProjectNotRunnable(
                f"Project {project_id} is {stored.status}; only active and draft Projects run", rule="PRJ-10"
            )
        if snapshot is None:
            snapshot = self.build_snapshot(
                project_id,
                period_identifier,
                as_known_at=as_known_at,
                trace=trace,
                checkpoints=checkpoints,
                clock=clock,
            )
        sandbox = snapshot.sandbox
        if sandbox and trigger_type != "manual":
            raise ProjectNotRunnable(f"draft Project {project_id} runs only by hand", rule="PRJ-10")
        calendar_id = snapshot.period.calendar_id or self._default_calendar_id()
        self.runnable_period(calendar_id, period_identifier)
        # RUN-1/RES-9: refused before any Run exists when no usable Resolver serves the input.
        project = self.catalog.project(project_id, snapshot.project_version)
        choose_resolver(
            self.catalog,
            self.catalog.dataset(snapshot.input_dataset_id, snapshot.input_dataset_version),
            project.resolver_overrides or {},
        )
        record: dict[str, Any] = {
            "project_id": project_id,
            "project_version": snapshot.project_version,
            "calendar_id": calendar_id,
            "period_identifier": period_identifier,
            "status": "queued",
            "sandbox": sandbox,
            "trigger_type": trigger_type,
            "triggered_by": triggered_by,
            "as_known_at": as_known_at,
            "snapshot": _json(snapshot),
            "created_at": snapshot.clock,
        }
        if run_id:
            record["id"] = run_id
        # A Run of this Project and Period whose process is gone no longer blocks it (D15).
        self.reap_lost(project_id=project_id, calendar_id=calendar_id, period_identifier=period_identifier)
        return self.store.create_run(record)

    def build_snapshot(
        self,
        project_id: str,
        period_identifier: str,
        *,
        version: int | None = None,
        as_known_at: date | None = None,
        trace: bool | None = None,
        checkpoints: CheckpointPolicy | None = None,
        clock: datetime | None = None,
    ) -> ProjectSnapshot:
        """The snapshot a Run of this Project version and Period would execute (D13, D27, D36)."""
        stored = self.store.get_entity("project", project_id, version)
        project = self.catalog.project(project_id, stored.version)
        calendar_id = project.calendar_id or self._default_calendar_id()
        self.runnable_period(calendar_id, period_identifier)
        dataset_version = (
            stored.system.get("pinned_dataset_version")
            or project.input_dataset_version
            or self.store.get_entity("dataset", project.input_dataset_id).latest_version
        )
        details = period_details(self.catalog, calendar_id, period_identifier)
        return build_snapshot(
            project,
            project_version=stored.version,
            input_dataset_version=dataset_version,
            period=details.model_copy(update={"calendar_id": calendar_id}),
            clock=run_clock(clock),
            sandbox=runs_in_sandbox(stored.status),
            as_known_at=as_known_at,
            trace=trace,
            checkpoints=checkpoints or self.settings.checkpoints,
        )

    def _default_calendar_id(self) -> str:
        default = self.store.get_default("calendar")
        return default.id if default else "gregorian"

    def runnable_period(self, calendar_id: str, identifier: str) -> Any:
        """PER-5 / D11: the Period exists, is not locked, and its Calendar is not draft."""
        try:
            period = self.store.get_period(calendar_id, identifier)
        except DoboError as err:
            raise PeriodNotFound(f"no Period {identifier!r} in Calendar {calendar_id!r}", rule="RUN-1") from err
        if period.status not in RUNNABLE_PERIOD_STATUSES:
            raise PeriodNotRunnable(f"Period {identifier} of Calendar {calendar_id} is locked", rule="PER-5")
        calendar = self.store.get_entity("calendar", calendar_id)
        if calendar.status == "draft":
            raise PeriodNotRunnable(
                f"Calendar {calendar_id} is draft; its Periods cannot be run until it is activated", rule="PER-5"
            )
        return period

    # -- execution -----------------------------------------------------------------

    def execute(self, run_id: str, *, on_step: Callable[[StepReport], None] | None = None) -> RunRecord:
        """Run a queued Run to its end in this process, holding its lease while it works.

        The returned record is completed, failed or cancelled (a cancel
        requested meanwhile stops the Run at the next operation boundary,
        RUN-8); if the lease was lost (this process stalled past it and the
        Run was reaped), the record is returned as the store now has it.
        """
        owner = lease_owner()
        record = self.start(run_id, lease_owner=owner)
        with RunLease(self.store, run_id, owner, self.settings.run_lease_seconds) as lease:
            try:
                return self._execute(record, lease, on_step)
            except KeyboardInterrupt:  # Ctrl-C: record it now rather than waiting for the lease to expire
                self.fail(run_id, OperationFailure("the Run was interrupted (Ctrl-C)"), lease=lease)
                raise

    def _execute(self, record: RunRecord, lease: RunLease, on_step: Callable[[StepReport], None] | None) -> RunRecord:
        run_id = record.id
        resume_after = record.last_completed_operation if record.attempt > 1 else None
        if resume_after is None:
            try:
                self.validate_start(record)
            except ActivationError as err:  # V-1: fails before the first operation, order null
                return self.fail(run_id, err, lease=lease)
        try:
            executor = self.executor(run_id, on_step=on_step, lease=lease)
            executor.run(resume_after)
            lease.check()  # the end of the last operation is a boundary too
        except RunStopped as stop:
            return self.stopped(run_id, stop, lease)
        except DoboError as err:
            return self.fail(run_id, err, lease=lease)
        except Exception as err:  # noqa: BLE001 - D31: the Run records every failure; a bug is InternalError
            return self.fail(run_id, from_unexpected(err), lease=lease)
        return self.complete(run_id, lease=lease)

    def validate_start(self, record: RunRecord) -> None:
        """V-1: the snapshot's Project version against the Dataset versions it records.

        The "is active" parts are skipped for those versions (DS-4: pinned
        Projects keep running); anything else that broke since creation (a
        disabled Resolver or DataSource, say) fails the Run here.
        """
        snapshot = ProjectSnapshot.model_validate(record.snapshot)
        pinned = {s.dataset_id: s.dataset_version for s in snapshot.resolver_snapshots}
        pinned[snapshot.input_dataset_id] = snapshot.input_dataset_version
        project = self.catalog.project(record.project_id, record.project_version)
        validate_project(
            project, self.catalog, dataset_version=snapshot.input_dataset_version, purpose="run", pinned_versions=pinned
        ).raise_for_failures()

    def start(self, run_id: str, *, lease_owner: str | None = None) -> RunRecord:
        """queued -> running (a resumed Run keeps its first `started_at`).

        With ``lease_owner`` the Run is leased to that process from now on
        (reaped as lost once it stops renewing); without one it is never
        reaped (one Dagster op per process: Dagster watches those processes).
        """
        current = self.store.get_run(run_id)
        return self.store.update_run(
            run_id,
            expect_status="queued",
            status="running",
            started_at=current.started_at or _now(),
            lease_owner=lease_owner,
            heartbeat_at=_now() if lease_owner else None,
            cancel_requested_at=None,
        )

    def lease(self, run_id: str) -> RunLease:
        """Guarded writes for a Run executed without a lease (no heartbeat)."""
        return RunLease(self.store, run_id, None, self.settings.run_lease_seconds)

    def executor(
        self,
        run_id: str,
        *,
        on_step: Callable[[StepReport], None] | None = None,
        lease: RunLease | None = None,
        durable_steps: bool | None = None,
        data_root: str | None = None,
    ) -> Executor:
        """The engine for a stored Run, built only from its snapshot (D12, RUN-2).

        After each step the locations resolved so far join the stored snapshot
        and, when steps are durable, `last_completed_operation` moves (RUN-2,
        RUN-4), only while the Run is still this process's; then, at the
        boundary, a requested cancel stops the Run (RUN-8). Steps are durable
        under `checkpoints: operations`, or when the caller says so
        (`durable_steps`: the Dagster ops, whose boundaries are durable, D36).
        `data_root` replaces the setting's for relative file locations (the
        Dagster input manager's configuration).
        """
        lease = lease or self.lease(run_id)
        record = self.store.get_run(run_id)
        snapshot = ProjectSnapshot.model_validate(record.snapshot)
        durable = snapshot.checkpoints == "operations" if durable_steps is None else durable_steps
        tables = self._tables(record, snapshot, data_root)
        self.load_warnings = tables.load_warnings  # filled as the Run loads its tables

        def step_done(step: StepReport) -> None:
            if step.write is not None and step.write.register_as:  # kept until the Run completes (RUN-9)
                self._keep_registrations(run_id, step.order, executor.ctx.outputs, durable)
            recorded = snapshot.model_copy(
                update={"resolver_snapshots": list(tables.resolver_snapshots), "locations": list(tables.locations)}
            )
            # D27: the resolved locations are recorded under either policy, so a resume loads the same files.
            progress: dict[str, object] = {"last_completed_operation": step.order} if durable else {}
            if tables.load_warnings:  # e.g. rows labelled with another Period (TMP-1), kept on the Run
                progress["warnings"] = [w.to_dict() for w in tables.load_warnings]
            lease.write(snapshot=_json(recorded), **progress)
            faults.reach(f"after-operation:{step.order}")
            if on_step:
                on_step(step)
            lease.check()

        if not durable:
            self.pending_registrations[run_id] = []  # this attempt starts from resolution (D36, RUN-7)
        executor = self._executor(record, snapshot, tables, step_done)
        executor.at_boundary = lambda _order: lease.check()
        return executor

    def load_replay(self, run: RunInfo) -> ReplayedLoad:
        """A stored Run's load done again, for reading a trace that records it by reference (TR-15).

        Built from the Run's snapshot alone, as a resume is (D27): the recorded
        locations and Resolver versions, the Run's clock and Period. Assembly
        only: nothing is traced, checkpointed or written to the store.
        """
        record = self.store.get_run(run.run_id)
        snapshot = ProjectSnapshot.model_validate(record.snapshot)
        tables = self._tables(record, snapshot, None)
        return self._executor(record, snapshot, tables, lambda _step: None).replay_load()

    def _tables(self, record: RunRecord, snapshot: ProjectSnapshot, data_root: str | None) -> ResolvingTableSource:
        """The Run's tables as its snapshot resolves them: recorded locations and Resolver versions (D27)."""
        project = self.catalog.project(record.project_id, record.project_version)
        return ResolvingTableSource(
            self.catalog,
            snapshot.period,
            snapshot.clock,
            calendar_id=record.calendar_id,
            resolver_overrides=project.resolver_overrides or {},
            resolver_snapshots=snapshot.resolver_snapshots,
            locations=snapshot.locations,
            registered=StoreRegisteredLocations(self.store),
            data_root=data_root or self.settings.data_root,
        )

    def _keep_registrations(self, run_id: str, order: int, outputs: Any, durable: bool) -> None:
        """The outputs of step `order` to register at completion: beside the checkpoints, or in memory (D36)."""
        written = outputs.registrations if isinstance(outputs, DestinationOutputs) else []
        kept = [r for r in written if r["operation_order"] == order]
        if not durable:
            self.pending_registrations.setdefault(run_id, []).extend(kept)
            return
        pending = [r for r in self.checkpoints().registrations(run_id) if r["operation_order"] != order]
        self.checkpoints().save_registrations(run_id, pending + kept)

    def _executor(
        self,
        record: RunRecord,
        snapshot: ProjectSnapshot,
        tables: ResolvingTableSource,
        on_step: Callable[[StepReport], None],
    ) -> Executor:
        dataset = tables.dataset(snapshot.input_dataset_id, snapshot.input_dataset_version)
        outputs_type = faults.FaultingOutputs if faults.enabled() else DestinationOutputs
        outputs = outputs_type(
            project_id=record.project_id,
            run_id=record.id,
            period=snapshot.period,
            settings=self.settings,
            datasource=self.catalog.datasource,
            sandbox=snapshot.sandbox,
        )
        ctx = RunContext(
            run_id=record.id,
            project_id=record.project_id,
            clock=snapshot.clock,
            today=snapshot.today,
            period=snapshot.period,
            input_dataset=dataset,
            materialization=snapshot.materialization,
            tables=tables,
            outputs=outputs,
            selectors=snapshot.selectors,
            as_known_at=snapshot.as_known_at,
            sandbox=snapshot.sandbox,
        )
        trace = TraceWriter(self.settings.trace_root) if snapshot.trace else None
        return Executor(
            snapshot,
            ctx,
            self.checkpoints(),
            trace,
            on_step=on_step,
            load_by_reference=self.settings.trace_load == "reference",
        )

    def checkpoints(self) -> CheckpointStore:
        return CheckpointStore(self.settings.checkpoint_root)

    def fail(self, run_id: str, err: DoboError, *, lease: RunLease | None = None) -> RunRecord:
        """running -> failed with the error (RUN-5); a Run whose cancel was requested is cancelled instead."""
        lease = lease or self.lease(run_id)
        if self.store.get_run(run_id).cancel_requested_at is not None:
            return self._cancelled(run_id, lease)
        detail = ErrorDetail(
            operation_order=err.location.operation_order,
            code=err.code,
            message=err.message,
            detail=err.detail,
            rule=err.rule,
            file=err.location.file,
            failures=list(getattr(err, "failures", []) or []),
        )
        final = lease.finish(status="failed", error=_json(detail), completed_at=_now())
        return final if final is not None else self._settle(run_id, lease)

    def complete(self, run_id: str, *, lease: RunLease | None = None) -> RunRecord:
        """running -> completed; outputs are registered now, never earlier (RUN-9); checkpoints go (RUN-6).

        A Run whose cancel was requested never completes: it is cancelled (RUN-8).
        """
        lease = lease or self.lease(run_id)
        record = self.store.get_run(run_id)
        if record.cancel_requested_at is not None:
            return self._cancelled(run_id, lease)
        registrations = self.pending_registrations.pop(run_id, None) or self.checkpoints().registrations(run_id)
        registered = register_outputs(self.store, record, registrations) if registrations else []
        self._analyse_consumers(registered)
        done = {"last_completed_operation": _last_order(record)} if record.last_completed_operation is None else {}
        final = lease.finish(status="completed", error=None, completed_at=_now(), output_datasets=registered, **done)
        if final is None:
            return self._settle(run_id, lease)
        self.checkpoints().discard(run_id)  # after the record says completed: a kill before keeps them
        return final

    def stopped(self, run_id: str, stop: RunStopped, lease: RunLease) -> RunRecord:
        """The Run stopped at a boundary: cancelled as asked, or left as the store has it (lease lost)."""
        if stop.reason == "cancelled":
            return self._cancelled(run_id, lease)
        return self.store.get_run(run_id)

    def _cancelled(self, run_id: str, lease: RunLease) -> RunRecord:
        """running -> cancelled by the process that ran it; its checkpoints go (RUN-6, RUN-8)."""
        final = lease.store.update_running_run(run_id, lease_owner=lease.owner, status="cancelled", completed_at=_now())
        if final is None:
            return self.store.get_run(run_id)
        self.checkpoints().discard(run_id)
        return final

    def _settle(self, run_id: str, lease: RunLease) -> RunRecord:
        """A final write was refused: cancel if that was asked, else the Run is no longer ours."""
        current = self.store.get_run(run_id)
        if current.status == "running" and current.cancel_requested_at is not None:
            return self._cancelled(run_id, lease)
        return current

    def _analyse_consumers(self, registered: list[dict[str, Any]]) -> None:
        """RUN-9: a new version of a registered Dataset runs impact analysis for its consumers (PRJ-12)."""
        for entry in registered:
            if entry["dataset_version"] > 1:
                with self.store.transaction() as tx:
                    analyse_dataset(tx, entry["dataset_id"])

    # -- resume (RUN-7) and cancel (RUN-8) -------------------------------------------

    def resume(self, run_id: str) -> RunRecord:
        """failed -> queued, attempt +1, after checking the checkpoint it continues from (RUN-7)."""
        self.reap_lost(run_id=run_id)  # a Run whose process is gone is failed now, so it can resume
        record = self.store.get_run(run_id)
        if record.status != "failed":
            raise InvalidResumePoint(f"Run {run_id} is {record.status}; only failed Runs resume", rule="RUN-7")
        last = record.last_completed_operation
        if last is not None:
            snapshot = ProjectSnapshot.model_validate(record.snapshot)
            self.checkpoints().verify(run_id, step_holding(snapshot.operations, last))
        self.runnable_period(record.calendar_id, record.period_identifier)
        return self.store.update_run(
            run_id,
            expect_status="failed",
            status="queued",
            error=None,
            attempt=record.attempt + 1,
            completed_at=None,
            lease_owner=None,
            heartbeat_at=None,
            cancel_requested_at=None,
        )

    def cancel(self, run_id: str) -> RunRecord:
        """RUN-8: a queued Run (or one whose process is gone) is cancelled at once; a live one is asked to
        stop at its next operation boundary and stays `running` until its process has stopped (D15)."""
        record = self.store.cancel_run(run_id, lease_seconds=self.settings.run_lease_seconds)
        if record.status == "cancelled":
            self.checkpoints().discard(run_id)
        return record

    # -- liveness --------------------------------------------------------------------------

    def reap_lost(
        self,
        *,
        run_id: str | None = None,
        project_id: str | None = None,
        calendar_id: str | None = None,
        period_identifier: str | None = None,
    ) -> list[RunRecord]:
        """Fail the running Runs (matching the filters) whose lease expired: their process is gone.

        The one place Runs are reaped; called wherever a Run is looked at
        (creation, resume, `dobo runs`, `dobo trace`). Each Run keeps its
        checkpoints, so it can be resumed (RUN-7).
        """
        return self.store.reap_lost_runs(
            lease_seconds=self.settings.run_lease_seconds,
            error_for=self._worker_lost,
            run_id=run_id,
            project_id=project_id,
            calendar_id=calendar_id,
            period_identifier=period_identifier,
        )

    def _worker_lost(self, record: RunRecord) -> dict[str, Any]:
        last = record.last_completed_operation
        orders = sorted(op.get("order") for op in record.snapshot.get("operations", []))
        # Where it stopped: the operation after the last completed one (the last one if all were done).
        pending = None if last is None else next((o for o in orders if o > last), last)
        seen = record.heartbeat_at.isoformat(timespec="seconds") if record.heartbeat_at else "never"
        done = "the load had not finished" if last is None else "the load" if last == 0 else f"operation {last}"
        message = (
            f"worker lost: the process running this Run ({record.lease_owner or 'unknown'}) stopped "
            f"renewing its lease (last heartbeat {seen}, lease {self.settings.run_lease_seconds:g}s); "
            f"last completed: {done}"
        )
        detail = ErrorDetail(
            operation_order=pending,
            code=WorkerLost.code,
            message=message,
            rule="RUN-5",
            detail=f"resume it with: dobo run {record.project_id} --period "
            f"{record.period_identifier} --resume {record.id}",
        )
        return _json(detail)

    def run(self, run_id: str) -> RunRecord:
        """One Run as it is now (a lost one reaped first)."""
        self.reap_lost(run_id=run_id)
        return self.store.get_run(run_id)

    def runs(
        self, *, project_id: str | None = None, period_identifier: str | None = None, status: str | None = None
    ) -> list[RunRecord]:
        """Run records matching the filters, as they are now (lost ones reaped first)."""
        self.reap_lost(project_id=project_id, period_identifier=period_identifier)
        return self.store.list_runs(project_id=project_id, period_identifier=period_identifier, status=status)


def _last_order(record: RunRecord) -> int:
    """The last operation of a completed Run (0 when it has none): `checkpoints: none` records it only now."""
    return max([0, *(int(op["order"]) for op in record.snapshot.get("operations", []))])


def failure_summary(record: RunRecord) -> str:
    """One line saying where and why a Run failed (RUN-5), naming the operation, rule and file."""
    error = record.error or {}
    order = error.get("operation_order")
    if order is None:
        where = "during load (before the first operation)"
    elif order == 0:
        where = "at operation 0 (load)"
    else:
        op: dict[str, Any] = next((o for o in record.snapshot.get("operations", []) if o.get("order") == order), {})
        name = f" {op['name']!r}" if op.get("name") else ""
        where = f"at operation {order} ({op.get('type', 'operation')}{name})"
    rule = f" [{error['rule']}]" if error.get("rule") else ""
    file = f" ({error['file']})" if error.get("file") else ""
    return f"Run {record.id} failed {where}: {error.get('code')}{rule}: {error.get('message')}{file}"
