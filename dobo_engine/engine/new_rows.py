"""System columns of rows an operation creates (OP-SYS table, D26, ROW-5)."""

from __future__ import annotations

from typing import Any

import polars as pl

from dobo_engine.columns import SYSTEM_COLUMNS
from dobo_engine.engine.context import RunContext
from dobo_engine.engine.working import Frame, WorkingFrame, frame_names, shared
from dobo_engine.io.row_ids import row_id_compact_expr, seed_text
from dobo_engine.labels import empty_labels


def _temporal(name: str, incoming: list[str], default: pl.Expr) -> pl.Expr:
    """A group/source value when the incoming rows carry the column, else the default."""
    dtype = SYSTEM_COLUMNS[name]
    return (pl.col(name) if name in incoming else default).cast(dtype).alias(name)


def stamp_new_rows(
    rows: Frame,
    working: WorkingFrame,
    ctx: RunContext,
    *,
    order: int,
    source_dataset_id: str,
    source_table: str,
) -> Frame:
    """Incoming user columns plus fresh system columns, in the working frame's column layout."""
    incoming = frame_names(rows)
    clock = pl.lit(ctx.clock, dtype=pl.Datetime("us", "UTC"))
    system: dict[str, pl.Expr] = {
        "_row_id": row_id_compact_expr(ctx.clock, seed_text(ctx.run_id, order)),
        "_source_dataset_id": pl.lit(source_dataset_id, dtype=pl.Utf8),
        "_source_table": pl.lit(source_table, dtype=pl.Utf8),
        "_created_by_project_id": pl.lit(ctx.project_id, dtype=pl.Utf8),
        "_created_by_run_id": pl.lit(ctx.run_id, dtype=pl.Utf8),
        "_created_at": clock,
        "_updated_at": clock,
        "_deleted": pl.lit(False),
        "_labels": empty_labels(),
        "_period": _temporal("_period", incoming, pl.lit(ctx.period.identifier)),
        "_period_from": _temporal("_period_from", incoming, pl.lit(ctx.period.start_date)),
        "_period_to": _temporal("_period_to", incoming, pl.lit(None)),
        # A created row is known from the Run's date on (knowledge axis, D9).
        "_valid_from": _temporal("_valid_from", incoming, pl.lit(ctx.today)),
        "_valid_to": _temporal("_valid_to", incoming, pl.lit(None)),
    }
    user = [
        (pl.col(name) if name in incoming else pl.lit(None)).cast(dtype.to_polars()).alias(name)
        for name, dtype in working.columns.items()
    ]
    present = working.system_columns
    return rows.select(*user, *[system[name].alias(name) for name in present])


def created_rows(rows: Frame, working: Frame) -> Frame:
    """New rows as the step needs them: collected in a collected frame's step, else one shared node of the plan.

    A plan's new rows are read by the frame after the step, its count and its
    trace events; the cache computes them once for all of them (D36).
    """
    if isinstance(working, pl.DataFrame):
        return rows.collect() if isinstance(rows, pl.LazyFrame) else rows
    return shared(rows.lazy())


def created_count(rows: Frame) -> dict[str, Any]:
    """`OperationOutcome` fields for how many rows a step created: known, or counted in the plan (D36)."""
    if isinstance(rows, pl.DataFrame):
        return {"rows_created": rows.height}
    return {"counts": rows.select(pl.len().cast(pl.Int64).alias("rows_created"))}


def append_rows(working: WorkingFrame, new_rows: Frame) -> Frame:
    """New rows after the existing ones; lookup columns are NULL on them (LK-6 eager).

    A collected frame stays collected (its chunks are appended to, never copied); a plan stays a plan.
    """
    if isinstance(working.frame, pl.DataFrame) and isinstance(new_rows, pl.DataFrame):
        return pl.concat([working.frame, new_rows], how="diagonal")
    return pl.concat([working.frame.lazy(), new_rows.lazy()], how="diagonal")
