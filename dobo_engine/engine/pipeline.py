"""The pipeline executor (D12-D14, D36, RUN-4, RUN-7, TR-1, TR-11).

Pure: a snapshot, a RunContext with injected IO, a trace writer and a
checkpoint store in; the final working frame and the write results out.

Operations build on the working frame as a lazy plan; their step counts
(rows changed, deleted) and trace events are side outputs of it (D36). The
snapshot's durability policy decides when the plan is collected and what is
persisted before the Run ends:

- `checkpoints: operations`: each step is collected in turn (frame, counts
  and events together) and made durable in this order: its trace file (none
  for `output`), its checkpoint, then its report (RUN-4).
- `checkpoints: none`: the load and the operations form one plan, collected
  once: every output's rows, every step count and trace event in one
  streaming pass (`materialise.collect_together`). An `aggregate`'s summary
  rows are part of the plan too. The outputs are then written in operation
  order (earlier only before an `append`, which may read what they wrote,
  or a stop at a boundary), and the trace files once every operation has
  run; a failure leaves none of them.

Called one step at a time (`load`, `run_operation`, as the Dagster ops do),
every step is collected and durable: between ops the frame is persisted anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TypeVar

import polars as pl

from dobo_engine.engine.assembly import LoadedLookup, assemble, drop_lookup_columns, join_lookups
from dobo_engine.engine.checkpoints import CheckpointStore, step_holding
from dobo_engine.engine.context import RunContext, TableSource
from dobo_engine.engine.expressions import with_order
from dobo_engine.engine.operations.aggregate import apply_aggregate
from dobo_engine.engine.operations.append import apply_append
from dobo_engine.engine.operations.delete import apply_delete
from dobo_engine.engine.operations.outcome import OperationOutcome
from dobo_engine.engine.operations.output import OutputRequest, PlannedOutput, apply_output, output_plan, output_request
from dobo_engine.engine.operations.update import apply_update
from dobo_engine.engine.references import referenced_qualifiers
from dobo_engine.engine.steps import PendingStep, SideOutputs, StepReport
from dobo_engine.engine.working import VISIBLE, WorkingFrame, shared
from dobo_engine.errors import DoboError
from dobo_engine.model.dataset import Dataset, TableRef
from dobo_engine.model.operations import Operation, OutputOperation
from dobo_engine.model.run import ProjectSnapshot, WriteResult
from dobo_engine.trace.events import created_events
from dobo_engine.trace.replay import Fingerprint, ReplayedLoad, ReReadable
from dobo_engine.trace.store import TraceWriter
from dobo_engine.unexpected_errors import from_unexpected

T = TypeVar("T")

# By `op.type`; each function takes its own Operation class, which `op.type` selects.
APPLY: dict[str, Callable[..., OperationOutcome]] = {
    "update": apply_update,
    "delete": apply_delete,
    "aggregate": apply_aggregate,
    "append": apply_append,
    "output": apply_output,
}


@dataclass
class RunOutcome:
    working: WorkingFrame
    steps: list[StepReport] = field(default_factory=list)

    @property
    def writes(self) -> list[WriteResult]:
        return [s.write for s in self.steps if s.write is not None]


def _no_step(_: StepReport) -> None:
    return None


def _no_boundary(_: int) -> None:
    return None


@dataclass
class Executor:
    """Runs one Project snapshot for one Period: the load (operation 0), then each operation in ``order``.

    All IO arrives through ``ctx`` (D12), so the CLI, Dagster and the scenario
    harness run this same code. Here a Project runs over in-memory Polars
    frames, with the harness's ``MemoryTables`` serving the Dataset's rows
    and ``MemoryOutputs`` keeping what each ``output`` writes:

    >>> import tempfile
    >>> from datetime import date, datetime, timezone
    >>> import polars as pl
    >>> from dobo_engine.engine.checkpoints import CheckpointStore
    >>> from dobo_engine.engine.context import RunContext
    >>> from dobo_engine.engine.pipeline import Executor
    >>> from dobo_engine.harness.memory import MemoryOutputs, MemoryTables
    >>> from dobo_engine.model.documents import parse_text
    >>> from dobo_engine.model.run import PeriodDetails, ProjectSnapshot
    >>> from dobo_engine.trace import TraceWriter
    >>> (sales,) = parse_text('''
    ... dataset:
    ...   id: ds-sales
    ...   name: Sales
    ...   main_table:
    ...     name: sales
    ...     temporal_mode: period
    ...     columns:
    ...       - {name: invoice, type: string}
    ...       - {name: amount, type: decimal, precision: 18, scale: 2}
    ... ''')
    >>> (project,) = parse_text('''
    ... project:
    ...   id: prj-vat
    ...   name: VAT on large invoices
    ...   input_dataset_id: ds-sales
    ...   materialization: eager
    ...   operations:
    ...     - order: 1
    ...       type: update
    ...       selector: amount > 100
    ...       parameters: {assignments: [{column: vat, expression: "ROUND(amount * 0.2, 2)"}]}
    ...     - {order: 2, type: output, parameters: {destination: default, columns: [invoice, amount, vat]}}
    ... ''')

    The Run's Period, its clock, and the rows of the main table as a Polars frame
    (``_period`` tags each row with the Period it belongs to, D8):

    >>> january = PeriodDetails(calendar_id="gregorian", identifier="2026-01", level="month", year=2026,
    ...                         sequence=1, start_date=date(2026, 1, 1), end_date=date(2026, 1, 31))
    >>> clock = datetime(2026, 2, 1, 6, 0, tzinfo=timezone.utc)
    >>> rows = pl.DataFrame({"invoice": ["A", "B", "C"], "amount": ["250.00", "80.00", "120.50"],
    ...                      "_period": ["2026-01", "2026-01", "2025-12"]})
    >>> snapshot = ProjectSnapshot(
    ...     project_id=project.id, project_version=1, input_dataset_id=sales.id, input_dataset_version=1,
    ...     materialization=project.materialization, selectors=project.selectors, operations=project.operations,
    ...     period=january, clock=clock, today=clock.date())
    >>> outputs = MemoryOutputs()
    >>> ctx = RunContext(
    ...     run_id="run-1", project_id=project.id, clock=clock, today=clock.date(), period=january,
    ...     input_dataset=sales, materialization=project.materialization, selectors=project.selectors,
    ...     tables=MemoryTables({sales.id: sales}, {(sales.id, "sales"): rows}, clock, january.identifier),
    ...     outputs=outputs)
    >>> home = tempfile.TemporaryDirectory()
    >>> executor = Executor(snapshot, ctx, checkpoints=CheckpointStore(f"{home.name}/checkpoints"),
    ...                     trace=TraceWriter(f"{home.name}/trace"))
    >>> outcome = executor.run()

    One report per operation (the load, operation 0, is reported through ``on_step``):

    >>> [(s.order, s.type, s.rows_in, s.rows_changed) for s in outcome.steps]
    [(1, 'update', 2, 1), (2, 'output', 2, 0)]
    >>> outputs.frames[2].rows()  # invoice C belongs to December: filtered out at load (TMP-1)
    [('A', Decimal('250.00'), Decimal('50.000000')), ('B', Decimal('80.00'), None)]
    >>> outcome.steps[0].trace_file  # doctest: +ELLIPSIS
    '.../trace/run_id=run-1/operation=1.parquet'
    >>> home.cleanup()
    """

    snapshot: ProjectSnapshot
    ctx: RunContext
    checkpoints: CheckpointStore
    trace: TraceWriter | None  # None: trace off for this Run (D32)
    on_step: Callable[[StepReport], None] = _no_step  # called after each step is durable (RUN-4)
    # Called with the next operation's order before it starts: the place to stop a Run (RUN-8).
    at_boundary: Callable[[int], None] = _no_boundary
    # TR-15: trace the load by reference to its input when every table it reads can be read again;
    # False always copies the loaded rows into the load's trace file.
    load_by_reference: bool = True
    _lookups: list[LoadedLookup] | None = field(default=None, init=False, repr=False)
    # What the load read, when its trace file records it by reference (TR-15); None: a full copy.
    _load_fingerprints: list[Fingerprint] | None = field(default=None, init=False, repr=False)

    def run(self, resume_after: int | None = None) -> RunOutcome:
        """Run from the load, or from the checkpoint of `resume_after` (RUN-7).

        A resume reads exactly the checkpoint that holds the frame after
        `resume_after`; if it is gone or damaged the Run stops with
        `InvalidResumePoint`, never falling back to an older one. Under
        `checkpoints: none` a Run has no checkpoint to resume from: it always
        starts from the load, as one plan (`run_plan`).
        """
        if self.snapshot.checkpoints == "none" and resume_after is None:
            return self.run_plan()
        return self._run_steps(resume_after)

    def run_plan(self) -> RunOutcome:
        """D36 `none`: every operation on one lazy plan, collected where meaning needs it and at the end.

        Step reports and trace events are side outputs of the plan, collected
        together. A failure anywhere in the plan is not located by Polars, so
        the attempt is dropped (nothing durable was written; outputs are
        rewritten under the same names, OP-OUT-4) and the Run is executed
        step by step, which fails at the same operation with the same error
        as the step-by-step engine always does (D14).
        """
        try:
            return self._run_plan()
        except _Stopped as stopped:
            raise stopped.cause from None
        except Exception:  # noqa: BLE001 - located again by the step-by-step run below
            return self._run_steps(None)

    def _run_plan(self) -> RunOutcome:
        steps = [self._build_load(lazy=True)]
        side = SideOutputs(steps, trace=self.trace is not None)
        outputs = _PlannedOutputs(steps)
        for op in self.operations():
            try:
                self.at_boundary(op.order)
            except BaseException as stop:  # a stop at a boundary ends the Run as it is (RUN-8)
                outputs.write(side, self.ctx)  # with what ran before it written, as step by step
                raise _Stopped(stop) from stop
            if op.type == "append":  # it reads another Dataset, which an earlier output may have written
                outputs.write(side, self.ctx)
            if isinstance(op, OutputOperation):
                steps.append(self._planned_output(op, steps[-1].working, outputs))
            else:
                steps.append(self._shared(self._build_operation(op, steps[-1].working)))
        started = time.perf_counter()
        outputs.write(side, self.ctx)
        side.collect_with([])
        reports = side.reports()
        last = reports[-1]
        reports[-1] = replace(last, seconds=last.seconds + time.perf_counter() - started)  # the collect at the end
        for report in reports:  # every step is done; nothing is persisted yet (the trace files come next)
            self.on_step(report)
        files = self._write_all_traces([(s, side.events[s.order]) for s in steps if s.order in side.events])
        reports = [replace(r, trace_file=files.get(r.order)) for r in reports]
        return RunOutcome(steps[-1].working, reports[1:])

    def _planned_output(self, op: OutputOperation, working: WorkingFrame, outputs: _PlannedOutputs) -> PendingStep:
        """An `output` in a plan: its rows stay a plan, collected with the Run's other outputs (D36)."""
        started = time.perf_counter()
        planned = _guarded(op.order, lambda: output_plan(op, working, self.ctx))
        outputs.pending.append(planned)
        report = working.frame.lazy().select(VISIBLE.sum().cast(pl.Int64).alias("rows_in"))
        report = report.with_columns(pl.lit(0, dtype=pl.Int64).alias("rows_created"))
        return PendingStep(op.order, op.type, op.name, working, working, report, None, time.perf_counter() - started)

    def _shared(self, step: PendingStep) -> PendingStep:
        """The frame after each step as a shared node of the plan (D36, `working.shared`).

        The next step, the step counts and the trace events all read it; one
        pass computes it once for all of them.
        """
        if isinstance(step.working.frame, pl.DataFrame):
            return step
        return replace(step, working=step.working.with_frame(shared(step.working.frame.lazy())))

    def _write_all_traces(self, items: list[tuple[PendingStep, pl.DataFrame]]) -> dict[int, str]:
        """Every step's trace file, each atomically; on a failure none is left (D36)."""
        written: dict[int, str] = {}
        if self.trace is None:
            return written
        try:
            for step, events in items:
                written[step.order] = self._write_trace(self.trace, step, events)
        except BaseException:
            self.trace.discard(self.ctx.run_id, [step.order for step, _ in items])
            raise
        return written

    def _write_trace(self, trace: TraceWriter, step: PendingStep, events: pl.DataFrame) -> str:
        fingerprints = self._load_fingerprints
        if step.type == "load" and fingerprints is not None:  # TR-15: `events` is the loaded row count
            rows = int(events.item())
            return _guarded(None, lambda: trace.write_by_reference(self.ctx.run_id, step.schema, rows, fingerprints))
        return _guarded(step.order, lambda: trace.write(self.ctx.run_id, step.order, step.type, events, step.schema))

    def _run_steps(self, resume_after: int | None) -> RunOutcome:
        """Step by step: each collected in turn, durable under `operations`, traced at the end under `none`."""
        deferred: list[tuple[PendingStep, pl.DataFrame]] | None = (
            None if self.snapshot.checkpoints == "operations" else []
        )
        if resume_after is None:
            working, _ = self._settle(self._build_load(lazy=False), deferred)
        else:
            working = self.checkpoints.load(
                self.ctx.run_id, resume_after, expect_step=step_holding(self.snapshot.operations, resume_after)
            )
        outcome = RunOutcome(working)
        for op in self.operations():
            if resume_after is not None and op.order <= resume_after:
                continue
            self.at_boundary(op.order)
            outcome.working, step = self._run_operation(op, outcome.working, deferred)
            outcome.steps.append(step)
        if deferred is not None:
            files = self._write_all_traces(deferred)
            outcome.steps[:] = [replace(s, trace_file=files.get(s.order, s.trace_file)) for s in outcome.steps]
        return outcome

    def operations(self) -> list[Operation]:
        """The snapshot's operations in execution order (PRJ-1)."""
        return sorted(self.snapshot.operations, key=lambda o: o.order)

    @property
    def _qualifiers(self) -> set[str]:
        return referenced_qualifiers(self.snapshot.operations, self.snapshot.selectors)

    @property
    def _runtime(self) -> bool:
        return self.snapshot.materialization == "runtime"

    def load(self) -> WorkingFrame:
        """Operation 0: assemble the working frame, trace it, checkpoint it (TR-2, RUN-4)."""
        return self._settle(self._build_load(lazy=False), None)[0]

    def run_operation(self, op: Operation, working: WorkingFrame) -> tuple[WorkingFrame, StepReport]:
        """One operation on `working`, then its trace file and checkpoint (RUN-4)."""
        return self._run_operation(op, working, None)

    def prepare_output(self, op: OutputOperation, working: WorkingFrame) -> OutputRequest:
        """An `output`'s rows and destination, for a caller that writes them itself (a Dagster IO manager).

        Write it with `request.write_with(...)`, then report it with `finish_output`.
        """
        return _guarded(op.order, lambda: output_request(op, working, self.ctx))

    def finish_output(self, op: OutputOperation, working: WorkingFrame, written: WriteResult) -> StepReport:
        """The step of an `output` whose request was written by the caller: its report, made durable (RUN-4)."""
        return self._settle(self._build_operation(op, working, written=written), None)[1]

    def _run_operation(
        self, op: Operation, working: WorkingFrame, deferred: list[tuple[PendingStep, pl.DataFrame]] | None
    ) -> tuple[WorkingFrame, StepReport]:
        return self._settle(self._build_operation(op, working), deferred)

    def _build_load(self, *, lazy: bool) -> PendingStep:
        """Operation 0 on the plan: the assembled rows, their count, their `created` events (TR-2).

        When the load can be read again exactly (TR-15), its trace side output is
        only the row count: the trace file records what was read, not the rows.
        """
        started = time.perf_counter()
        by_reference = self.trace is not None and self.load_by_reference
        working, self._load_fingerprints = self._assemble_load(lazy=lazy, fingerprint=by_reference)
        events = None
        if self.trace is not None and self._load_fingerprints is not None:
            events = working.frame.lazy().select(pl.len().cast(pl.Int64).alias("rows"))
        elif self.trace is not None:
            events = created_events(
                working.working_frame(), run_id=self.ctx.run_id, operation_order=0, operation_type="load"
            )
        report = working.frame.lazy().select(pl.len().cast(pl.Int64).alias("rows_in"))
        report = report.with_columns(pl.col("rows_in").alias("rows_created"))
        return PendingStep(0, "load", None, working, None, report, events, time.perf_counter() - started, counts=report)

    def _assemble_load(self, *, lazy: bool, fingerprint: bool) -> tuple[WorkingFrame, list[Fingerprint] | None]:
        """The load's working frame and, if asked and possible, the fingerprints of every table it read (TR-15)."""
        qualifiers, runtime = self._qualifiers, self._runtime
        recording = _RecordingTables(self.ctx.tables)
        ctx = replace(self.ctx, tables=recording)
        working = _guarded(
            None, lambda: assemble(ctx, ctx.input_dataset, qualifiers, join_now=not runtime, lazy=lazy).working
        )
        if not fingerprint:
            return working, None
        return working, _guarded(None, lambda: _fingerprints(self.ctx.tables, recording.loaded))

    def replay_load(self) -> ReplayedLoad:
        """The load done again, for reading a trace that records it by reference (TR-15).

        Assembly only: nothing is traced, checkpointed or written. The frame is
        lazy, so a reader looking for one row does not hold every loaded row.
        """
        working, fingerprints = self._assemble_load(lazy=True, fingerprint=True)
        return ReplayedLoad(working.working_frame().lazy(), fingerprints or [])

    def _runtime_lookups(self) -> list[LoadedLookup]:
        if not self._runtime:
            return []
        if self._lookups is None:  # loaded once per Run (or per process when resuming)
            self._lookups = _guarded(
                None, lambda: assemble(self.ctx, self.ctx.input_dataset, self._qualifiers, join_now=False).lookups
            )
        return self._lookups

    def _build_operation(self, op: Operation, working: WorkingFrame, written: WriteResult | None = None) -> PendingStep:
        """One operation on the plan of `working`; its counts and events are side outputs (D36).

        `written`: the `output` was already written by the caller (`finish_output`).
        """
        # An `output` the caller already wrote looks nothing up: no lookup tables are loaded for it.
        lookups = self._runtime_lookups() if written is None else []
        started = time.perf_counter()
        before = working  # operations build on it lazily; a collected frame stays one where that is cheaper
        rows_in = before.frame.lazy().select(VISIBLE.sum().cast(pl.Int64).alias("rows_in"))

        def apply() -> OperationOutcome:
            if written is not None:
                return OperationOutcome(before, events=None, write=written)
            current = before
            if lookups:  # LK-6 runtime: look values up by the rows' current keys
                frame = join_lookups(
                    drop_lookup_columns(before.frame.lazy(), lookups),
                    lookups,
                    working.temporal_mode,
                    self.ctx.input_dataset.id,
                )
                current = before.with_frame(frame)
            return APPLY[op.type](op, current, self.ctx)

        result = _guarded(op.order, apply)
        after = result.working
        if lookups:
            after = after.with_frame(drop_lookup_columns(after.frame.lazy(), lookups))
        report = rows_in if result.counts is None else pl.concat([rows_in, result.counts], how="horizontal")
        if "rows_created" not in report.collect_schema():  # else counted in the plan
            report = report.with_columns(pl.lit(result.rows_created, dtype=pl.Int64).alias("rows_created"))
        return PendingStep(
            op.order,
            op.type,
            op.name,
            after,
            working,
            report,
            result.events,
            time.perf_counter() - started,
            result.write,
            result.changed_columns,
            result.counts,
            result.rows_created,
        )

    def _settle(
        self, step: PendingStep, deferred: list[tuple[PendingStep, pl.DataFrame]] | None
    ) -> tuple[WorkingFrame, StepReport]:
        """Collect one step (frame, counts, events together), then make it durable or keep its trace (RUN-4, D36).

        `deferred` None: trace file, checkpoint, then the report, as RUN-4 says.
        """
        started = time.perf_counter()
        events = step.events if self.trace is not None else None
        side = [step.report, *([events] if events is not None else [])]
        order = None if step.type == "load" else step.order
        current = step.working.frame
        if isinstance(current, pl.DataFrame):  # already collected: an aggregate or append appended to it
            frame = current
            counts, *traced = _guarded(order, lambda: pl.collect_all(side))
        else:
            plan = current
            frame, counts, *traced = _guarded(order, lambda: pl.collect_all([plan, *side]))
        after = step.working.with_frame(frame.rechunk() if step.type == "load" else frame)
        trace_file = None
        if traced and deferred is not None:
            deferred.append((step, traced[0]))
        elif traced and self.trace is not None:
            trace_file = self._write_trace(self.trace, step, traced[0])
        if deferred is None and step.type != "output":  # an output leaves the frame: the previous checkpoint holds it
            previous = step.previous
            self.checkpoints.save(
                self.ctx.run_id, step.order, after, previous=previous, changed=step.changed if previous else None
            )
        report = step.report_with(counts, trace_file)
        report = replace(report, seconds=report.seconds + time.perf_counter() - started)
        self.on_step(report)
        return after, report


