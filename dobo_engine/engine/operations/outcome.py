"""What one operation hands back to the executor."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dobo_engine.engine.working import WorkingFrame
from dobo_engine.model.run import WriteResult


@dataclass
class OperationOutcome:
    working: WorkingFrame
    events: pl.LazyFrame | None = None  # None: the operation writes no trace (output)
    rows_changed: int = 0
    rows_created: int = 0
    rows_deleted: int = 0
    write: WriteResult | None = None
    # Columns whose values may differ on the rows that existed before (new rows aside);
    # None: not known, compare to find out (checkpoints store only changes).
    changed_columns: frozenset[str] | None = None
