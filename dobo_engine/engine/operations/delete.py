"""`delete` (OP-DEL-1..4): soft-delete the visible rows the selector picks."""

from __future__ import annotations

import polars as pl

from dobo_engine.engine.context import RunContext
from dobo_engine.engine.expressions import OperationCompiler
from dobo_engine.engine.operations.outcome import OperationOutcome
from dobo_engine.engine.working import VISIBLE, WorkingFrame, shared
from dobo_engine.model.operations import DeleteOperation
from dobo_engine.trace.events import deleted_events

FLAGGED = "__dobo_flagged"


def apply_delete(op: DeleteOperation, working: WorkingFrame, ctx: RunContext) -> OperationOutcome:
    compiler = OperationCompiler(op.order, ctx.selectors, ctx.today)
    scope = working.scope("selector", today=ctx.today)
    flagged = VISIBLE & compiler.condition(op.selector, scope, "selector")
    clock = pl.lit(ctx.clock, dtype=pl.Datetime("us", "UTC"))
    marked = shared(working.frame.lazy().with_columns(flagged.alias(FLAGGED)))  # read by frame, count, events
    frame = marked.with_columns(
        (pl.col("_deleted") | pl.col(FLAGGED)).alias("_deleted"),
        pl.when(pl.col(FLAGGED)).then(clock).otherwise(pl.col("_updated_at")).alias("_updated_at"),
    )
    events = deleted_events(
        marked.filter(pl.col(FLAGGED)).select("_row_id"), run_id=ctx.run_id, operation_order=op.order
    )
    counts = marked.select(pl.col(FLAGGED).sum().cast(pl.Int64).alias("rows_deleted"))
    return OperationOutcome(
        working.with_frame(frame.drop(FLAGGED)),
        events=events,
        counts=counts,
        changed_columns=frozenset({"_deleted", "_updated_at"}),
    )
