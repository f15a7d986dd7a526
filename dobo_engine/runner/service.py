"""Runs against the metadata store: create (RUN-1), execute, resume (RUN-7), cancel (RUN-8).

The Run record in the store holds the full snapshot (D31); the engine runs
only from that snapshot, the Period and injected IO (D12, RUN-2), so a
resume or a re-execution computes exactly what the first attempt would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from dobo_engine.engine.checkpoints import CheckpointStore
from dobo_engine.engine.context import RunContext
from dobo_engine.engine.pipeline import Executor, StepReport
from dobo_engine.errors import (
    DoboError,
    InvalidResumePoint,
    OperationFailure,
    PeriodNotFound,
    PeriodNotRunnable,
    ProjectNotRunnable,
)
from dobo_engine.lifecycle.impact import analyse_dataset
from dobo_engine.model.run import ErrorDetail, ProjectSnapshot
from dobo_engine.resolver.selection import choose_resolver
from dobo_engine.resolver.periods import period_details
from dobo_engine.resolver.table_source import ResolvingTableSource
from dobo_engine.runner.outputs import OUTPUTS_DATASOURCE, DestinationOutputs
from dobo_engine.runner.registered import StoreRegisteredLocations
from dobo_engine.runner.registration import outputs_datasource, register_outputs
from dobo_engine.runner.snapshot import build_snapshot, run_clock
from dobo_engine.settings import Settings
from dobo_engine.store.api import MetadataStore
from dobo_engine.store.catalog_reader import StoreCatalog
from dobo_engine.store.records import RunRecord
from dobo_engine.trace.store import TraceWriter
from dobo_engine.validation import ActivationError, validate_project

RUNNABLE = {"active": False, "draft": True}  # project status -> sandbox (PRJ-10)


class RunCatalog(StoreCatalog):
    """The store's entities plus the built-in DataSource of registered default outputs (D25)."""

    def __init__(self, store: MetadataStore, settings: Settings) -> None:
        super().__init__(store)
        self.settings = settings

    def datasource(self, datasource_id: str):  # type: ignore[no-untyped-def]
        if datasource_id == OUTPUTS_DATASOURCE:
            return outputs_datasource(self.settings)
        return super().datasource(datasource_id)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _json(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json")


@dataclass
class RunService:
    store: MetadataStore
    settings: Settings

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
        trigger_type: str = "manual",
        triggered_by: str | None = None,
        run_id: str | None = None,
        clock: datetime | None = None,
        snapshot: ProjectSnapshot | None = None,
    ) -> RunRecord:
        """RUN-1: checks, then a queued Run with its snapshot (built now unless one is given, e.g. frozen
        in a Dagster run's config at creation)."""
        stored = self.store.get_entity("project", project_id)
        if stored.status not in RUNNABLE:
            raise ProjectNotRunnable(f"Project {project_id} is {stored.status}; only active and draft Projects run",
                                     rule="PRJ-10")
        if snapshot is None:
            snapshot = self.build_snapshot(project_id, period_identifier, as_known_at=as_known_at, trace=trace,
                                           clock=clock)
        sandbox = snapshot.sandbox
        if sandbox and trigger_type != "manual":
            raise ProjectNotRunnable(f"draft Project {project_id} runs only by hand", rule="PRJ-10")
        calendar_id = snapshot.period.calendar_id or self._default_calendar_id()
        self.runnable_period(calendar_id, period_identifier)
        # RUN-1/RES-9: refused before any Run exists when no usable Resolver serves the input.
        project = self.catalog.project(project_id, snapshot.project_version)
        choose_resolver(self.catalog, self.catalog.dataset(snapshot.input_dataset_id, snapshot.input_dataset_version),
                        project.resolver_overrides or {})
        record: dict[str, Any] = {
            "project_id": project_id, "project_version": snapshot.project_version, "calendar_id": calendar_id,
            "period_identifier": period_identifier, "status": "queued", "sandbox": sandbox,
            "trigger_type": trigger_type, "triggered_by": triggered_by, "as_known_at": as_known_at,
            "snapshot": _json(snapshot), "created_at": snapshot.clock,
        }
        if run_id:
            record["id"] = run_id
        return self.store.create_run(record)

    def build_snapshot(self, project_id: str, period_identifier: str, *, version: int | None = None,
                       as_known_at: date | None = None, trace: bool | None = None,
                       clock: datetime | None = None) -> ProjectSnapshot:
        """The snapshot a Run of this Project version and Period would execute (D13, D27)."""
        stored = self.store.get_entity("project", project_id, version)
        project = self.catalog.project(project_id, stored.version)
        calendar_id = project.calendar_id or self._default_calendar_id()
        self.runnable_period(calendar_id, period_identifier)
        dataset_version = (stored.system.get("pinned_dataset_version") or project.input_dataset_version
                           or self.store.get_entity("dataset", project.input_dataset_id).latest_version)
        details = period_details(self.catalog, calendar_id, period_identifier)
        return build_snapshot(
            project, project_version=stored.version, input_dataset_version=dataset_version,
            period=details.model_copy(update={"calendar_id": calendar_id}),
            clock=run_clock(clock), sandbox=RUNNABLE.get(stored.status or "", True), as_known_at=as_known_at,
            trace=trace,
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
        if period.status == "locked":
            raise PeriodNotRunnable(f"Period {identifier} of Calendar {calendar_id} is locked", rule="PER-5")
        calendar = self.store.get_entity("calendar", calendar_id)
        if calendar.status == "draft":
            raise PeriodNotRunnable(
                f"Calendar {calendar_id} is draft; its Periods cannot be run until it is activated", rule="PER-5")
        return period

    # -- execution -----------------------------------------------------------------

    def execute(self, run_id: str, *, on_step: Callable[[StepReport], None] | None = None) -> RunRecord:
        """Run a queued Run to its end; the returned record is completed or failed."""
        record = self.start(run_id)
        resume_after = record.last_completed_operation if record.attempt > 1 else None
        if resume_after is None:
            try:
                self.validate_start(record)
            except ActivationError as err:  # V-1: fails before the first operation, order null
                return self.fail(run_id, err)
        try:
            executor = self.executor(run_id, on_step=on_step)
            executor.run(resume_after)
        except DoboError as err:
            return self.fail(run_id, err)
        except Exception as err:  # noqa: BLE001 - D31: the Run records every failure
            return self.fail(run_id, OperationFailure(f"{type(err).__name__}: {err}"))
        return self.complete(run_id)

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
        validate_project(project, self.catalog, dataset_version=snapshot.input_dataset_version, purpose="run",
                         pinned_versions=pinned).raise_for_failures()

    def start(self, run_id: str) -> RunRecord:
        """queued -> running (a resumed Run keeps its first `started_at`)."""
        current = self.store.get_run(run_id)
        return self.store.update_run(run_id, expect_status="queued", status="running",
                                     started_at=current.started_at or _now())

    def executor(self, run_id: str, *, on_step: Callable[[StepReport], None] | None = None) -> Executor:
        """The engine for a stored Run, built only from its snapshot (D12, RUN-2).

        After each step the locations resolved so far join the stored snapshot
        and `last_completed_operation` moves (RUN-2, RUN-4).
        """
        record = self.store.get_run(run_id)
        snapshot = ProjectSnapshot.model_validate(record.snapshot)
        project = self.catalog.project(record.project_id, record.project_version)
        tables = ResolvingTableSource(
            self.catalog, snapshot.period, snapshot.clock, calendar_id=record.calendar_id,
            resolver_overrides=project.resolver_overrides or {},
            resolver_snapshots=snapshot.resolver_snapshots, locations=snapshot.locations,
            registered=StoreRegisteredLocations(self.store), data_root=self.settings.data_root,
        )

        def step_done(step: StepReport) -> None:
            if step.write is not None and step.write.register_as:  # kept until the Run completes (RUN-9)
                pending = [r for r in self.checkpoints().registrations(run_id)
                           if r["operation_order"] != step.order]
                pending += [r for r in executor.ctx.outputs.registrations  # type: ignore[attr-defined]
                            if r["operation_order"] == step.order]
                self.checkpoints().save_registrations(run_id, pending)
            recorded = snapshot.model_copy(update={"resolver_snapshots": list(tables.resolver_snapshots),
                                                   "locations": list(tables.locations)})
            self.store.update_run(run_id, last_completed_operation=step.order, snapshot=_json(recorded))
            if on_step:
                on_step(step)

        executor = self._executor(record, snapshot, tables, step_done)
        return executor

    def _executor(self, record: RunRecord, snapshot: ProjectSnapshot, tables: ResolvingTableSource,
                  on_step: Callable[[StepReport], None]) -> Executor:
        dataset = tables.dataset(snapshot.input_dataset_id, snapshot.input_dataset_version)
        outputs = DestinationOutputs(project_id=record.project_id, run_id=record.id, period=snapshot.period,
                                     settings=self.settings, datasource=self.catalog.datasource,
                                     sandbox=snapshot.sandbox)
        ctx = RunContext(
            run_id=record.id, project_id=record.project_id, clock=snapshot.clock, today=snapshot.today,
            period=snapshot.period, input_dataset=dataset, materialization=snapshot.materialization,
            tables=tables, outputs=outputs, selectors=snapshot.selectors, as_known_at=snapshot.as_known_at,
            sandbox=snapshot.sandbox,
        )
        trace = TraceWriter(self.settings.trace_root) if snapshot.trace else None
        return Executor(snapshot, ctx, self.checkpoints(), trace, on_step=on_step)

    def checkpoints(self) -> CheckpointStore:
        return CheckpointStore(self.settings.checkpoint_root)

    def fail(self, run_id: str, err: DoboError) -> RunRecord:
        detail = ErrorDetail(operation_order=err.location.operation_order, code=err.code, message=err.message,
                             detail=err.detail, failures=list(getattr(err, "failures", []) or []))
        return self.store.update_run(run_id, status="failed", error=_json(detail), completed_at=_now())

    def complete(self, run_id: str) -> RunRecord:
        """running -> completed; outputs are registered now, never earlier (RUN-9); checkpoints go (RUN-6)."""
        record = self.store.get_run(run_id)
        registrations = self.checkpoints().registrations(run_id)
        registered = register_outputs(self.store, record, registrations) if registrations else []
        self._analyse_consumers(registered)
        self.checkpoints().discard(run_id)
        return self.store.update_run(run_id, status="completed", error=None, completed_at=_now(),
                                     output_datasets=registered)

    def _analyse_consumers(self, registered: list[dict[str, Any]]) -> None:
        """RUN-9: a new version of a registered Dataset runs impact analysis for its consumers (PRJ-12)."""
        for entry in registered:
            if entry["dataset_version"] > 1:
                with self.store.transaction() as tx:
                    analyse_dataset(tx, entry["dataset_id"])

    # -- resume (RUN-7) and cancel (RUN-8) -------------------------------------------

    def resume(self, run_id: str) -> RunRecord:
        record = self.store.get_run(run_id)
        if record.status != "failed":
            raise InvalidResumePoint(f"Run {run_id} is {record.status}; only failed Runs resume", rule="RUN-7")
        last = record.last_completed_operation
        if last is not None and not self.checkpoints().has(run_id, last):
            raise InvalidResumePoint(f"the checkpoint after operation {last} of Run {run_id} is gone",
                                     rule="RUN-7")
        self.runnable_period(record.calendar_id, record.period_identifier)
        return self.store.update_run(run_id, expect_status="failed", status="queued", error=None,
                                     attempt=record.attempt + 1, completed_at=None)

    def cancel(self, run_id: str) -> RunRecord:
        record = self.store.update_run(run_id, expect_status=("queued", "running"), status="cancelled",
                                       completed_at=_now())
        self.checkpoints().discard(run_id)
        return record

