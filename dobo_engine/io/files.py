"""Loading Parquet and CSV locations from local disk or object stores.

Frames are scanned lazily; a location that does not exist is ``DataNotFound``
(RES-8) and an existing empty file gives zero rows. CSV is read as text so
that DS-6 converts every value exactly (no inferred floats for decimals).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from dobo_engine.columns import system_columns_for
from dobo_engine.errors import DataNotFound, UnsupportedSourceType
from dobo_engine.io.credentials import resolve_credential, storage_options
from dobo_engine.io.paths import join_under_prefix
from dobo_engine.io.protocols import DataSourceLike, ResolvedLocationLike, TableSchemaLike
from dobo_engine.io import storage

FILE_TYPES = ("parquet", "csv")


def csv_options(datasource: DataSourceLike) -> tuple[str, bool]:
    """(delimiter, has_header) of a csv DataSource (SRC table of options)."""
    options = datasource.options or {}
    delimiter = str(options.get("delimiter", ","))
    if len(delimiter) != 1:
        raise UnsupportedSourceType(f"DataSource {datasource.id!r}: delimiter must be one character")
    return delimiter, bool(options.get("has_header", True))


def _physical_names(table_schema: TableSchemaLike, count: int) -> list[str]:
    # A headerless CSV holds the declared columns in order, then the table's
    # system columns in convention order (what dobo writes without a header).
    names = [c.name for c in table_schema.columns] + system_columns_for(table_schema.temporal_mode)
    if table_schema.temporal_mode == "bitemporal":
        names += ["_valid_from", "_valid_to"]
    return names[:count] + [f"column_{i + 1}" for i in range(len(names), count)]


class FileLoader:
    """``DataLoader`` for ``parquet`` and ``csv`` DataSources."""

    def __init__(self, datasource: DataSourceLike, *, data_root: str | None = None) -> None:
        if datasource.type not in FILE_TYPES:
            raise UnsupportedSourceType(f"DataSource {datasource.id!r} of type {datasource.type!r} holds no files")
        self.datasource = datasource
        self.data_root = data_root

    def _options(self) -> dict[str, Any]:
        # Resolved on every load, never kept (SRC-3).
        return storage_options(resolve_credential(self.datasource.credential_ref))

    def location_uri(self, relative: str) -> str:
        return join_under_prefix(str(self.datasource.options["path_prefix"]), relative, data_root=self.data_root)

    def load(
        self,
        location: ResolvedLocationLike | Sequence[ResolvedLocationLike],
        table_schema: TableSchemaLike,
    ) -> pl.LazyFrame:
        """The physical rows of one location, or of several concatenated in order."""
        if isinstance(location, Sequence):
            frames = [self.load(one, table_schema) for one in location]
            if not frames:
                raise ValueError("no locations to load")
            return frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
        if not location.path:
            raise DataNotFound(f"table {location.table_name!r}, Period {location.period_identifier!r}: the location has no path",
                               rule="RES-8")
        uri = self.location_uri(location.path)
        options = self._options()
        if not storage.exists(uri, options):
            raise DataNotFound(
                f"table {location.table_name!r}, Period {location.period_identifier!r}: "
                f"{location.path!r} does not exist in DataSource {self.datasource.id!r}",
                rule="RES-8",
                payload={"table": location.table_name, "period": location.period_identifier, "location": uri},
            )
        return self.scan(uri, table_schema, options)

    def scan(self, uri: str, table_schema: TableSchemaLike, options: Mapping[str, Any] | None = None) -> pl.LazyFrame:
        """Scan an existing file at ``uri`` (absolute) as this DataSource's format."""
        popts = storage.polars_options(uri, options)
        if self.datasource.type == "parquet":
            return pl.scan_parquet(uri, storage_options=popts, glob=False)
        return scan_csv(uri, table_schema, *csv_options(self.datasource), options=options)


def scan_csv(uri: str, table_schema: TableSchemaLike, delimiter: str = ",", has_header: bool = True,
             *, options: Mapping[str, Any] | None = None) -> pl.LazyFrame:
    """A CSV file as text columns (DS-6 converts them); an empty file is zero rows."""
    if storage.size(uri, options) == 0:
        names = [c.name for c in table_schema.columns]
        return pl.LazyFrame(schema={n: pl.Utf8 for n in names})
    popts = storage.polars_options(uri, options)
    frame = pl.scan_csv(uri, separator=delimiter, has_header=has_header, infer_schema=False,
                        storage_options=popts, glob=False)
    if not has_header:
        current = frame.collect_schema().names()
        frame = frame.rename(dict(zip(current, _physical_names(table_schema, len(current)))))
    return frame
