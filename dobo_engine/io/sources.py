"""Picking the loader or writer for a DataSource, and loading a table's locations.

:func:`load_table` is the whole load step of one table: each location is
loaded, checked and completed by DS-6/ROW-2 on its own (its Period fills
``_period``, its identity seeds row ids, D26), then the parts are concatenated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import polars as pl

from dobo_engine.errors import DataSourceDisabled, UnsupportedSourceType
from dobo_engine.io.file_writer import FileWriter
from dobo_engine.io.files import FILE_TYPES, FileLoader
from dobo_engine.io.pg_writer import PostgresWriter
from dobo_engine.io.postgres import PostgresLoader
from dobo_engine.io.protocols import (
    DataSourceLike,
    Destination,
    ResolvedLocationLike,
    TableSchemaLike,
    WriteOutcome,
    plain_datasource,
)
from dobo_engine.io.row_ids import seed_text
from dobo_engine.io.schema_check import conform


def _usable(datasource: DataSourceLike) -> DataSourceLike:
    if getattr(datasource, "status", "active") == "disabled":
        raise DataSourceDisabled(f"DataSource {datasource.id!r} is disabled", rule="SRC-6")
    if datasource.type == "api" or datasource.type not in (*FILE_TYPES, "database"):
        raise UnsupportedSourceType(
            f"DataSource {datasource.id!r} of type {datasource.type!r} has no adapter", rule="SRC-1"
        )
    return datasource


class SourceLoader:
    """``DataLoader`` over several DataSources, chosen by each location's ``datasource_id``."""

    def __init__(self, datasources: Mapping[str, DataSourceLike], *, data_root: str | None = None) -> None:
        self.datasources = datasources
        self.data_root = data_root

    def load(
        self, location: ResolvedLocationLike, table_schema: TableSchemaLike, *, periods: Sequence[str] | None = None
    ) -> pl.LazyFrame:
        datasource = _usable(self.datasources[location.datasource_id or ""])
        if datasource.type == "database":
            return PostgresLoader(datasource).load(location, table_schema, periods=periods)
        return FileLoader(datasource, data_root=self.data_root).load(location, table_schema)


class SourceWriter:
    """``OutputWriter`` choosing files or PostgreSQL by the destination's DataSource."""

    def __init__(self, *, data_root: str | None = None) -> None:
        self.files = FileWriter(data_root=data_root)
        self.tables = PostgresWriter()

    def write(self, frame: pl.LazyFrame | pl.DataFrame, destination: Destination) -> WriteOutcome:
        if destination.datasource is None:
            return self.files.write(frame, destination)
        datasource = _usable(plain_datasource(destination.datasource))
        writer = self.tables if datasource.type == "database" else self.files
        return writer.write(frame, replace(destination, datasource=datasource))


def load_table(
    loader: Callable[[ResolvedLocationLike, TableSchemaLike], pl.LazyFrame],
    locations: Sequence[ResolvedLocationLike],
    table_schema: TableSchemaLike,
    *,
    dataset_id: str,
    clock: datetime,
    descendant_periods: Sequence[str],
) -> pl.LazyFrame:
    """All locations of one table, each checked (DS-6) and completed (ROW-2), concatenated in order.

    ``loader`` is e.g. ``SourceLoader(...).load``. ``descendant_periods`` holds
    the Run's Period identifier and its descendants' (a location of any other
    Period cannot fill a missing ``_period``).
    """
    allowed = set(descendant_periods)
    parts = []
    for location in locations:
        where = location.path or f"{location.schema or ''}.{location.table or ''}"
        parts.append(
            conform(
                loader(location, table_schema),
                table_schema.columns,
                table_schema.temporal_mode,
                dataset_id=dataset_id,
                table_name=table_schema.name,
                period_identifier=location.period_identifier,
                clock=clock,
                row_id_seed=seed_text(dataset_id, table_schema.name, location.datasource_id, where),
                location=where,
                descendants_ok=location.period_identifier in allowed,
            )
        )
    if not parts:
        raise ValueError("a table needs at least one location")
    return parts[0] if len(parts) == 1 else pl.concat(parts, how="vertical")
