"""Working frame assembly: a Dataset's main table for the Period plus its lookups
(OP-GEN-2, LK-1..7, D20).

Lookups are loaded once per Run (only those referenced, LK-5) and joined
either once after load (`eager`) or before each operation on the rows'
current keys (`runtime`), LK-6.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dobo_engine.dsl.types import DslType
from dobo_engine.engine.context import RunContext
from dobo_engine.engine.joins import JoinLabel, left_join_unique
from dobo_engine.engine.loading import (
    TEMPORAL_COLUMN_TYPES,
    as_alias,
    exposed_columns,
    load_filtered,
    user_column_types,
)
from dobo_engine.engine.working import WorkingFrame, frame_names, lookup_column
from dobo_engine.model.dataset import Dataset, LookupDef, TableRef

TEMPORAL_BY_MODE = {"period": ("_period",), "bitemporal": ("_period_from", "_period_to")}


@dataclass(frozen=True)
class LoadedLookup:
    alias: str
    dataset_id: str
    temporal_mode: str
    rows: pl.DataFrame  # filtered lookup rows, columns `alias.column`
    source_columns: tuple[str, ...]  # working column or `alias.column` of an earlier lookup
    target_columns: tuple[str, ...]


def lookup_table(ctx: RunContext, dataset: Dataset, lookup: LookupDef) -> tuple[Dataset, TableRef]:
    """The Dataset and table a lookup reads (a dataset target exposes its main table, DS-3)."""
    target = lookup.target
    if target.type == "dataset":
        nested = ctx.tables.dataset(target.dataset_id, target.dataset_version)
        return nested, nested.main_table
    return dataset, target


def declared_lookup_columns(ctx: RunContext, dataset: Dataset) -> dict[str, dict[str, DslType]]:
    """Readable columns of every lookup alias (for scopes), without loading data."""
    out: dict[str, dict[str, DslType]] = {}
    for lookup in dataset.lookups:
        _, table = lookup_table(ctx, dataset, lookup)
        columns = user_column_types(table)
        for name in TEMPORAL_BY_MODE[table.temporal_mode]:
            columns[name] = TEMPORAL_COLUMN_TYPES[name]
        out[lookup.resolved_alias] = columns
    return out


def needed_lookups(dataset: Dataset, qualifiers: set[str]) -> list[LookupDef]:
    """Referenced lookups plus those their `source_column`s need, in declared order (LK-5)."""
    by_alias = {lk.alias: lk for lk in dataset.lookups}
    needed: set[str] = set()
    pending = [q for q in qualifiers if q in by_alias]
    while pending:
        alias = pending.pop()
        if alias in needed:
            continue
        needed.add(alias)
        for condition in by_alias[alias].join_conditions:
            qualifier, _, _ = condition.source_column.rpartition(".")
            if qualifier in by_alias:
                pending.append(qualifier)
    return [lk for lk in dataset.lookups if lk.alias in needed]


def load_lookups(ctx: RunContext, dataset: Dataset, lookups: list[LookupDef]) -> list[LoadedLookup]:
    loaded = []
    for lookup in lookups:
        owner, table = lookup_table(ctx, dataset, lookup)
        rows = load_filtered(ctx, owner, table)
        columns = exposed_columns(table, rows.collect_schema().names())
        loaded.append(
            LoadedLookup(
                alias=lookup.resolved_alias,
                dataset_id=owner.id,
                temporal_mode=table.temporal_mode,
                rows=as_alias(rows, lookup.resolved_alias, columns).collect(),
                source_columns=tuple(c.source_column for c in lookup.join_conditions),
                target_columns=tuple(c.target_column for c in lookup.join_conditions),
            )
        )
    return loaded


def join_lookups(
    frame: pl.LazyFrame, lookups: list[LoadedLookup], main_temporal_mode: str, dataset_id: str
) -> pl.LazyFrame:
    """Left-join each lookup on the rows' current keys; LK-2 checks every joined row."""
    for lookup in lookups:
        left = [pl.col(c) for c in lookup.source_columns]
        right = [pl.col(lookup_column(lookup.alias, c)) for c in lookup.target_columns]
        terms = [f"{s} = {lookup.alias}.{t}" for s, t in zip(lookup.source_columns, lookup.target_columns)]
        if main_temporal_mode == "period" and lookup.temporal_mode == "period":  # D20
            left.append(pl.col("_period"))
            right.append(pl.col(lookup_column(lookup.alias, "_period")))
            terms.append(f"_period = {lookup.alias}._period")
        label = JoinLabel(dataset_id, lookup.alias, terms)
        frame = left_join_unique(frame, lookup.rows, left_keys=left, right_keys=right, label=label)
    return frame


def drop_lookup_columns(frame: pl.LazyFrame, lookups: list[LoadedLookup]) -> pl.LazyFrame:
    prefixes = tuple(f"{lk.alias}." for lk in lookups)
    return frame.drop([c for c in frame_names(frame) if c.startswith(prefixes)]) if prefixes else frame


@dataclass(frozen=True)
class Assembled:
    working: WorkingFrame
    lookups: list[LoadedLookup]


def assemble(
    ctx: RunContext, dataset: Dataset, qualifiers: set[str], *, join_now: bool = True, lazy: bool = False
) -> Assembled:
    """The Dataset's rows for the Period with its referenced lookups loaded.

    `join_now` joins them at once (eager, and append sources); a runtime Run
    joins them before each operation instead. `lazy` leaves the rows as the
    start of the Run's plan (D36); otherwise they are collected here.
    """
    table = dataset.main_table
    frame = load_filtered(ctx, dataset, table)
    if not lazy:  # one chunk: later gathers and sorts stay cheap
        frame = frame.collect().rechunk().lazy()
    lookups = load_lookups(ctx, dataset, needed_lookups(dataset, qualifiers))
    if join_now:
        frame = join_lookups(frame, lookups, table.temporal_mode, dataset.id)
    working = WorkingFrame(
        frame=frame,
        columns=user_column_types(table),
        main_table=table.name,
        temporal_mode=table.temporal_mode,
        lookups=declared_lookup_columns(ctx, dataset),
    )
    return Assembled(working, lookups)
