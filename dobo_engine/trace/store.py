"""Writing trace files (D17, TR-1, TR-6, TR-7, TR-9, TR-10).

One Parquet file per (Run, operation) under
``<root>/run_id=<run>/operation=<order>.parquet``. The file only becomes
visible once complete: on local disk it is written under a hidden temporary
name in the same folder, synced, then renamed; on an object store the final
key is written with one upload, which is all-or-nothing (a rename there is
copy plus delete, so it would not be atomic).
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Mapping
from typing import Any

import fsspec
import polars as pl

from dobo_engine.errors import Location, TraceWriteFailure
from dobo_engine.trace.format import (
    EVENT_FIELDS,
    FORMAT_VERSION,
    METADATA_KEY,
    OUTPUT,
    ROW_ID,
    TRACED_TYPES,
    is_remote,
    schema_names,
    trace_path,
)


def trace_metadata(
    run_id: str, operation_order: int, operation_type: str, schema: Mapping[str, pl.DataType | str]
) -> dict[str, str]:
    """The key-value metadata of a trace file (TR-9)."""

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
            rows = events.lazy().select(EVENT_FIELDS).collect().rechunk()
            plan = rows.sort(ROW_ID).lazy()
            if is_remote(self.root):
                self._write_remote(plan, metadata, final)
            else:
                self._write_local(plan, metadata, final)
        except Exception as exc:  # noqa: BLE001 - every cause becomes the one TR-1 error
            raise TraceWriteFailure(
                f"trace file of operation {operation_order} of Run {run_id} could not be written",
                detail=f"{final}: {type(exc).__name__}: {exc}",
                location=Location(operation_order=int(operation_order)),
                rule="TR-1",
            ) from exc
        return final

    def _write_local(self, plan: pl.LazyFrame, metadata: dict[str, str], final: str) -> None:
        folder = os.path.dirname(final)
        os.makedirs(folder, exist_ok=True)
        # Hidden name in the same folder: same file system (so the rename is
        # atomic) and skipped by readers that list the folder.
        temp = os.path.join(folder, f".{os.path.basename(final)}.{uuid.uuid4().hex}.tmp")
        try:
            plan.sink_parquet(temp, metadata=metadata, sync_on_close="all")
            os.replace(temp, final)
        except BaseException:
            _remove_quietly(temp)
            raise
        _sync_folder(folder)

    def _write_remote(self, plan: pl.LazyFrame, metadata: dict[str, str], final: str) -> None:
        fs, _ = fsspec.core.url_to_fs(final, **self.storage_options)
        handle, temp = tempfile.mkstemp(prefix="dobo-trace-", suffix=".parquet")
        os.close(handle)
        try:
            plan.sink_parquet(temp, metadata=metadata)
            fs.put_file(temp, final)  # one PUT (or one multipart upload): all-or-nothing
        finally:
            _remove_quietly(temp)


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (TR-1: complete once durably written)."""

    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # platforms without directory handles
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = ["TraceWriter", "trace_metadata"]
