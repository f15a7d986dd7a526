"""In-memory IO for Runs that need no storage: the scenario harness's built-in
test resolver (SC-1) and captured outputs (SC-3).

Every table is served whole for any Period; the engine's own temporal filter
then does the period filtering, so it is really exercised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from dobo_engine.errors import DataNotFound, UnresolvedDatasetRef
from dobo_engine.io.fingerprints import Fingerprint, frame_fingerprint
from dobo_engine.io.row_ids import seed_text
from dobo_engine.io.schema_check import conform
from dobo_engine.model.dataset import Dataset, TableRef
from dobo_engine.model.operations import Destination, OutputMode
from dobo_engine.model.run import WriteResult


@dataclass
class MemoryTables:
    """Datasets by id and their tables' rows by (dataset id, table name).

    ``re_readable``: whoever reads the Run's trace back can load these rows
    again (the scenario harness does, in the same process), so the load's
    trace may refer to them instead of copying them (TR-15). Off by default:
    a trace read from its files alone needs the copy.
    """

    datasets: Mapping[str, Dataset]
    rows: Mapping[tuple[str, str], pl.DataFrame]
    clock: datetime
    period_identifier: str
    re_readable: bool = False

    def dataset(self, dataset_id: str, version: int | None = None) -> Dataset:
        found = self.datasets.get(dataset_id)
        if found is None or (version is not None and (found.version or 1) != version):
            wanted = dataset_id if version is None else f"{dataset_id} v{version}"
            raise UnresolvedDatasetRef(f"Dataset {wanted} is not provided", rule="VAL-008")
        return found

    def load_table(self, dataset: Dataset, table: TableRef) -> pl.LazyFrame:
        frame = self.rows.get((dataset.id, table.name))
        if frame is None:
            raise DataNotFound(f"no rows provided for table {table.name!r} of Dataset {dataset.id!r}", rule="RES-8")
        return conform(
            frame.lazy(),
            table.columns,
            table.temporal_mode,
            dataset_id=dataset.id,
            table_name=table.name,
            period_identifier=self.period_identifier,
            clock=self.clock,
            row_id_seed=seed_text(dataset.id, table.name, "memory"),
            descendants_ok=True,
        )

    def fingerprints(self, dataset: Dataset, table: TableRef) -> list[Fingerprint] | None:
        """The rows served for the table, when they are to be read again from here (TR-15)."""
        frame = self.rows.get((dataset.id, table.name))
        return (
            None
            if frame is None or not self.re_readable
            else [frame_fingerprint(f"memory:{dataset.id}/{table.name}", frame)]
        )


@dataclass
class MemoryOutputs:
    """Keeps every output frame by operation order instead of writing it."""

    frames: dict[int, pl.DataFrame] = field(default_factory=dict)

    def write(
        self,
        frame: pl.DataFrame,
        *,
        operation_order: int,
        destination: Destination,
        mode: OutputMode,
        register_as: str | None,
        temporal_mode: str,
    ) -> WriteResult:
        if mode == "append" and operation_order in self.frames:
            frame = pl.concat([self.frames[operation_order], frame], how="diagonal_relaxed")
        self.frames[operation_order] = frame
        return WriteResult(
            operation_order=operation_order,
            destination=f"memory://operation={operation_order}",
            sandboxed=False,
            rows_written=frame.height,
            columns=list(frame.columns),
            register_as=register_as,
        )
