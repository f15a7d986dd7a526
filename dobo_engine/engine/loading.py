"""Loading a Dataset table for the Run: resolve/load/check via the TableSource,
then the table's own temporal filter (TMP-1..5, D8, D9)."""

from __future__ import annotations

import polars as pl

from dobo_engine.dsl.types import DATE, STRING, DslType
from dobo_engine.engine.context import RunContext
from dobo_engine.engine.temporal import temporal_filter
from dobo_engine.model.dataset import ColumnDef, Dataset, TableRef

TEMPORAL_COLUMN_TYPES: dict[str, DslType] = {
    "_period": STRING,
    "_period_from": DATE,
    "_period_to": DATE,
    "_valid_from": DATE,
    "_valid_to": DATE,
}


def column_type(column: ColumnDef) -> DslType:
    return DslType.from_column(column.type, column.precision, column.scale)


def user_column_types(table: TableRef) -> dict[str, DslType]:
    return {c.name: column_type(c) for c in table.columns}


def load_filtered(ctx: RunContext, dataset: Dataset, table: TableRef) -> pl.LazyFrame:
    """The table's rows for the Run's Period (an empty result is no error, TMP-5)."""
    frame = ctx.tables.load_table(dataset, table)
    names = frame.collect_schema().names()
    condition = temporal_filter(
        table.temporal_mode,
        period_identifiers=ctx.period.identifiers(),
        start_date=ctx.period.start_date,
        has_knowledge_axis="_valid_from" in names,
        as_known_at=ctx.as_known_at,
    )
    return frame.filter(condition)


def exposed_columns(table: TableRef, present: list[str]) -> dict[str, DslType]:
    """What an alias exposes: the table's user columns plus its temporal system columns (dsl.md §3)."""
    exposed = user_column_types(table)
    for name, dtype in TEMPORAL_COLUMN_TYPES.items():
        if name in present:
            exposed[name] = dtype
    return exposed


def as_alias(frame: pl.LazyFrame, alias: str, columns: dict[str, DslType]) -> pl.LazyFrame:
    """Only the exposed columns, renamed `alias.column`."""
    return frame.select([pl.col(c).alias(f"{alias}.{c}") for c in columns])
