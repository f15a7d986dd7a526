"""`_labels` editing (ROW-6, D7, OP-UPD-8).

Labels are `List(Struct{key, value})` with unique keys, sorted by key. One
assignment `_labels.k <- e` sets label k where e is a string and removes it
where e is NULL; rows the update does not select keep their labels.
"""

from __future__ import annotations

import polars as pl

from dobo_engine.columns import LABELS_DTYPE


def empty_labels() -> pl.Expr:
    return pl.lit([], dtype=LABELS_DTYPE)


def with_label(labels: pl.Expr, key: str, value: pl.Expr) -> pl.Expr:
    """`labels` with `key` set to `value` (NULL value removes the key)."""
    kept = labels.fill_null(empty_labels()).list.eval(pl.element().filter(pl.element().struct.field("key") != key))
    entry = pl.concat_list(pl.struct(pl.lit(key, dtype=pl.Utf8).alias("key"), value.cast(pl.Utf8).alias("value")))
    added = pl.concat_list([kept, entry]).list.eval(pl.element().sort_by(pl.element().struct.field("key")))
    return pl.when(value.is_not_null()).then(added).otherwise(kept)
