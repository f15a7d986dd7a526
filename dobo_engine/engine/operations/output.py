"""`output` (OP-OUT-1..8): write the selected rows; the working frame is unchanged."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dobo_engine.engine.context import OutputSink, RunContext
from dobo_engine.engine.expressions import OperationCompiler
from dobo_engine.engine.materialise import collect_together
from dobo_engine.engine.operations.outcome import OperationOutcome
from dobo_engine.engine.working import VISIBLE, WorkingFrame
from dobo_engine.errors import Location, UnresolvedColumnRef
from dobo_engine.io.row_ids import ROW_ID_DTYPE, row_id_text
from dobo_engine.model.operations import Destination, OutputMode, OutputOperation
from dobo_engine.model.run import WriteResult


def output_columns(op: OutputOperation, working: WorkingFrame) -> list[str]:
    """OP-OUT-3: the named working columns, or user columns then system columns."""
    available = working.working_columns
    if op.parameters.columns is None:
        keep_deleted = op.parameters.include_deleted
        return [c for c in available if c != "_deleted" or keep_deleted]
    names = [c.rpartition(".")[2] if c.startswith(f"{working.main_table}.") else c for c in op.parameters.columns]
    unknown = [c for c in names if c not in available]
    if unknown:
        raise UnresolvedColumnRef(
            f"output column(s) {', '.join(unknown)} are not working columns; available: {', '.join(available)}",
            rule="OP-OUT-3",
            location=Location(path=f"operations[order={op.order}].parameters.columns", operation_order=op.order),
        )
    return names


def _readable(column: str, working: WorkingFrame) -> pl.Expr:
    """A written column as users read it: `_row_id` as its UUID text (D37), anything else as it is."""
    if column == "_row_id" and working.schema[column] == ROW_ID_DTYPE:
        return row_id_text(pl.col(column)).alias(column)
    return pl.col(column)


@dataclass(frozen=True)
class OutputRequest:
    """What one `output` writes, collected, and where: the write itself is `write_with` (OP-OUT-1..8).

    The engine writes it at once (`apply_output`); a Dagster IO manager writes it
    through the same writers after its op hands it over (`Executor.prepare_output`).
    """

    order: int
    frame: pl.DataFrame
    destination: Destination
    mode: OutputMode
    register_as: str | None
    temporal_mode: str

    def write_with(self, outputs: OutputSink) -> WriteResult:
        return outputs.write(
            self.frame,
            operation_order=self.order,
            destination=self.destination,
            mode=self.mode,
            register_as=self.register_as,
            temporal_mode=self.temporal_mode,
        )


@dataclass(frozen=True)
class PlannedOutput:
    """What one `output` writes, still a plan: a Run executing as one plan collects every output together (D36)."""

    order: int
    rows: pl.LazyFrame
    destination: Destination
    mode: OutputMode
    register_as: str | None
    temporal_mode: str

    def with_rows(self, frame: pl.DataFrame) -> OutputRequest:
        return OutputRequest(self.order, frame, self.destination, self.mode, self.register_as, self.temporal_mode)


def output_plan(op: OutputOperation, working: WorkingFrame, ctx: RunContext) -> PlannedOutput:
    """The selected rows and columns of `working`, as a plan, with the operation's destination."""
    compiler = OperationCompiler(op.order, ctx.selectors, ctx.today)
    scope = working.scope("selector", today=ctx.today)
    candidates = pl.lit(True) if op.parameters.include_deleted else VISIBLE
    rows = working.frame.lazy().filter(candidates & compiler.condition(op.selector, scope, "selector"))
    written = [_readable(c, working) for c in output_columns(op, working)]
    return PlannedOutput(
        op.order,
        rows.select(written),
        op.parameters.destination,
        op.parameters.mode,
        op.parameters.register_as_dataset,
        working.temporal_mode,
    )


def output_request(op: OutputOperation, working: WorkingFrame, ctx: RunContext) -> OutputRequest:
    """The selected rows and columns of `working`, materialised, with the operation's destination."""
    planned = output_plan(op, working, ctx)
    (frame,) = collect_together([planned.rows])  # what is written is materialised here
    return planned.with_rows(frame)


def apply_output(op: OutputOperation, working: WorkingFrame, ctx: RunContext) -> OperationOutcome:
    result = output_request(op, working, ctx).write_with(ctx.outputs)
    return OperationOutcome(working, events=None, write=result)
