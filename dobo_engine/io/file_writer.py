"""Writing outputs as Parquet or CSV files on local disk or object stores (OP-OUT-1/4/5/8).

Every write is all-or-nothing (see :mod:`dobo_engine.io.storage`). ``append``
adds the new rows to the rows the file already holds; a file has no notion
of Period, so ``overwrite`` replaces the whole file (OP-OUT-4).
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
from dobo_engine.io.labels import labels_to_json
from dobo_engine.io.paths import join_under_prefix
from dobo_engine.io.protocols import Destination, WriteOutcome

CSV_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.6f%:z"


def csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``_labels`` as JSON object text (ROW-6) so it fits a CSV cell."""
    return frame.with_columns(
        labels_to_json(pl.col(name)).alias(name) for name, dtype in frame.schema.items() if dtype == LABELS_DTYPE
    )


def _csv_text(frame: pl.DataFrame, delimiter: str, has_header: bool) -> pl.DataFrame:
    # Append to CSV works on text: the new rows are formatted exactly as a
    # write would format them, so old and new rows look alike in the file.
    data = csv_ready(frame).write_csv(separator=delimiter, datetime_format=CSV_DATETIME_FORMAT, include_header=True)
    return pl.read_csv(io.StringIO(data), separator=delimiter, infer_schema=False)


class FileWriter:
    """``OutputWriter`` for file destinations (DataSource path, or a deployment ``uri``)."""

    def __init__(self, *, data_root: str | None = None) -> None:
        self.data_root = data_root

    def _target(self, destination: Destination) -> tuple[str, str, str, bool, Mapping[str, Any]]:
        """(uri, format, delimiter, has_header, storage options) of ``destination``."""
        ds = destination.datasource
        if ds is None:
            if not destination.uri:
                raise WriteFailure("a file destination needs a DataSource path or a uri")
            fmt = destination.file_format or "parquet"
            return destination.uri, fmt, ",", True, {}
        if ds.type not in FILE_TYPES:
            raise UnsupportedSourceType(f"DataSource {ds.id!r} of type {ds.type!r} cannot take a file output", rule="SRC-1")
        if not destination.path:
            raise WriteFailure(f"output to DataSource {ds.id!r} needs a path")
        uri = join_under_prefix(str(ds.options["path_prefix"]), destination.path, data_root=self.data_root)
        delimiter, has_header = csv_options(ds) if ds.type == "csv" else (",", True)
        return uri, ds.type, delimiter, has_header, storage_options(resolve_credential(ds.credential_ref))

    def write(self, frame: pl.LazyFrame | pl.DataFrame, destination: Destination) -> WriteOutcome:
        uri, fmt, delimiter, has_header, options = self._target(destination)
        try:
            data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
            if destination.mode == "append" and storage.exists(uri, options):
                data = self._with_existing(uri, fmt, data, delimiter, has_header, options)
            elif fmt == "csv":
                data = csv_ready(data)

            def produce(target: Any) -> None:
                if fmt == "parquet":
                    data.write_parquet(target)
                else:
                    data.write_csv(target, separator=delimiter, include_header=has_header,
                                   datetime_format=CSV_DATETIME_FORMAT)

            storage.write_atomically(uri, produce, options)
        except DoboError:
            raise
        except Exception as exc:  # any driver/IO/compute failure is a failed write (OP-OUT-8)
            # The storage secret's values are masked in case a client echoes them.
            reason = redact(f"{type(exc).__name__}: {exc}", json.dumps(dict(options), default=str))
            raise WriteFailure(
                f"could not write {uri}: {reason}",
                payload={"destination": uri},
            ) from None
        return WriteOutcome(destination=uri, rows_written=data.height, columns=list(data.columns))

    def _with_existing(self, uri: str, fmt: str, new: pl.DataFrame, delimiter: str, has_header: bool,
                       options: Mapping[str, Any]) -> pl.DataFrame:
        """The existing file's rows followed by ``new`` (OP-OUT-4 ``append``)."""
        raw = storage.read_bytes(uri, options)
        if fmt == "parquet":
            old = pl.read_parquet(io.BytesIO(raw)) if raw else new.clear()
            self._same_columns(uri, old.columns, new.columns)
            return pl.concat([old, new.select(old.columns)], how="vertical_relaxed")
        text_new = _csv_text(new, delimiter, has_header)
        if not raw:
            return text_new
        old = pl.read_csv(io.BytesIO(raw), separator=delimiter, has_header=has_header, infer_schema=False)
        if not has_header:
            old.columns = text_new.columns[: old.width] if old.width <= text_new.width else old.columns
        self._same_columns(uri, old.columns, text_new.columns)
        return pl.concat([old, text_new.select(old.columns)], how="vertical")

    @staticmethod
    def _same_columns(uri: str, old: list[str], new: list[str]) -> None:
        if sorted(old) != sorted(new):
            raise WriteFailure(
                f"cannot append to {uri}: it holds columns {old}, the output has {new}",
                rule="OP-OUT-4",
                payload={"destination": uri},
            )
