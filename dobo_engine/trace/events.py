"""Vectorised trace event builders (TR-3, TR-4, TR-12, TR-13).

Every builder returns a ``pl.LazyFrame`` with the event fields of trace.md §2
and is made of whole-frame expressions only: no row ever becomes a Python
object on the write path (TR-12).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import polars as pl

from dobo_engine.io.row_ids import ROW_ID_DTYPE
from dobo_engine.trace.format import (
    AFTER,
    BEFORE,
    CHANGE_TYPE,
    CHANGED_COLUMNS,
    CREATED,
    DELETED,
    DELETED_COLUMN,
    OPERATION_ORDER,
    OPERATION_TYPE,
    ORDER_DTYPE,
    ROW_ID,
    ROW_ID_COLUMN,
    RUN_ID,
    UPDATED,
)

# Prefix for the pre-operation copy of a column while old and new sit side by
# side; `_` columns are reserved to the system (D7), so no user column clashes.
OLD_PREFIX = "__dobo_old__"
_MAX_ORDER = 2**31 - 1


def _check_order(operation_order: int) -> int:
    if not 0 <= int(operation_order) <= _MAX_ORDER:
        raise ValueError(f"operation order {operation_order} is outside 0..2^31-1 (TR-2)")
    return int(operation_order)


def _header(
    run_id: str, operation_order: int, operation_type: str, change_type: str, rows: pl.LazyFrame
) -> list[pl.Expr]:
    # The engine's compact ids (D37) stay compact until the file is written: sorting
    # them is cheaper, and the writer turns them into text once (TraceWriter.write).
    row_id = pl.col(ROW_ID_COLUMN)
    if rows.collect_schema()[ROW_ID_COLUMN] != ROW_ID_DTYPE:
        row_id = row_id.cast(pl.Utf8)
    return [
        pl.lit(run_id, dtype=pl.Utf8).alias(RUN_ID),
        pl.lit(_check_order(operation_order), dtype=ORDER_DTYPE).alias(OPERATION_ORDER),
        pl.lit(operation_type, dtype=pl.Utf8).alias(OPERATION_TYPE),
        row_id.alias(ROW_ID),
        pl.lit(change_type, dtype=pl.Utf8).alias(CHANGE_TYPE),
    ]


def value_changed(old: pl.Expr, new: pl.Expr) -> pl.Expr:
    """NULL-safe "differs" (OP-UPD-7, TR-4): NULL→NULL is no change, NULL→value is.

    Both sides must already be of the target type; decimals of equal value
    compare equal whatever their scale (9282.000000 vs 9282.00). Lists and
    structs (``_labels``) are compared as whole values.

    >>> import polars as pl
    >>> frame = pl.DataFrame({"old": [None, None, 1, 1], "new": [None, 2, 1, 3]})
    >>> frame.select(value_changed(pl.col("old"), pl.col("new")).alias("changed"))["changed"].to_list()
    [False, True, False, True]
    """

    return old.ne_missing(new)


def changed_mask(columns: Sequence[str], *, old_prefix: str = OLD_PREFIX) -> pl.Expr:
    """True on rows where any of ``columns`` changed (TR-12: OR of per-column masks).

    Works on a frame holding each old value as ``<old_prefix><column>`` next to
    the new value ``<column>``; the engine reuses it to set ``_updated_at`` only
    on rows that really changed (OP-UPD-7).

    >>> import polars as pl
    >>> frame = pl.DataFrame({OLD_PREFIX + "a": [1, 1], "a": [1, 2], OLD_PREFIX + "b": ["x", "x"], "b": ["x", "x"]})
    >>> frame.select(changed_mask(["a", "b"]).alias("changed"))["changed"].to_list()
    [False, True]
    """

    if not columns:
        return pl.lit(False)
    return pl.any_horizontal([value_changed(pl.col(old_prefix + c), pl.col(c)) for c in columns])


def created_events(
    rows: pl.LazyFrame | pl.DataFrame, *, run_id: str, operation_order: int, operation_type: str
) -> pl.LazyFrame:
    """One ``created`` event per row, ``after`` = the full row (TR-2, TR-3, TR-13).

    ``rows`` holds exactly the new rows with every working column, system
    columns included (the whole working frame for the load).

    >>> import polars as pl
    >>> rows = pl.DataFrame({"_row_id": ["r1"], "invoice": ["A"], "amount": [250]})
    >>> events = created_events(rows, run_id="run-1", operation_order=0, operation_type="load").collect()
    >>> events.select("operation_order", "row_id", "change_type", "changed_columns", "before", "after").rows()
    [(0, 'r1', 'created', ['_row_id', 'invoice', 'amount'], None,
      {'_row_id': 'r1', 'invoice': 'A', 'amount': 250})]
    """

    lazy = rows.lazy()
    schema = lazy.collect_schema()
    if ROW_ID_COLUMN not in schema:
        raise ValueError(f"created rows need a {ROW_ID_COLUMN} column")
    columns = list(schema.names())
    full = pl.Struct(schema)
    return lazy.select(
        *_header(run_id, operation_order, operation_type, CREATED, lazy),
        pl.lit(columns, dtype=pl.List(pl.Utf8)).alias(CHANGED_COLUMNS),
        pl.lit(None, dtype=full).alias(BEFORE),
        pl.struct(columns).alias(AFTER),
    )


def updated_events(
    before: pl.LazyFrame | pl.DataFrame,
    after: pl.LazyFrame | pl.DataFrame,
    columns: Iterable[str],
    *,
    run_id: str,
    operation_order: int,
    operation_type: str = "update",
) -> pl.LazyFrame:
    """One ``updated`` event per row where a target column really changed (TR-3, TR-4).

    ``before`` and ``after`` are the working frame before and after the
    operation, aligned row for row. ``columns`` are the target columns (plus
    ``_labels`` when labels are assigned, TR-8). A column missing from
    ``before`` is new and counts as NULL there. The structs hold every target
    column with its native type; only ``changed_columns`` count.

    >>> import polars as pl
    >>> before = pl.DataFrame({"_row_id": ["r1", "r2"], "amount": [250, 80]})
    >>> after = before.with_columns(amount=pl.when(pl.col("_row_id") == "r1").then(300).otherwise(pl.col("amount")),
    ...                             flag=pl.lit("checked"))
    >>> events = updated_events(before, after, ["amount", "flag"], run_id="run-1", operation_order=1).collect()
    >>> events.select("row_id", "changed_columns", "before", "after").rows()
    [('r1', ['amount', 'flag'], {'amount': 250, 'flag': None}, {'amount': 300, 'flag': 'checked'}),
     ('r2', ['flag'], {'amount': 80, 'flag': None}, {'amount': 80, 'flag': 'checked'})]
    """

    targets = list(dict.fromkeys(columns))
    # TR-5: diffs cover user columns and `_labels`; `_deleted` has its own event and
    # `_updated_at` is implied by every event, never diffed.
    system = [c for c in targets if c.startswith("_") and c != "_labels"]
    if system:
        raise ValueError(f"system columns {system} are not update targets (TR-5)")
    before_lf, after_lf = before.lazy(), after.lazy()
    after_schema = after_lf.collect_schema()
    before_schema = before_lf.collect_schema()
    missing = [c for c in [ROW_ID_COLUMN, *targets] if c not in after_schema]
    if missing:
        raise ValueError(f"the post-operation frame lacks {missing}")

    # Old values at the target type (OP-UPD-7: compare after conversion); a new column is NULL.
    # The row id anchors the frame's length: a frame made of literals alone would have one row.
    old: list[pl.Expr] = [pl.col(ROW_ID_COLUMN).alias(OLD_PREFIX + ROW_ID_COLUMN)]
    for c in targets:
        dtype = after_schema[c]
        if c not in before_schema:
            old.append(pl.lit(None, dtype=dtype).alias(OLD_PREFIX + c))
        elif before_schema[c] != dtype:
            old.append(pl.col(c).cast(dtype).alias(OLD_PREFIX + c))
        else:
            old.append(pl.col(c).alias(OLD_PREFIX + c))
    paired = pl.concat([before_lf.select(old), after_lf.select(ROW_ID_COLUMN, *targets)], how="horizontal")
    changes = {c: (pl.col(OLD_PREFIX + c), pl.col(c)) for c in targets}
    return change_events(paired, changes, run_id=run_id, operation_order=operation_order, operation_type=operation_type)


def change_events(
    rows: pl.LazyFrame,
    changes: Mapping[str, tuple[pl.Expr, pl.Expr]],
    *,
    run_id: str,
    operation_order: int,
    operation_type: str = "update",
    changed: pl.Expr | None = None,
) -> pl.LazyFrame:
    """One ``updated`` event per row of ``rows`` where a target's (old, new) values differ (TR-3, TR-4).

    ``rows`` holds ``_row_id`` and, side by side, what ``changes`` reads: for
    each target column the expression of its value before and after, both of
    the target's type. ``changed``, when given, is the rows' already computed
    "any target differs" mask.

    >>> import polars as pl
    >>> rows = pl.LazyFrame({"_row_id": ["r1", "r2"], "old": [250, 80], "new": [300, 80]})
    >>> events = change_events(rows, {"amount": (pl.col("old"), pl.col("new"))}, run_id="run-1",
    ...                        operation_order=1).collect()
    >>> events.select("row_id", "changed_columns", "before", "after").rows()
    [('r1', ['amount'], {'amount': 250}, {'amount': 300})]
    """
    targets = list(changes)
    per_column = [pl.when(value_changed(old, new)).then(pl.lit(c, dtype=pl.Utf8)) for c, (old, new) in changes.items()]
    names = pl.concat_list(per_column).list.drop_nulls() if targets else pl.lit([], dtype=pl.List(pl.Utf8))
    if changed is None:
        changed = pl.any_horizontal([value_changed(old, new) for old, new in changes.values()] or [pl.lit(False)])
    return rows.filter(changed).select(
        *_header(run_id, operation_order, operation_type, UPDATED, rows),
        names.alias(CHANGED_COLUMNS),
        pl.struct([old.alias(c) for c, (old, _) in changes.items()]).alias(BEFORE),
        pl.struct([new.alias(c) for c, (_, new) in changes.items()]).alias(AFTER),
    )


def deleted_events(
    row_ids: pl.LazyFrame | pl.DataFrame,
    *,
    run_id: str,
    operation_order: int,
    operation_type: str = "delete",
) -> pl.LazyFrame:
    """One ``deleted`` event per flagged row: ``{_deleted: false}`` → ``{_deleted: true}`` (TR-3).

    ``row_ids`` holds the flagged rows' ``_row_id`` (other columns are ignored).

    >>> import polars as pl
    >>> events = deleted_events(pl.DataFrame({"_row_id": ["r2"]}), run_id="run-1", operation_order=3).collect()
    >>> events.select("operation_type", "row_id", "changed_columns", "before", "after").rows()
    [('delete', 'r2', ['_deleted'], {'_deleted': False}, {'_deleted': True})]
    """

    flag = pl.Struct({DELETED_COLUMN: pl.Boolean})
    flagged = row_ids.lazy()
    return flagged.select(
        *_header(run_id, operation_order, operation_type, DELETED, flagged),
        pl.lit([DELETED_COLUMN], dtype=pl.List(pl.Utf8)).alias(CHANGED_COLUMNS),
        pl.struct(pl.lit(False).alias(DELETED_COLUMN)).cast(flag).alias(BEFORE),
        pl.struct(pl.lit(True).alias(DELETED_COLUMN)).cast(flag).alias(AFTER),
    )