@dataclass
class _PlannedOutputs:
    """The outputs of a plan not written yet: collected in one pass, then written in operation order (OP-OUT-4)."""

    steps: list[PendingStep]
    pending: list[PlannedOutput] = field(default_factory=list)

    def write(self, side: SideOutputs, ctx: RunContext) -> None:
        if not self.pending:
            return
        planned, self.pending = self.pending, []
        frames = _guarded(None, lambda: side.collect_with([p.rows for p in planned]))
        by_order = {s.order: s for s in self.steps}
        for output, frame in zip(planned, frames):
            write = partial(output.with_rows(frame).write_with, ctx.outputs)
            by_order[output.order].write = _guarded(output.order, write)


@dataclass
class _RecordingTables:
    """A TableSource that notes which tables the load reads, so their fingerprints can be taken (TR-15)."""

    inner: TableSource
    loaded: list[tuple[Dataset, TableRef]] = field(default_factory=list)

    def dataset(self, dataset_id: str, version: int | None = None) -> Dataset:
        return self.inner.dataset(dataset_id, version)

    def load_table(self, dataset: Dataset, table: TableRef) -> pl.LazyFrame:
        self.loaded.append((dataset, table))
        return self.inner.load_table(dataset, table)


def _fingerprints(tables: TableSource, loaded: list[tuple[Dataset, TableRef]]) -> list[Fingerprint] | None:
    """One fingerprint per location the load read; None when any table cannot be read again (e.g. a database)."""
    if not isinstance(tables, ReReadable):
        return None
    found: dict[str, Fingerprint] = {}
    for dataset, table in loaded:
        try:
            prints = tables.fingerprints(dataset, table)
        except OSError:  # a location that cannot be fingerprinted is one that cannot be trusted to re-read
            return None
        if prints is None:
            return None
        found.update({str(p["location"]): p for p in prints})
    return list(found.values())


class _Stopped(BaseException):
    """A stop raised at an operation boundary, carried past the plan's fallback unchanged."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _guarded(order: int | None, fn: Callable[[], T]) -> T:
    """Run one step; every failure becomes a DoboError located at the operation (D14, D31)."""
    try:
        return fn()
    except DoboError as err:
        if order is not None and err.location.operation_order is None:
            with_order(err, order)
        raise
    except Exception as err:  # noqa: BLE001 - D31: data errors keep a user code, anything else is a bug
        raise from_unexpected(err, operation_order=order) from err


__all__ = ["Executor", "RunOutcome", "StepReport"]
