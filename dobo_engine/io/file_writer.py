"""Writing outputs as Parquet or CSV files on local disk or object stores (OP-OUT-1/4/5/8).

Every file is written all-or-nothing (:func:`dobo_engine.io.storage.write_atomically`).
``overwrite`` replaces the whole file at the destination path (a file has no
notion of Period, OP-OUT-4). ``append`` makes the destination path a folder
of part files, one per (Run, operation), named by :func:`append_part_name`:
a retried write of the same Run and operation (a resume, a re-executed
step, a process killed before the Run record moved) replaces its own part
instead of adding its rows a second time, and an append costs only the new
rows, never a rewrite of what the target already holds.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from dobo_engine.columns import LABELS_DTYPE
from dobo_engine.errors import DoboError, UnsupportedSourceType, WriteFailure
from dobo_engine.io import storage
from dobo_engine.io.credentials import redact, resolve_credential, storage_options
from dobo_engine.io.files import FILE_TYPES, csv_options
from dobo_engine.io.paths import join_under_prefix
from dobo_engine.io.protocols import Destination, WriteOutcome, plain_datasource
from dobo_engine.labels import labels_to_json

CSV_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.6f%:z"


def csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``_labels`` as JSON object text (ROW-6) so it fits a CSV cell."""
    return frame.with_columns(
        labels_to_json(pl.col(name)).alias(name) for name, dtype in frame.schema.items() if dtype == LABELS_DTYPE
    )


def append_part_name(run_id: str, operation_order: int, file_format: str) -> str:
    """The part file one Run's ``append`` output writes inside the append folder."""
    return f"run_id={run_id}.operation={operation_order}.{file_format}"


class FileWriter:
    """``OutputWriter`` for file destinations (DataSource path, or a deployment ``uri``)."""

    def __init__(self, *, data_root: str | None = None) -> None:
        self.data_root = data_root

    def _target(self, destination: Destination) -> tuple[str, str, str, bool, Mapping[str, Any]]:
        """(uri, format, delimiter, has_header, storage options) of ``destination``."""
        ds = None if destination.datasource is None else plain_datasource(destination.datasource)
        if ds is None:
            if not destination.uri:
                raise WriteFailure("a file destination needs a DataSource path or a uri")
            fmt = destination.file_format or "parquet"
            return destination.uri, fmt, ",", True, {}
        if ds.type not in FILE_TYPES:
            raise UnsupportedSourceType(
                f"DataSource {ds.id!r} of type {ds.type!r} cannot take a file output", rule="SRC-1"
            )
        if not destination.path:
            raise WriteFailure(f"output to DataSource {ds.id!r} needs a path")
        uri = join_under_prefix(str(ds.options["path_prefix"]), destination.path, data_root=self.data_root)
        delimiter, has_header = csv_options(ds) if ds.type == "csv" else (",", True)
        return uri, ds.type, delimiter, has_header, storage_options(resolve_credential(ds.credential_ref))

    def write(self, frame: pl.LazyFrame | pl.DataFrame, destination: Destination) -> WriteOutcome:
        uri, fmt, delimiter, has_header, options = self._target(destination)
        target = uri
        try:
            data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
            if destination.mode == "append":
                target = self._append_part(uri, fmt, destination, data.columns, delimiter, has_header, options)
            else:
                self._not_a_folder(uri, options)
            written = csv_ready(data) if fmt == "csv" else data

            def produce(path: str) -> None:
                if fmt == "parquet":
                    written.write_parquet(path)
                else:
                    written.write_csv(
                        path, separator=delimiter, include_header=has_header, datetime_format=CSV_DATETIME_FORMAT
                    )

            storage.write_atomically(target, produce, options)
        except DoboError:
            raise
        except Exception as exc:  # any driver/IO/compute failure is a failed write (OP-OUT-8)
            # The storage secret's values are masked in case a client echoes them.
            reason = redact(f"{type(exc).__name__}: {exc}", json.dumps(dict(options), default=str))
            raise WriteFailure(
                f"could not write {target}: {reason}",
                payload={"destination": target},
            ) from None
        return WriteOutcome(destination=target, rows_written=data.height, columns=list(data.columns))

    @staticmethod
    def _not_a_folder(uri: str, options: Mapping[str, Any]) -> None:
        if storage.filesystem(uri, options).isdir(uri):
            raise WriteFailure(
                f"cannot overwrite {uri}: it is a folder of appended parts; an `overwrite` output needs "
                "a path of its own",
                rule="OP-OUT-4",
                payload={"destination": uri},
            )

    def _append_part(
        self,
        uri: str,
        fmt: str,
        destination: Destination,
        columns: list[str],
        delimiter: str,
        has_header: bool,
        options: Mapping[str, Any],
    ) -> str:
        """The part file this write appends as, after checking it fits the parts already there (OP-OUT-4)."""
        if destination.run_id is None or destination.operation_order is None:
            raise WriteFailure(f"an append to {uri} needs the Run and operation it comes from", rule="OP-OUT-4")
        fs = storage.filesystem(uri, options)
        if fs.isfile(uri):
            raise WriteFailure(
                f"cannot append to {uri}: it is a single file; an `append` output writes a folder of parts "
                "(one per Run and operation), so give it a path no `overwrite` output uses",
                rule="OP-OUT-4",
                payload={"destination": uri},
            )
        folder = uri.rstrip("/")
        target = f"{folder}/{append_part_name(destination.run_id, destination.operation_order, fmt)}"
        others = [p for p in storage.folder_parts(folder, fmt, options) if p != target] if fs.isdir(folder) else []
        if others:
            existing = self._part_columns(fs, others[0], fmt, delimiter, has_header)
            self._same_columns(uri, existing, columns, compare_names=fmt == "parquet" or has_header)
        return target

    @staticmethod
    def _part_columns(fs: Any, part: str, fmt: str, delimiter: str, has_header: bool) -> list[str]:
        with fs.open(part, "rb") as handle:
            if fmt == "parquet":
                return list(pl.read_parquet_schema(handle))
            first = handle.readline().decode("utf-8")
        header = pl.read_csv(io.StringIO(first), separator=delimiter, has_header=has_header, infer_schema=False)
        return header.columns

    @staticmethod
    def _same_columns(uri: str, old: list[str], new: list[str], *, compare_names: bool = True) -> None:
        same = sorted(old) == sorted(new) if compare_names else len(old) == len(new)
        if not same:
            raise WriteFailure(
                f"cannot append to {uri}: its parts hold columns {old}, the output has {new}",
                rule="OP-OUT-4",
                payload={"destination": uri},
            )
