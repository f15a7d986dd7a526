"""The ``_labels`` system column (ROW-6): its empty value, editing it, and its CSV form.

In frames and Parquet ``_labels`` is ``List(Struct{key, value})`` with unique,
sorted keys; in CSV it is a JSON object string (``{"team":"fx"}``). One
assignment ``_labels.k <- e`` (D7, OP-UPD-8) sets label k where e is a
string and removes it where e is NULL; rows the update does not select keep
their labels.
"""

from __future__ import annotations

import json

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


def _parse_one(text: str) -> list[dict[str, str]] | None:
    """The labels of one JSON object text; None if it is not an object of strings."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or not all(isinstance(v, (str, type(None))) for v in data.values()):
        return None
    return [{"key": k, "value": data[k]} for k in sorted(data) if data[k] is not None]


def _parse_batch(texts: pl.Series) -> pl.Series:
    # JSON objects with free keys have no fixed Polars dtype, so parse in
    # Python, but only the distinct texts (labels repeat heavily), then map
    # the whole column with one join-like replace.
    distinct = texts.drop_nulls().unique()
    keys: list[str] = []
    parsed: list[list[dict[str, str]] | None] = []
    for text in distinct.to_list():
        keys.append(text)
        parsed.append(_parse_one(text) if text.strip() else [])
    lookup = pl.DataFrame({"text": pl.Series(keys, dtype=pl.Utf8), "labels": pl.Series(parsed, dtype=LABELS_DTYPE)})
    frame = texts.rename("text").to_frame().join(lookup, on="text", how="left", maintain_order="left")
    return frame["labels"].rename(texts.name)


def parse_labels(expr: pl.Expr) -> pl.Expr:
    """JSON object strings → ``List(Struct{key, value})``; an invalid text gives NULL.

    An empty string is an empty label set; NULL stays NULL.
    """
    return expr.map_batches(_parse_batch, return_dtype=LABELS_DTYPE)


def _json_string(expr: pl.Expr) -> pl.Expr:
    # Polars has no JSON string quoting; encoding a one-field struct and
    # trimming its wrapper gives the properly escaped quoted string.
    return pl.struct(expr.alias("k")).struct.json_encode().str.strip_prefix('{"k":').str.strip_suffix("}")


def labels_to_json(expr: pl.Expr) -> pl.Expr:
    """``List(Struct{key, value})`` → JSON object string (``{}`` for no labels)."""
    pair = pl.concat_str(
        [_json_string(pl.element().struct.field("key")), pl.lit(":"), _json_string(pl.element().struct.field("value"))]
    )
    body = expr.list.eval(pair).list.join(",")
    return pl.concat_str([pl.lit("{"), body, pl.lit("}")])
