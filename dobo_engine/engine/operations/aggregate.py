"""`aggregate` (OP-AGG-1..7): summary rows appended after the existing rows."""

from __future__ import annotations

import polars as pl

from dobo_engine.dsl.types import DslType, is_storable
from dobo_engine.engine.context import RunContext
from dobo_engine.engine.expressions import OperationCompiler
from dobo_engine.engine.grouping import aggregate
from dobo_engine.engine.new_rows import append_rows, created_count, created_rows, stamp_new_rows
from dobo_engine.engine.operations.outcome import OperationOutcome
from dobo_engine.engine.value_storage import new_column_type, store
from dobo_engine.engine.working import VISIBLE, Frame, WorkingFrame
from dobo_engine.errors import Location, TypeMismatch
from dobo_engine.model.operations import AggregateOperation
from dobo_engine.trace.events import created_events


def apply_aggregate(op: AggregateOperation, working: WorkingFrame, ctx: RunContext) -> OperationOutcome:
    compiler = OperationCompiler(op.order, ctx.selectors, ctx.today)
    scope = working.scope("selector", today=ctx.today)
    chosen = working.frame.lazy().filter(VISIBLE & compiler.condition(op.selector, scope, "selector"))
    result = aggregate(chosen, op.parameters, scope, working.main_table, compiler, "parameters")

    columns: dict[str, DslType] = dict(working.columns)
    stored = []
    for index, item in enumerate(op.parameters.aggregations):
        value_type = result.columns[item.column]
        where = compiler.path(f"parameters.aggregations[{index}].expression")
        if item.column in columns:  # OP-AGG-6: an existing column must store the result
            target = columns[item.column]
            if not is_storable(value_type, target):
                raise TypeMismatch(
                    f"column {item.column} is {target} and cannot hold a {value_type} result",
                    rule="OP-AGG-6",
                    location=Location(path=where, operation_order=op.order),
                )
        else:
            inferred = new_column_type(value_type)
            if inferred is None:
                raise TypeMismatch(
                    f"the type of new column {item.column} cannot be inferred (only NULL)",
                    rule="OP-AGG-6",
                    location=Location(path=where, operation_order=op.order),
                )
            target = columns[item.column] = inferred
        stored.append(store(pl.col(item.column), value_type, target).alias(item.column))

    widened = working.with_frame(working.frame, columns)
    summary = result.rows.with_columns(stored)
    new_rows = created_rows(
        stamp_new_rows(
            summary,
            widened,
            ctx,
            order=op.order,
            source_dataset_id=ctx.input_dataset.id,
            source_table=working.main_table,
        ),
        working.frame,
    )
    frame = append_rows(widened.with_frame(_with_new_columns(working.frame, columns, working)), new_rows)
    after = widened.with_frame(frame)
    events = created_events(new_rows, run_id=ctx.run_id, operation_order=op.order, operation_type="aggregate")
    added = frozenset(c for c in columns if c not in working.columns)  # NULL on the existing rows
    return OperationOutcome(after, events=events, changed_columns=added, **created_count(new_rows))


def _with_new_columns(frame: Frame, columns: dict[str, DslType], working: WorkingFrame) -> Frame:
    """New columns exist on every row, NULL on the existing ones (OP-AGG-6, OP-GEN-4)."""
    added = [pl.lit(None, dtype=t.to_polars()).alias(c) for c, t in columns.items() if c not in working.columns]
    return frame.with_columns(added) if added else frame
