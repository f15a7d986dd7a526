"""The working dataset of a Run and the names its expressions can see.

The frame holds the user columns (main table plus columns added by `update`
and `aggregate`), the system columns, and — while they are joined — lookup
columns named `alias.column`. Lookup columns are read-only: they are never
written, traced or checkpointed as working columns (LK-4, OP-LKP-2).

Operations build on the frame as a lazy plan (D36); it is a `pl.DataFrame`
once a step is materialised (a checkpoint, a Dagster op boundary, the end of
a durable step) and a `pl.LazyFrame` while a Run executes as one plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import polars as pl

from dobo_engine.columns import SYSTEM_COLUMNS
from dobo_engine.dsl.scope import SYSTEM_COLUMNS as READABLE_SYSTEM_COLUMNS
from dobo_engine.dsl.scope import ColumnBinding, Scope
from dobo_engine.dsl.types import DslType

VISIBLE = ~pl.col("_deleted")

Frame = pl.DataFrame | pl.LazyFrame


def frame_names(frame: Frame) -> list[str]:
    """Column names without running a lazy plan."""
    return frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns


def frame_schema(frame: Frame) -> pl.Schema:
    return frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema


def shared(frame: pl.LazyFrame) -> pl.LazyFrame:
    """`frame` as one node of the plan that several queries read (D36).

    Polars shares a subplan between the queries of one `collect_all` only
    through a cache node; without it each count or trace query of a step
    would compute the plan again from the scan. Collected together
    (`materialise.collect_together`), the streaming engine feeds the node's
    readers side by side; it buffers what a slower reader has not taken yet,
    so a node whose readers run at very different speeds (the bare loaded
    frame and its row count) is better left unshared.
    """
    return frame.cache()


def lookup_column(alias: str, column: str) -> str:
    return f"{alias}.{column}"


@dataclass(frozen=True)
class WorkingFrame:
    frame: Frame
    columns: Mapping[str, DslType]  # user working columns, in order
    main_table: str
    temporal_mode: str
    lookups: Mapping[str, Mapping[str, DslType]] = field(default_factory=dict)  # alias -> readable columns

    @property
    def names(self) -> list[str]:
        return frame_names(self.frame)

    @property
    def schema(self) -> pl.Schema:
        return frame_schema(self.frame)

    @property
    def data(self) -> pl.DataFrame:
        """The materialised frame; a lazy one here is a bug of the caller (collect the step first)."""
        if not isinstance(self.frame, pl.DataFrame):
            raise TypeError("the working frame is a lazy plan here; collect the step first")
        return self.frame

    def lazy(self) -> WorkingFrame:
        return replace(self, frame=self.frame.lazy())

    @property
    def system_columns(self) -> list[str]:
        names = set(self.names)
        return [name for name in SYSTEM_COLUMNS if name in names]

    @property
    def working_columns(self) -> list[str]:
        """User columns then system columns: what outputs, trace and checkpoints hold."""
        return [*self.columns, *self.system_columns]

    def working_frame(self) -> Frame:
        return self.frame.select(self.working_columns)

    def with_frame(self, frame: Frame, columns: Mapping[str, DslType] | None = None) -> WorkingFrame:
        return replace(self, frame=frame, columns=dict(self.columns if columns is None else columns))

    def bare_bindings(self) -> dict[str, ColumnBinding]:
        bare = {name: ColumnBinding(name, dtype) for name, dtype in self.columns.items()}
        names = set(self.names)
        for name, dtype in READABLE_SYSTEM_COLUMNS.items():
            if name in names:
                bare[name] = ColumnBinding(name, dtype)
        return bare

    def scope(
        self,
        context: str,
        *,
        today: date | None,
        extra: Mapping[str, Mapping[str, DslType]] | None = None,
        group_by: tuple[str, ...] = (),
    ) -> Scope:
        """Bare working columns; qualifiers: main table, lookups, and `extra` aliases."""
        bare = self.bare_bindings()
        qualifiers: dict[str, Mapping[str, ColumnBinding]] = {self.main_table: bare}
        for alias, cols in {**self.lookups, **(extra or {})}.items():
            qualifiers[alias] = {c: ColumnBinding(lookup_column(alias, c), t) for c, t in cols.items()}
        return Scope(bare, qualifiers, context=context, group_by=frozenset(group_by), today=today)
