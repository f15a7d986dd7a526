"""Column-precise differences between two versions of a Dataset (PRJ-12).

Every column of the older version is keyed as a ConflictReport names it
(main-table columns bare, lookup columns `alias.column`) and classified:
`removed`, `renamed` (the newer version declares `renamed_from` for it, in
the same table) or `type_changed` (the declared type, or a decimal's
precision/scale). A lookup alias that disappears removes all its columns.
Added columns and changed descriptions or nullability are not listed: they
never break a Project that compiled against the older version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dobo_engine.errors import DoboError
from dobo_engine.model.dataset import ColumnDef, Dataset, DatasetTarget

# How to read a nested Dataset (lookup target); None when it cannot be read.
NestedReader = Callable[[str, int | None], Dataset | None]


@dataclass(frozen=True)
class ColumnChange:
    column: str
    change_type: str  # removed | renamed | type_changed
    new_name: str | None = None


def _type_of(column: ColumnDef) -> tuple[str, int | None, int | None]:
    return (column.type, column.precision, column.scale)


def _tables(dataset: Dataset, nested: NestedReader | None) -> dict[str | None, list[ColumnDef] | None]:
    """Columns per addressable table: None for the main table, the alias for a lookup.

    A Dataset-target lookup exposes its main table only (DS-3); if it cannot
    be read its columns are unknown (None) and compared as unchanged.
    """
    tables: dict[str | None, list[ColumnDef] | None] = {None: list(dataset.main_table.columns)}
    for lookup in dataset.lookups:
        target = lookup.target
        if isinstance(target, DatasetTarget):
            found = None
            if nested is not None:
                try:
                    found = nested(target.dataset_id, target.dataset_version)
                except DoboError:
                    found = None
            tables[lookup.alias] = list(found.main_table.columns) if found is not None else None
        else:
            tables[lookup.alias] = list(target.columns)
    return tables


def _key(alias: str | None, name: str) -> str:
    return name if alias is None else f"{alias}.{name}"


def column_changes(old: Dataset, new: Dataset, nested: NestedReader | None = None) -> dict[str, ColumnChange]:
    """Changes that can break a reader of ``old``, keyed by the old column's name."""
    before, after = _tables(old, nested), _tables(new, nested)
    changes: dict[str, ColumnChange] = {}
    for alias, old_columns in before.items():
        if old_columns is None:
            continue
        if alias not in after:
            for column in old_columns:  # the alias is gone: so is everything read through it
                changes[_key(alias, column.name)] = ColumnChange(_key(alias, column.name), "removed")
            continue
        new_columns = after[alias]
        if new_columns is None:
            continue
        by_name = {c.name: c for c in new_columns}
        renamed = {c.renamed_from: c for c in new_columns if c.renamed_from}
        for column in old_columns:
            key = _key(alias, column.name)
            current = by_name.get(column.name)
            if current is None and column.name in renamed:
                changes[key] = ColumnChange(key, "renamed", _key(alias, renamed[column.name].name))
            elif current is None:
                changes[key] = ColumnChange(key, "removed")
            elif _type_of(current) != _type_of(column):
                changes[key] = ColumnChange(key, "type_changed")
    return changes
