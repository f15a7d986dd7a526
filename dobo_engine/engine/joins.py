"""Left joins that never multiply rows (LK-1, LK-2, OP-JOIN-4, OP-JOIN-5).

A key that matches more than one row of the right side is `LookupNotUnique`,
but only for the rows being checked: the caller says which (all joined rows
for a lookup, the selected or guarded rows for a RuntimeJoin). Rows outside
that set never fail the join and never get duplicated.

The left side is the working frame, a lazy plan (D36): the check looks at the
small right side first and reads the left side only for keys the right side
holds more than once, as one small aggregate of the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from dobo_engine.errors import LookupNotUnique

MAX_REPORTED_KEYS = 10


@dataclass(frozen=True)
class JoinLabel:
    """What a join is, for error messages."""

    dataset_id: str
    alias: str
    key_terms: Sequence[str]  # e.g. ["transactions.currency = fx.from_currency"]


def _common_key_types(left: pl.Schema, right: pl.Schema, names: Sequence[str]) -> list[pl.Expr]:
    """Casts that make each key pair comparable (decimals at a common scale)."""
    casts = []
    for name in names:
        lt, rt = left[name], right[name]
        if isinstance(lt, pl.Decimal) and isinstance(rt, pl.Decimal) and lt != rt:
            casts.append(pl.col(name).cast(pl.Decimal(38, max(lt.scale, rt.scale))))
        elif isinstance(lt, pl.Decimal) != isinstance(rt, pl.Decimal) and {lt, rt} & {pl.Int64}:
            casts.append(pl.col(name).cast(pl.Decimal(38, max(getattr(lt, "scale", 0), getattr(rt, "scale", 0)))))
        else:
            casts.append(pl.col(name))
    return casts


def _key_names(count: int) -> list[str]:
    return [f"__join_key_{i}" for i in range(count)]


def left_join_unique(
    left: pl.LazyFrame,
    right: pl.DataFrame,
    *,
    left_keys: Sequence[pl.Expr],
    right_keys: Sequence[pl.Expr],
    label: JoinLabel,
    checked: pl.Expr | None = None,
) -> pl.LazyFrame:
    """Attach every column of `right` to `left` (row count and order preserved).

    `right`'s columns should already carry their final names (e.g. `fx.rate`).
    With no keys, each row meets the single right row (or NULLs when there is
    none); more than one right row is then a duplicate for every checked row.
    """
    keys = _key_names(len(left_keys))
    left_k = left.with_columns([expr.alias(k) for expr, k in zip(left_keys, keys)])
    right_k = right.with_columns([expr.alias(k) for expr, k in zip(right_keys, keys)])
    if keys:
        left_k = left_k.with_columns(_common_key_types(left_k.collect_schema(), right_k.schema, keys))
        right_k = right_k.with_columns(_common_key_types(right_k.schema, left_k.collect_schema(), keys))

    _check_unique(left_k, right_k, keys, label, checked)

    if not keys:
        first = right_k.head(1)
        if first.height == 0:
            first = pl.DataFrame(schema=right_k.schema).clear(1)
        return left.join(first.lazy(), how="cross", maintain_order="left")

    right_first = right_k.drop_nulls(keys).unique(subset=keys, keep="first", maintain_order=True)
    joined = left_k.join(right_first.lazy(), on=keys, how="left", maintain_order="left", nulls_equal=False)
    return joined.drop(keys)


def _check_unique(
    left_k: pl.LazyFrame, right_k: pl.DataFrame, keys: list[str], label: JoinLabel, checked: pl.Expr | None
) -> None:
    """LK-2 / OP-JOIN-5 on the checked rows; the left plan is read only when the right side has duplicates."""
    rows = left_k if checked is None else left_k.filter(checked.fill_null(False))
    if not keys:
        if right_k.height > 1 and rows.select(pl.len()).collect().item() > 0:
            _raise(label, [({}, right_k.height)])
        return
    counts = right_k.drop_nulls(keys).group_by(keys).len(name="__matches").filter(pl.col("__matches") > 1)
    if counts.height == 0:  # no key repeats on the right: no checked row can meet two rows
        return
    probe = rows.select(keys).drop_nulls().unique()
    dupes = probe.join(counts.lazy(), on=keys, how="inner").collect()
    if dupes.height:
        top = dupes.sort("__matches", descending=True, maintain_order=True).head(MAX_REPORTED_KEYS)
        examples = [
            ({term: row[k] for term, k in zip(label.key_terms, keys)}, row["__matches"])
            for row in top.to_dicts()  # at most ten rows, for the message only
        ]
        _raise(label, examples, total=dupes.height)


def _raise(label: JoinLabel, examples: list[tuple[dict[str, object], int]], total: int | None = None) -> None:
    shown = "; ".join(
        (", ".join(f"{k}={v!r}" for k, v in key.items()) or "(no key)") + f" -> {n} rows" for key, n in examples
    )
    count = total if total is not None else len(examples)
    terms = " AND ".join(label.key_terms) or "(no key terms)"
    raise LookupNotUnique(
        f"{label.alias} (dataset {label.dataset_id}): {count} key value(s) match more than one row on {terms}",
        detail=f"offending keys (up to {MAX_REPORTED_KEYS}): {shown}",
        rule="LK-2",
        payload={
            "dataset_id": label.dataset_id,
            "alias": label.alias,
            "keys": [k for k, _ in examples],
            "match_counts": [n for _, n in examples],
        },
    )
