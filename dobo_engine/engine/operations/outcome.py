"""What one operation hands back to the executor."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dobo_engine.engine.working import WorkingFrame
from dobo_engine.model.run import WriteResult


@dataclass
class OperationOutcome:
    working: WorkingFrame  # its frame is the lazy plan after the operation (D36)
    events: pl.LazyFrame | None = None  # None: the operation writes no trace (output)
    # A one-row side output of the plan with `rows_changed`, `rows_deleted` or `rows_created`: counted when the
    # step is collected, never by collecting the frame for it (D36).
    counts: pl.LazyFrame | None = None
    rows_created: int = 0  # when the created rows are materialised; else `counts` has `rows_created`
    write: WriteResult | None = None
    # Columns whose values may differ on the rows that existed before (new rows aside);
    # None: not known, compare to find out (checkpoints store only changes).
    changed_columns: frozenset[str] | None = None
