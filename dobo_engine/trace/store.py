"""Writing trace files (D17, TR-1, TR-6, TR-7, TR-9, TR-10).

One Parquet file per (Run, operation) under
``<root>/run_id=<run>/operation=<order>.parquet``. The file only becomes
visible once complete, through dobo's one all-or-nothing file write
(:func:`dobo_engine.io.storage.write_atomically`): on local disk a hidden
temporary file in the same folder, fsynced, renamed, the folder fsynced, and
temporary files of killed writers swept; on an object store one upload of the
final key (a rename there is copy plus delete, so it would not be atomic).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from dobo_engine.errors import Location, TraceWriteFailure
from dobo_engine.io.storage import filesystem, write_atomically
from dobo_engine.trace.format import (
    EVENT_FIELDS,
    FORMAT_VERSION,
    METADATA_KEY,
    OUTPUT,
    ROW_ID,
    TRACED_TYPES,
    readable_ids,
    schema_names,
    trace_path,
)


def trace_metadata(
    run_id: str, operation_order: int, operation_type: str, schema: Mapping[str, pl.DataType | str]
) -> dict[str, str]:
    """The key-value metadata of a trace file (TR-9).

    >>> import polars as pl
    >>> metadata = trace_metadata("run-1", 10, "update", {"amount": pl.Decimal(18, 2)})
    >>> list(metadata)
    ['dobo.trace']
    >>> json.loads(metadata["dobo.trace"])
    {'format_version': 1, 'run_id': 'run-1', 'operation_order': 10, 'operation_type': 'update',
     'schema': {'amount': 'decimal(18,2)'}}
    """

    body = {
        "format_version": FORMAT_VERSION,
        "run_id": run_id,
        "operation_order": int(operation_order),
        "operation_type": operation_type,
        "schema": schema_names(schema),
    }
    return {METADATA_KEY: json.dumps(body, separators=(",", ":"))}


class TraceWriter:
    """Writes one trace file per operation; ``root`` is a local path or a URI (D24)."""

    def __init__(self, root: str, storage_options: dict[str, Any] | None = None) -> None:
        self.root = root
        self.storage_options = dict(storage_options or {})

    def path(self, run_id: str, operation_order: int) -> str:
        return trace_path(self.root, run_id, operation_order)

    def write(
        self,
        run_id: str,
        operation_order: int,
        operation_type: str,
        events: pl.LazyFrame | pl.DataFrame,
        schema: Mapping[str, pl.DataType | str],
    ) -> str:
        """Write the events of one operation and return the file's path.

        ``schema`` maps every working column to its type after the operation
        (Polars types or readable names). An empty ``events`` frame still
        writes a file (TR-6). Any failure raises ``TraceWriteFailure`` and
        leaves no file at the final path (TR-1).
        """

        if operation_type == OUTPUT or operation_type not in TRACED_TYPES:
            raise ValueError(f"operation type {operation_type!r} writes no trace file (TR-6)")
        final = self.path(run_id, operation_order)
        try:
            metadata = trace_metadata(run_id, operation_order, operation_type, schema)
            # TR-10: sorted by row id, so row-group statistics let a row filter skip groups.
            # One contiguous frame sorted once: sorting wide nested structs lazily, or
            # gathering from many chunks, costs several times more.
            # Compact ids (D37) are sorted as numbers, which orders them as their text, then
            # written as text: trace files are read by tools without 128-bit integers (pyarrow).
            rows = events.lazy().select(EVENT_FIELDS).collect().rechunk()
            plan = readable_ids(rows.sort(ROW_ID)).lazy()
            write_atomically(final, lambda temp: plan.sink_parquet(temp, metadata=metadata), self.storage_options)
        except Exception as exc:  # noqa: BLE001 - every cause becomes the one TR-1 error
            raise TraceWriteFailure(
                f"trace file of operation {operation_order} of Run {run_id} could not be written",
                detail=f"{final}: {type(exc).__name__}: {exc}",
                location=Location(operation_order=int(operation_order)),
                rule="TR-1",
            ) from exc
        return final

    def discard(self, run_id: str, operation_orders: list[int]) -> None:
        """Remove these operations' trace files of a Run, where written (D36: a failed Run leaves none)."""
        for order in operation_orders:
            path = self.path(run_id, order)
            fs = filesystem(path, self.storage_options)
            if fs.exists(path):
                fs.rm(path)


__all__ = ["TraceWriter", "trace_metadata"]
