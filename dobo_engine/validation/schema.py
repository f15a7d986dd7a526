"""The working schema, simulated operation by operation (V-4), and the scopes built from it.

Scopes come from the engine's own :class:`WorkingFrame` over an empty frame
holding the system columns a loaded table has, so validation sees exactly
the names a Run sees. A Dataset that cannot be read gets a permissive scope
in which every name resolves with type *unknown*: its absence is reported
once, not once per column reference (V-3).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

import polars as pl

from dobo_engine.columns import SYSTEM_COLUMNS
from dobo_engine.dsl.scope import ColumnBinding, Scope
from dobo_engine.dsl.types import UNKNOWN, DslType
from dobo_engine.engine.assembly import TEMPORAL_BY_MODE
from dobo_engine.engine.loading import TEMPORAL_COLUMN_TYPES, user_column_types
from dobo_engine.engine.working import WorkingFrame, lookup_column
from dobo_engine.model.dataset import Dataset, TableRef
from dobo_engine.resolver.catalog import CatalogReader

# Knowledge-axis columns may or may not be stored on a bitemporal table; an output may name them.
KNOWLEDGE_COLUMNS = ("_valid_from", "_valid_to")


class AnyColumns(Mapping[str, DslType]):
    """The column types of something that could not be read: every name is typed unknown.

    It lists no columns; scopes bind it as :class:`AnyBindings` (see :meth:`WorkingSchema.scope`).
    """

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix  # the alias its columns go by

    def __getitem__(self, key: str) -> DslType:
        return UNKNOWN

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class AnyBindings(Mapping[str, ColumnBinding]):
    """Every name resolves, typed unknown: the scope bindings of :class:`AnyColumns`."""

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix

    def __getitem__(self, key: str) -> ColumnBinding:
        return ColumnBinding(lookup_column(self.prefix, key) if self.prefix else key, UNKNOWN)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class AnyQualifiers(Mapping[str, Mapping[str, ColumnBinding]]):
    def __getitem__(self, key: str) -> Mapping[str, ColumnBinding]:
        return AnyBindings(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def table_columns(table: TableRef) -> dict[str, DslType]:
    """What a lookup or join alias exposes: user columns plus its temporal system columns (dsl.md §3)."""
    columns = user_column_types(table)
    for name in TEMPORAL_BY_MODE[table.temporal_mode]:
        columns[name] = TEMPORAL_COLUMN_TYPES[name]
    return columns


@dataclass
class DatasetShape:
    """What scopes need from a Dataset; lookups that could not be read map to :class:`AnyColumns`."""

    dataset: Dataset
    lookups: dict[str, Mapping[str, DslType]]
    missing_lookups: list[str] = field(default_factory=list)  # "alias → dataset" descriptions

    @property
    def main_table(self) -> str:
        return self.dataset.main_table.name

    @property
    def temporal_mode(self) -> str:
        return self.dataset.main_table.temporal_mode


def dataset_shape(catalog: CatalogReader, dataset: Dataset) -> DatasetShape:
    lookups: dict[str, Mapping[str, DslType]] = {}
    missing: list[str] = []
    for lookup in dataset.lookups:
        alias = lookup.alias or ""
        target = lookup.target
        if target.type == "table":
            lookups[alias] = table_columns(target)
            continue
        try:  # a Dataset target exposes its main table (DS-3)
            lookups[alias] = table_columns(catalog.dataset(target.dataset_id, target.dataset_version).main_table)
        except Exception:  # noqa: BLE001 - any catalog failure means the same: not readable
            lookups[alias] = AnyColumns(alias)
            missing.append(f"lookup {alias} → Dataset {target.dataset_id}")
    return DatasetShape(dataset, lookups, missing)


@functools.cache
def _system_frame(temporal_mode: str) -> pl.DataFrame:
    """An empty frame with the system columns a loaded table of this mode has (never mutated)."""
    other = {"period": ("_period_from", "_period_to"), "bitemporal": ("_period",)}[temporal_mode]
    skip = set(other) | set(KNOWLEDGE_COLUMNS)
    return pl.DataFrame(schema={name: dtype for name, dtype in SYSTEM_COLUMNS.items() if name not in skip})


class WorkingSchema:
    """User columns of the working dataset at one step, and the scopes expressions see there."""

    def __init__(self, shape: DatasetShape | None) -> None:
        self.shape = shape
        self._base: Scope | None = None  # the scope without join aliases, rebuilt when a column is added
        if shape is None:
            self.columns: dict[str, DslType] = {}
            self._frame: WorkingFrame | None = None
            return
        self.columns = user_column_types(shape.dataset.main_table)
        self._frame = WorkingFrame(
            frame=_system_frame(shape.temporal_mode),
            columns=self.columns,
            main_table=shape.main_table,
            temporal_mode=shape.temporal_mode,
            lookups=shape.lookups,
        )

    @property
    def known(self) -> bool:
        return self._frame is not None

    @property
    def main_table(self) -> str | None:
        return self.shape.main_table if self.shape else None

    @property
    def temporal_mode(self) -> str | None:
        return self.shape.temporal_mode if self.shape else None

    @property
    def lookup_aliases(self) -> list[str]:
        return list(self.shape.lookups) if self.shape else []

    def has(self, name: str) -> bool:
        """A user column at this step (always true when the input could not be read)."""
        return name in self.columns or not self.known

    def type_of(self, name: str) -> DslType | None:
        """The column's type; None for a new column; unknown when the input could not be read."""
        if name in self.columns:
            return self.columns[name]
        return None if self.known else UNKNOWN

    def add(self, name: str, dtype: DslType) -> None:
        if name not in self.columns:
            self.columns[name] = dtype
            self._base = None

    def scope(
        self, context: str, *, extra: Mapping[str, Mapping[str, DslType]] | None = None, group_by: tuple[str, ...] = ()
    ) -> Scope:
        if self._frame is None:
            return Scope(AnyBindings(), AnyQualifiers(), context=context, group_by=frozenset(group_by))
        frame = replace(self._frame, columns=self.columns)
        if self._base is None:  # most expressions see the same names: build them once per step
            self._base = frame.scope("selector", today=None)
        scope = self._base.with_context(context, group_by=group_by)
        if extra:  # join aliases on top, bound as WorkingFrame.scope binds them
            aliases = {
                a: {c: ColumnBinding(lookup_column(a, c), t) for c, t in cols.items()} for a, cols in extra.items()
            }
            scope = replace(scope, qualifiers={**scope.qualifiers, **aliases})
        # Aliases whose Dataset could not be read resolve every column as unknown (reported once, V-3).
        combined = {**frame.lookups, **(extra or {})}
        unreadable = [a for a, cols in combined.items() if isinstance(cols, AnyColumns)]
        if unreadable:
            scope = replace(scope, qualifiers={**scope.qualifiers, **{a: AnyBindings(a) for a in unreadable}})
        return scope

    def output_columns(self) -> list[str] | None:
        """Names an `output` may list (OP-OUT-3); None when the input could not be read."""
        if self._frame is None:
            return None
        frame = replace(self._frame, columns=self.columns)
        extra = list(KNOWLEDGE_COLUMNS) if self.temporal_mode == "bitemporal" else []
        return [*frame.working_columns, *extra]
