"""What one Run gives its operations: identity, clock, Period, and injected IO.

The engine is pure (D12): everything that touches storage arrives through the
protocols below, so the CLI, the scenario harness and Dagster run the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

import polars as pl

from dobo_engine.model.dataset import Dataset, TableRef
from dobo_engine.model.operations import Destination, OutputMode
from dobo_engine.model.run import PeriodDetails, WriteResult


class TableSource(Protocol):
    """Finds Datasets and loads their tables for the Run's Period.

    `load_table` returns the rows of every location resolved for the table,
    checked against the declared columns and with system columns filled
    (DS-6, ROW-1/2); the engine applies the temporal filter itself.
    """

    def dataset(self, dataset_id: str, version: int | None = None) -> Dataset: ...

    def load_table(self, dataset: Dataset, table: TableRef) -> pl.LazyFrame: ...


class OutputSink(Protocol):
    """Writes what an `output` operation selected (OP-OUT-1/4/7/8)."""

    def write(
        self,
        frame: pl.DataFrame,
        *,
        operation_order: int,
        destination: Destination,
        mode: OutputMode,
        register_as: str | None,
        temporal_mode: str,
    ) -> WriteResult: ...


@dataclass(frozen=True)
class RunContext:
    run_id: str
    project_id: str
    clock: datetime
    today: date
    period: PeriodDetails
    input_dataset: Dataset
    materialization: str
    tables: TableSource
    outputs: OutputSink
    selectors: dict[str, str] = field(default_factory=dict)
    as_known_at: date | None = None
    sandbox: bool = False

    @property
    def main_table(self) -> str:
        return self.input_dataset.main_table.name
