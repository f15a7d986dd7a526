"""The pipeline executor (D12-D14, D36, RUN-4, RUN-7, TR-1, TR-11).

Pure: a snapshot, a RunContext with injected IO, a trace writer and a
checkpoint store in; the final working frame and the write results out.

The snapshot's durability policy (D36) decides what is persisted before the
Run ends. Under `checkpoints: operations`, after the load (operation 0) and
after each operation, in this order: write the trace file (none for
`output`), save the checkpoint, report the step done (RUN-4). Under
`checkpoints: none`, each step is reported as it finishes but nothing is
persisted: the trace files are written once every operation has run, and a
failure on the way leaves none of them. Called one step at a time (`load`,
`run_operation`, as the Dagster ops do), every step is durable: between ops
the frame is persisted anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

import polars as pl

from dobo_engine.engine.assembly import LoadedLookup, assemble, drop_lookup_columns, join_lookups
from dobo_engine.engine.checkpoints import CheckpointStore, step_holding
from dobo_engine.engine.context import RunContext
from dobo_engine.engine.expressions import with_order
from dobo_engine.engine.operations.aggregate import apply_aggregate
from dobo_engine.engine.operations.append import apply_append
from dobo_engine.engine.operations.delete import apply_delete
from dobo_engine.engine.operations.outcome import OperationOutcome
from dobo_engine.engine.operations.output import apply_output
from dobo_engine.engine.operations.update import apply_update
from dobo_engine.engine.references import referenced_qualifiers
from dobo_engine.engine.working import WorkingFrame
from dobo_engine.errors import DoboError
from dobo_engine.model.operations import Operation
from dobo_engine.model.run import ProjectSnapshot, WriteResult
from dobo_engine.trace.events import created_events
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


@dataclass(frozen=True)
class StepReport:
    order: int
    type: str
    name: str | None
    rows_in: int
    rows_changed: int = 0
    rows_created: int = 0
    rows_deleted: int = 0
    seconds: float = 0.0
    trace_file: str | None = None
    write: WriteResult | None = None


@dataclass
class RunOutcome:
    working: WorkingFrame
    steps: list[StepReport] = field(default_factory=list)

    @property
    def writes(self) -> list[WriteResult]:
        return [s.write for s in self.steps if s.write is not None]


@dataclass(frozen=True)
class _DeferredTrace:
    """A step's trace events, kept until the plan has run (D36 `checkpoints: none`)."""

    order: int
    type: str
    events: pl.LazyFrame | pl.DataFrame
    schema: dict[str, pl.DataType]


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
    _lookups: list[LoadedLookup] | None = field(default=None, init=False, repr=False)
    # Not None while `run` executes under `checkpoints: none`: trace events wait here (D36).
    _deferred: list[_DeferredTrace] | None = field(default=None, init=False, repr=False)

    def run(self, resume_after: int | None = None) -> RunOutcome:
        """Run from the load, or from the checkpoint of `resume_after` (RUN-7).

        A resume reads exactly the checkpoint that holds the frame after
        `resume_after`; if it is gone or damaged the Run stops with
        `InvalidResumePoint`, never falling back to an older one. Under
        `checkpoints: none` a Run has no checkpoint to resume from: it always
        starts from the load (`resume_after` is None).
        """
        self._deferred = None if self.snapshot.checkpoints == "operations" else []
        try:
            outcome = self._run_steps(resume_after)
            if self._deferred is not None:
                self._write_deferred(outcome)
        finally:
            self._deferred = None
        return outcome

    def _run_steps(self, resume_after: int | None) -> RunOutcome:
        if resume_after is None:
            working = self.load()
        else:
            working = self.checkpoints.load(
                self.ctx.run_id, resume_after, expect_step=step_holding(self.snapshot.operations, resume_after)
            )
        outcome = RunOutcome(working)
        for op in self.operations():
            if resume_after is not None and op.order <= resume_after:
                continue
            self.at_boundary(op.order)
            outcome.working, step = self.run_operation(op, outcome.working)
            outcome.steps.append(step)
        return outcome

    def _write_deferred(self, outcome: RunOutcome) -> None:
        """D36 `none`: every step's trace file, each atomically; on a failure none is left."""
        deferred, trace = self._deferred or [], self.trace
        if trace is None:
            return
        written: dict[int, str] = {}
        try:
            for item in deferred:
                written[item.order] = self._write_trace(trace, item.order, item.type, item.events, item.schema)
        except BaseException:
            trace.discard(self.ctx.run_id, [item.order for item in deferred])
            raise
        outcome.steps[:] = [replace(s, trace_file=written.get(s.order, s.trace_file)) for s in outcome.steps]

    def _traced(
        self, order: int, op_type: str, events: pl.LazyFrame | pl.DataFrame, schema: dict[str, pl.DataType]
    ) -> str | None:
        """Write a step's trace file now (durable step), or keep its events for the end of the Run (D36)."""
        trace = self.trace
        if trace is None:
            return None
        if self._deferred is not None:
            self._deferred.append(_DeferredTrace(order, op_type, events, schema))
            return None
        return self._write_trace(trace, order, op_type, events, schema)

    def _write_trace(
        self,
        trace: TraceWriter,
        order: int,
        op_type: str,
        events: pl.LazyFrame | pl.DataFrame,
        schema: dict[str, pl.DataType],
    ) -> str:
        return _guarded(order, lambda: trace.write(self.ctx.run_id, order, op_type, events, schema))

    def _checkpoint(
        self,
        order: int,
        working: WorkingFrame,
        previous: WorkingFrame | None = None,
        changed: frozenset[str] | None = None,
    ) -> None:
        if self._deferred is None:  # D36 `none`: nothing of the Run is persisted before its end
            self.checkpoints.save(self.ctx.run_id, order, working, previous=previous, changed=changed)

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
        qualifiers, runtime = self._qualifiers, self._runtime
        started = time.perf_counter()
        working = _guarded(
            None, lambda: assemble(self.ctx, self.ctx.input_dataset, qualifiers, join_now=not runtime).working
        )
        trace_file = None
        if self.trace is not None:  # TR-2: operation 0 records every loaded row
            events = created_events(
                working.working_frame(), run_id=self.ctx.run_id, operation_order=0, operation_type="load"
            )
            trace_file = self._traced(0, "load", events, _schema(working))
        self._checkpoint(0, working)
        rows = working.frame.height
        self.on_step(
            StepReport(
                0, "load", None, rows, rows_created=rows, seconds=time.perf_counter() - started, trace_file=trace_file
            )
        )
        return working

    def _runtime_lookups(self) -> list[LoadedLookup]:
        if not self._runtime:
            return []
        if self._lookups is None:  # loaded once per Run (or per process when resuming)
            self._lookups = _guarded(
                None, lambda: assemble(self.ctx, self.ctx.input_dataset, self._qualifiers, join_now=False).lookups
            )
        return self._lookups

    def run_operation(self, op: Operation, working: WorkingFrame) -> tuple[WorkingFrame, StepReport]:
        """One operation on `working`, then its trace file and checkpoint (RUN-4)."""
        lookups = self._runtime_lookups()
        started = time.perf_counter()
        rows_in = int((~working.frame["_deleted"]).sum())

        def apply() -> OperationOutcome:
            current = working
            if lookups:  # LK-6 runtime: look values up by the rows' current keys
                frame = join_lookups(
                    drop_lookup_columns(working.frame, lookups),
                    lookups,
                    working.temporal_mode,
                    self.ctx.input_dataset.id,
                )
                current = working.with_frame(frame)
            return APPLY[op.type](op, current, self.ctx)

        result = _guarded(op.order, apply)
        after = result.working
        if lookups:
            after = after.with_frame(drop_lookup_columns(after.frame, lookups))
        trace_file = None
        if result.events is not None:
            trace_file = self._traced(op.order, op.type, result.events, _schema(after))
        if op.type != "output":  # an output leaves the frame unchanged: the previous checkpoint holds it
            self._checkpoint(op.order, after, previous=working, changed=result.changed_columns)
        step = StepReport(
            op.order,
            op.type,
            op.name,
            rows_in,
            result.rows_changed,
            result.rows_created,
            result.rows_deleted,
            time.perf_counter() - started,
            trace_file,
            result.write,
        )
        self.on_step(step)
        return after, step


def _schema(working: WorkingFrame) -> dict[str, pl.DataType]:
    frame = working.frame
    return {c: frame.schema[c] for c in working.working_columns}


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
