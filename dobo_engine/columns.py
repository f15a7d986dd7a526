"""The column vocabulary shared by every part of dobo.

Declared column types map to Polars dtypes per D4; system row columns
(entities.md §1 "System row columns") have fixed dtypes and a fixed order.
Column order convention for frames dobo builds: user columns in declared
order, then the system columns present, in :data:`SYSTEM_COLUMNS` order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

import polars as pl

TYPE_NAMES: tuple[str, ...] = ("string", "integer", "decimal", "boolean", "date", "timestamp")

DEFAULT_PRECISION = 38
DEFAULT_SCALE = 6

TIMESTAMP_DTYPE = pl.Datetime("us", "UTC")
LABELS_DTYPE = pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8}))

TEMPORAL_MODES: tuple[str, ...] = ("period", "bitemporal")


class ColumnLike(Protocol):
    """What dobo reads from a ColumnDef (entities.md §1); any object with these attributes.

    Read-only properties, so frozen models (ColumnDef) and plain objects both match.
    """

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def nullable(self) -> bool: ...
    @property
    def precision(self) -> int | None: ...
    @property
    def scale(self) -> int | None: ...


def polars_dtype(type_name: str, precision: int | None = None, scale: int | None = None) -> pl.DataType:
    """The Polars dtype of a declared column type (D4)."""
    if type_name == "string":
        return pl.Utf8()
    if type_name == "integer":
        return pl.Int64()
    if type_name == "decimal":
        p = DEFAULT_PRECISION if precision is None else precision
        s = DEFAULT_SCALE if scale is None else scale
        if not (1 <= p <= 38 and 0 <= s <= p):
            raise ValueError(f"decimal precision/scale out of range: ({p}, {s})")
        return pl.Decimal(p, s)
    if type_name == "boolean":
        return pl.Boolean()
    if type_name == "date":
        return pl.Date()
    if type_name == "timestamp":
        return TIMESTAMP_DTYPE
    raise ValueError(f"unknown column type {type_name!r}; expected one of {', '.join(TYPE_NAMES)}")


def column_dtype(column: ColumnLike) -> pl.DataType:
    """The Polars dtype of a ColumnDef-like object."""
    return polars_dtype(column.type, getattr(column, "precision", None), getattr(column, "scale", None))


# Ordered: this is also the order system columns take after the user columns.
# The dtypes are those users read and write; inside the engine `_row_id` is held
# compact (`dobo_engine.io.row_ids.ROW_ID_DTYPE`, D37).
SYSTEM_COLUMNS: dict[str, pl.DataType] = {
    "_row_id": pl.Utf8(),
    "_source_dataset_id": pl.Utf8(),
    "_source_table": pl.Utf8(),
    "_created_by_project_id": pl.Utf8(),
    "_created_by_run_id": pl.Utf8(),
    "_created_at": TIMESTAMP_DTYPE,
    "_updated_at": TIMESTAMP_DTYPE,
    "_deleted": pl.Boolean(),
    "_labels": LABELS_DTYPE,
    "_period": pl.Utf8(),
    "_period_from": pl.Date(),
    "_period_to": pl.Date(),
    "_valid_from": pl.Date(),
    "_valid_to": pl.Date(),
}

# Present on every row whatever the temporal mode.
COMMON_SYSTEM_COLUMNS: tuple[str, ...] = (
    "_row_id",
    "_source_dataset_id",
    "_source_table",
    "_created_by_project_id",
    "_created_by_run_id",
    "_created_at",
    "_updated_at",
    "_deleted",
    "_labels",
)
PERIOD_COLUMNS: tuple[str, ...] = ("_period",)
BITEMPORAL_COLUMNS: tuple[str, ...] = ("_period_from", "_period_to")
KNOWLEDGE_COLUMNS: tuple[str, ...] = ("_valid_from", "_valid_to")  # optional, together or not at all (D9)


def is_system_column(name: str) -> bool:
    return name in SYSTEM_COLUMNS


def system_columns_for(temporal_mode: str, *, knowledge_axis: bool = False) -> list[str]:
    """System columns a table of ``temporal_mode`` carries, in convention order.

    ``knowledge_axis`` adds ``_valid_from``/``_valid_to`` (bitemporal only).
    """
    if temporal_mode == "period":
        if knowledge_axis:
            raise ValueError("_valid_from/_valid_to exist only on bitemporal tables (D9)")
        return [*COMMON_SYSTEM_COLUMNS, *PERIOD_COLUMNS]
    if temporal_mode == "bitemporal":
        extra = KNOWLEDGE_COLUMNS if knowledge_axis else ()
        return [*COMMON_SYSTEM_COLUMNS, *BITEMPORAL_COLUMNS, *extra]
    raise ValueError(f"unknown temporal_mode {temporal_mode!r}; expected one of {', '.join(TEMPORAL_MODES)}")


def ordered_names(user_columns: Iterable[str], present: Iterable[str]) -> list[str]:
    """Order ``present`` by the convention: declared user columns first, then system columns.

    Names in ``present`` that are neither in ``user_columns`` nor system columns
    keep their relative order between the two groups (e.g. columns an operation added).
    """
    present_list = list(present)
    present_set = set(present_list)
    users = [n for n in user_columns if n in present_set]
    user_set = set(users)
    others = [n for n in present_list if n not in user_set and n not in SYSTEM_COLUMNS]
    system = [n for n in SYSTEM_COLUMNS if n in present_set]
    return [*users, *others, *system]


def frame_schema(
    columns: Iterable[ColumnLike], temporal_mode: str, *, knowledge_axis: bool = False
) -> Mapping[str, pl.DataType]:
    """The full schema of a loaded table: declared columns, then its system columns."""
    schema: dict[str, pl.DataType] = {c.name: column_dtype(c) for c in columns}
    for name in system_columns_for(temporal_mode, knowledge_axis=knowledge_axis):
        schema[name] = SYSTEM_COLUMNS[name]
    return schema


def column_type_of(dtype: pl.DataType) -> dict[str, object]:
    """The ColumnDef type (D4) of a Polars dtype: the inverse of :func:`polars_dtype`."""
    if isinstance(dtype, pl.Decimal):
        return {"type": "decimal", "precision": dtype.precision or 38, "scale": dtype.scale}
    if isinstance(dtype, pl.Datetime):
        return {"type": "timestamp"}
    names = {pl.Utf8: "string", pl.Boolean: "boolean", pl.Date: "date"}
    for polars_type, name in names.items():
        if dtype == polars_type:
            return {"type": name}
    return {"type": "integer"} if dtype.is_integer() else {"type": "string"}
