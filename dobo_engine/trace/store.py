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
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from dobo_engine.errors import Location, TraceWriteFailure
from dobo_engine.io.storage import filesystem, write_atomically
from dobo_engine.trace.format import (
    FORMAT_VERSION,
    FORMAT_VERSION_2,
    LOAD,
    METADATA_KEY,
    OUTPUT,
    ROW_ID_COLUMN,
    ROW_ID_PAIR,
    TRACED_TYPES,
    empty_events_schema,
    file_rows,
    paired_ids,
    schema_names,
    trace_path,
)
from dobo_engine.trace.replay import REPLAY_KEY, Fingerprint, load_record


def trace_metadata(
    run_id: str,
    operation_order: int,
    operation_type: str,
    schema: Mapping[str, pl.DataType | str],
    by_reference: Mapping[str, Any] | None = None,
    *,
    paired_row_ids: bool = False,
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

    body: dict[str, Any] = {
        "format_version": FORMAT_VERSION if by_reference is None and not paired_row_ids else FORMAT_VERSION_2,
        "run_id": run_id,
        "operation_order": int(operation_order),
        "operation_type": operation_type,
        "schema": schema_names(schema),
    }
    if by_reference is not None:  # TR-15: the load's rows are re-read, not copied
        body[REPLAY_KEY] = dict(by_reference)
    if paired_row_ids:  # D37: `row_id` as its high and low 64 bits
        body["row_id_form"] = ROW_ID_PAIR
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
        return self._write(run_id, operation_order, lambda: file_rows(events), operation_type, schema, None)

    def write_by_reference(
        self,
        run_id: str,
        schema: Mapping[str, pl.DataType],
        rows: int,
        fingerprints: Sequence[Fingerprint],
    ) -> str:
        """Write the load's file with no copy of its rows: their count and what was read (TR-15).

        The file has the columns a full copy would have (``after`` holds every
        working column, TR-8) and no rows; its metadata says how to rebuild
        them (:class:`~dobo_engine.trace.reader.TraceReader` with a load replay).
        """
        fields = {name: pl.Utf8() if name == ROW_ID_COLUMN else dtype for name, dtype in schema.items()}
        full = pl.Struct(fields)
        record = load_record(rows, fingerprints)
        return self._write(
            run_id, 0, lambda: pl.DataFrame(schema=empty_events_schema(full, full)), LOAD, schema, record
        )

    def _write(
        self,
        run_id: str,
        operation_order: int,
        rows: Callable[[], pl.DataFrame],
        operation_type: str,
        schema: Mapping[str, pl.DataType | str],
        by_reference: Mapping[str, Any] | None,
    ) -> str:
        final = self.path(run_id, operation_order)
        try:
            written = rows()  # TR-10: sorted by row id, so a row filter can skip row groups
            paired = paired_ids(written.schema)
            metadata = trace_metadata(
                run_id, operation_order, operation_type, schema, by_reference, paired_row_ids=paired
            )
            plan = written.lazy()
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
