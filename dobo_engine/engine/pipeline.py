"""The pipeline executor (D12-D14, RUN-4, RUN-7, TR-1, TR-11).

Pure: a snapshot, a RunContext with injected IO, a trace writer and a
checkpoint store in; the final working frame and the write results out. After
the load (operation 0) and after each operation, in this order: write the
trace file (none for `output`), save the checkpoint, report the step done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from dobo_engine.engine.assembly import LoadedLookup, assemble, drop_lookup_columns, join_lookups
from dobo_engine.engine.checkpoints import CheckpointStore
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
from dobo_engine.errors import DoboError, Location, NumericOverflow, OperationFailure
from dobo_engine.model.operations import Operation
from dobo_engine.model.run import ProjectSnapshot, WriteResult
from dobo_engine.trace.events import created_events
from dobo_engine.trace.store import TraceWriter

APPLY: dict[str, Callable[[Operation, WorkingFrame, RunContext], OperationOutcome]] = {
    "update": apply_update,  # type: ignore[dict-item]
    "delete": apply_delete,  # type: ignore[dict-item]
    "aggregate": apply_aggregate,  # type: ignore[dict-item]
    "append": apply_append,  # type: ignore[dict-item]
    "output": apply_output,  # type: ignore[dict-item]
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


def _no_step(_: StepReport) -> None:
    return None


@dataclass
class Executor:
    snapshot: ProjectSnapshot
    ctx: RunContext
    checkpoints: CheckpointStore
    trace: TraceWriter | None  # None: trace off for this Run (D32)
    on_step: Callable[[StepReport], None] = _no_step  # called after each step is durable (RUN-4)
    _lookups: list[LoadedLookup] | None = field(default=None, init=False, repr=False)

    def run(self, resume_after: int | None = None) -> RunOutcome:
        """Run from the load, or from the checkpoint of `resume_after` (RUN-7)."""
        working = self.checkpoints.load(self.ctx.run_id, resume_after) if resume_after is not None else self.load()
        outcome = RunOutcome(working)
        for op in self.operations():
            if resume_after is not None and op.order <= resume_after:
                continue
            outcome.working, step = self.run_operation(op, outcome.working)
            outcome.steps.append(step)
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
        qualifiers, runtime = self._qualifiers, self._runtime
        started = time.perf_counter()
        working = _guarded(None, lambda: assemble(self.ctx, self.ctx.input_dataset, qualifiers,
                                                   join_now=not runtime).working)
        trace_file = None
        if self.trace is not None:  # TR-2: operation 0 records every loaded row
            events = created_events(working.working_frame(), run_id=self.ctx.run_id, operation_order=0,
                                    operation_type="load")
            trace_file = self.trace.write(self.ctx.run_id, 0, "load", events, _schema(working))
        self.checkpoints.save(self.ctx.run_id, 0, working)
        rows = working.frame.height
        self.on_step(StepReport(0, "load", None, rows, rows_created=rows,
                                seconds=time.perf_counter() - started, trace_file=trace_file))
        return working

    def _runtime_lookups(self) -> list[LoadedLookup]:
        if not self._runtime:
            return []
        if self._lookups is None:  # loaded once per Run (or per process when resuming)
            self._lookups = _guarded(
                None, lambda: assemble(self.ctx, self.ctx.input_dataset, self._qualifiers, join_now=False).lookups)
        return self._lookups

    def run_operation(self, op: Operation, working: WorkingFrame) -> tuple[WorkingFrame, StepReport]:
        """One operation on `working`, then its trace file and checkpoint (RUN-4)."""
        lookups = self._runtime_lookups()
        started = time.perf_counter()
        rows_in = int((~working.frame["_deleted"]).sum())

        def apply() -> OperationOutcome:
            current = working
            if lookups:  # LK-6 runtime: look values up by the rows' current keys
                frame = join_lookups(drop_lookup_columns(working.frame, lookups), lookups, working.temporal_mode,
                                     self.ctx.input_dataset.id)
                current = working.with_frame(frame)
            return APPLY[op.type](op, current, self.ctx)

        result = _guarded(op.order, apply)
        after = result.working
        if lookups:
            after = after.with_frame(drop_lookup_columns(after.frame, lookups))
        trace_file = None
        if self.trace is not None and result.events is not None:
            trace_file = _guarded(op.order, lambda: self.trace.write(  # type: ignore[union-attr]
                self.ctx.run_id, op.order, op.type, result.events, _schema(after)))
        if op.type != "output":  # an output leaves the frame unchanged: the previous checkpoint holds it
            self.checkpoints.save(self.ctx.run_id, op.order, after, previous=working,
                                  changed=result.changed_columns)
        step = StepReport(op.order, op.type, op.name, rows_in, result.rows_changed, result.rows_created,
                          result.rows_deleted, time.perf_counter() - started, trace_file, result.write)
        self.on_step(step)
        return after, step


def _schema(working: WorkingFrame) -> dict[str, pl.DataType]:
    frame = working.frame
    return {c: frame.schema[c] for c in working.working_columns}


def _guarded(order: int | None, fn):  # type: ignore[no-untyped-def]
    """Run one step; every failure becomes a DoboError located at the operation (D14, D31)."""
    try:
        return fn()
    except DoboError as err:
        if order is not None and err.location.operation_order is None:
            with_order(err, order)
        raise
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as err:
        text = str(err)
        if "overflow" in text or "conversion from `decimal" in text or "conversion from `i" in text:
            raise NumericOverflow(f"a value does not fit its type: {text.splitlines()[0]}",
                                  location=Location(operation_order=order)) from err
        raise OperationFailure(f"operation failed: {text.splitlines()[0]}", detail=text,
                               location=Location(operation_order=order)) from err
    except Exception as err:  # noqa: BLE001 - D31: any unexpected cause is OperationFailure
        raise OperationFailure(f"operation failed: {type(err).__name__}: {err}",
                               location=Location(operation_order=order)) from err


__all__ = ["Executor", "RunOutcome", "StepReport"]
