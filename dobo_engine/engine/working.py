"""The working dataset of a Run and the names its expressions can see.

The frame holds the user columns (main table plus columns added by `update`
and `aggregate`), the system columns, and — while they are joined — lookup
columns named `alias.column`. Lookup columns are read-only: they are never
written, traced or checkpointed as working columns (LK-4, OP-LKP-2).
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


def lookup_column(alias: str, column: str) -> str:
    return f"{alias}.{column}"


@dataclass(frozen=True)
class WorkingFrame:
    frame: pl.DataFrame
    columns: Mapping[str, DslType]  # user working columns, in order
    main_table: str
    temporal_mode: str
    lookups: Mapping[str, Mapping[str, DslType]] = field(default_factory=dict)  # alias -> readable columns

    @property
    def system_columns(self) -> list[str]:
        return [name for name in SYSTEM_COLUMNS if name in self.frame.columns]

    @property
    def working_columns(self) -> list[str]:
        """User columns then system columns: what outputs, trace and checkpoints hold."""
        return [*self.columns, *self.system_columns]

    def working_frame(self) -> pl.DataFrame:
        return self.frame.select(self.working_columns)

    def with_frame(self, frame: pl.DataFrame, columns: Mapping[str, DslType] | None = None) -> WorkingFrame:
        return replace(self, frame=frame, columns=dict(self.columns if columns is None else columns))

    def bare_bindings(self) -> dict[str, ColumnBinding]:
        bare = {name: ColumnBinding(name, dtype) for name, dtype in self.columns.items()}
        for name, dtype in READABLE_SYSTEM_COLUMNS.items():
            if name in self.frame.columns:
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
