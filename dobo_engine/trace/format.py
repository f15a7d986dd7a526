"""The trace file format (trace.md §2-3): event fields, file layout, metadata.

Kept apart from the builders and the store so the writer, the reader and
the engine agree on one set of names and one layout.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from dobo_engine.io.row_ids import ROW_ID_DTYPE, row_id_text

_TWO_64 = 1 << 64

FORMAT_VERSION = 1
# Version 2 marks a file that holds what version 1 cannot: a load recorded by reference to its
# input (TR-15), or row ids as a pair of integers (D37); any other file is written as in version 1.
FORMAT_VERSION_2 = 2
METADATA_KEY = "dobo.trace"  # TR-9

# Event fields (trace.md §2), in file order.
RUN_ID = "run_id"
OPERATION_ORDER = "operation_order"
OPERATION_TYPE = "operation_type"
ROW_ID = "row_id"
CHANGE_TYPE = "change_type"
CHANGED_COLUMNS = "changed_columns"
BEFORE = "before"
AFTER = "after"
EVENT_FIELDS = (RUN_ID, OPERATION_ORDER, OPERATION_TYPE, ROW_ID, CHANGE_TYPE, CHANGED_COLUMNS, BEFORE, AFTER)
# D37: in files of `updated` and `deleted` events, whose only id is `row_id`, the engine's 128-bit id
# is kept as its high and low 64 bits: sorted, they compress to 7.4 bytes a row against 9.2 for the text.
ROW_ID_HI = "row_id_hi"
ROW_ID_LO = "row_id_lo"
ROW_ID_PAIR = "uint64_pair"  # the TR-9 metadata's `row_id_form` for such files

CREATED = "created"
UPDATED = "updated"
DELETED = "deleted"

LOAD = "load"  # pseudo-operation 0 (TR-2)
# Operation types that write a trace file; `output` writes none (TR-6, TR-7).
TRACED_TYPES = frozenset({LOAD, "update", "delete", "aggregate", "append"})
OUTPUT = "output"

# System column names the trace relies on (same names as the working frame).
ROW_ID_COLUMN = "_row_id"
DELETED_COLUMN = "_deleted"
UPDATED_AT_COLUMN = "_updated_at"

ORDER_DTYPE = pl.Int32()  # operation orders are int32 (TR-2)


def empty_events_schema(before: pl.DataType, after: pl.DataType) -> pl.Schema:
    """The schema of an event frame whose structs have the given types."""

    return pl.Schema(
        {
            RUN_ID: pl.Utf8(),
            OPERATION_ORDER: ORDER_DTYPE,
            OPERATION_TYPE: pl.Utf8(),
            ROW_ID: pl.Utf8(),
            CHANGE_TYPE: pl.Utf8(),
            CHANGED_COLUMNS: pl.List(pl.Utf8()),
            BEFORE: before,
            AFTER: after,
        }
    )


def readable_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """Events as trace files hold them: compact row ids (D37) as their UUID text, in ``row_id`` and the structs.

    Events built from frames whose ids are text already pass unchanged.
    """
    if frame.schema.get(ROW_ID) != ROW_ID_DTYPE:
        return frame
    frame = frame.with_columns(row_id_text(pl.col(ROW_ID)).alias(ROW_ID))
    for name in (BEFORE, AFTER):
        dtype = frame.schema[name]
        if not isinstance(dtype, pl.Struct) or ROW_ID_COLUMN not in {f.name for f in dtype.fields}:
            continue
        fields = {f.name: pl.Utf8() if f.name == ROW_ID_COLUMN else f.dtype for f in dtype.fields}
        if frame[name].null_count() == frame.height:  # `before` of created rows: no values to format
            fixed = pl.lit(None, dtype=pl.Struct(fields))
        else:  # only a created row's `after` holds `_row_id`, and it is the event's `row_id`: reuse that text
            fixed = pl.col(name).struct.with_fields(pl.col(ROW_ID).alias(ROW_ID_COLUMN))
        frame = frame.with_columns(fixed.alias(name))
    return frame


def file_rows(events: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """Events exactly as a trace file holds them: the event fields sorted by row id (TR-10), ids in file form (D37).

    One contiguous frame sorted once: sorting wide nested structs lazily, or
    gathering from many chunks, costs several times more. Compact ids are
    sorted as numbers, which orders them as their text. Where ``row_id`` is
    the events' only id (``updated``, ``deleted``) it is written as two
    ``UInt64`` columns (:data:`ROW_ID_HI`, :data:`ROW_ID_LO`); where the
    ``after`` row holds ``_row_id`` too (``created``) both are UUID text.
    Either is read by tools without 128-bit integers (pyarrow).
    """
    rows = events.lazy().select(EVENT_FIELDS).collect().rechunk().sort(ROW_ID)
    after = rows.schema[AFTER]
    in_after = isinstance(after, pl.Struct) and ROW_ID_COLUMN in {f.name for f in after.fields}
    if rows.schema[ROW_ID] != ROW_ID_DTYPE or in_after:
        return readable_ids(rows)
    wide = pl.col(ROW_ID)
    pair = [
        (wide // pl.lit(_TWO_64, dtype=ROW_ID_DTYPE)).cast(pl.UInt64).alias(ROW_ID_HI),
        (wide % pl.lit(_TWO_64, dtype=ROW_ID_DTYPE)).cast(pl.UInt64).alias(ROW_ID_LO),
    ]
    return rows.select(RUN_ID, OPERATION_ORDER, OPERATION_TYPE, *pair, CHANGE_TYPE, CHANGED_COLUMNS, BEFORE, AFTER)


def paired_ids(schema: pl.Schema) -> bool:
    """The file keeps ``row_id`` as a pair of integers (format 2)."""
    return ROW_ID_HI in schema.names()


def pair_of(row_id: str) -> tuple[int, int] | None:
    """The (high, low) 64 bits of a canonical UUID text; None for any other text (it matches no file row).

    >>> pair_of("00000000-0000-0001-0000-000000000002")
    (1, 2)
    >>> pair_of("r1"), pair_of("019C17C9-6300-7663-B757-D1B1DBDA2598")
    (None, None)
    """
    digits = row_id.replace("-", "")
    canonical = len(row_id) == 36 and [len(g) for g in row_id.split("-")] == [8, 4, 4, 4, 12]
    if not canonical or digits != digits.lower() or not all(c in "0123456789abcdef" for c in digits):
        return None
    wide = int(digits, 16)
    return wide >> 64, wide & (_TWO_64 - 1)


def readable_pair(frame: pl.LazyFrame) -> pl.LazyFrame:
    """A file's events with a paired ``row_id`` as its UUID text, in the event fields' order (D37)."""
    wide = pl.col(ROW_ID_HI).cast(ROW_ID_DTYPE) * pl.lit(_TWO_64, dtype=ROW_ID_DTYPE) + pl.col(ROW_ID_LO).cast(
        ROW_ID_DTYPE
    )
    return frame.select(RUN_ID, OPERATION_ORDER, OPERATION_TYPE, row_id_text(wide).alias(ROW_ID), *EVENT_FIELDS[4:])


def type_name(dtype: pl.DataType) -> str:
    """A readable type name for the TR-9 schema: dobo's names (D4) where one exists.

    >>> import polars as pl
    >>> [type_name(t) for t in (pl.Utf8, pl.Int64, pl.Decimal(18, 2), pl.Datetime("us", "UTC"))]
    ['string', 'integer', 'decimal(18,2)', 'timestamp']
    >>> type_name(pl.List(pl.Utf8))  # no dobo name: Polars' own spelling
    'List(String)'
    """

    if dtype == pl.Utf8 or dtype == pl.UInt128:  # UInt128: the engine's form of `_row_id`, as text in files (D37)
        return "string"
    if dtype == pl.Int64:
        return "integer"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Decimal):
        return f"decimal({dtype.precision},{dtype.scale})"
    if isinstance(dtype, pl.Datetime) and dtype.time_unit == "us" and dtype.time_zone == "UTC":
        return "timestamp"
    # Anything else (e.g. `_labels`) keeps Polars' own spelling, which is readable too.
    return str(dtype)


def schema_names(schema: Mapping[str, pl.DataType | str]) -> dict[str, str]:
    """Map every column to its readable type name; strings pass through unchanged.

    >>> import polars as pl
    >>> schema_names({"amount": pl.Decimal(38, 6), "note": "string"})
    {'amount': 'decimal(38,6)', 'note': 'string'}
    """

    return {name: dtype if isinstance(dtype, str) else type_name(dtype) for name, dtype in schema.items()}


def is_remote(root: str) -> bool:
    return "://" in root and not root.startswith("file://")


def run_folder(root: str, run_id: str) -> str:
    """`<root>/run_id=<run>` (D17, TR-7)."""

    base = root[len("file://") :] if root.startswith("file://") else root
    return f"{base.rstrip('/')}/run_id={run_id}"


def trace_path(root: str, run_id: str, operation_order: int) -> str:
    """`<root>/run_id=<run>/operation=<order>.parquet` (D17, TR-7).

    >>> trace_path("s3://bucket/trace/", "run-1", 10)
    's3://bucket/trace/run_id=run-1/operation=10.parquet'
    >>> trace_path("file:///var/dobo/trace", "run-1", 0)
    '/var/dobo/trace/run_id=run-1/operation=0.parquet'
    """

    return f"{run_folder(root, run_id)}/operation={int(operation_order)}.parquet"
