"""Collecting several queries of a Run's plan in one streaming pass (D36)."""

from __future__ import annotations

import polars as pl


def collect_together(queries: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    """`queries` as one streaming graph: the subplans they share (cache nodes) are computed once, in batches.

    `pl.collect_all` runs each query on its own and so materialises, in
    full, every cache node that more than one of them reads: memory grows
    with the data. Sinking each query into a list of batches lets Polars
    run them as one graph that feeds a shared node's readers side by side.

    >>> import polars as pl
    >>> rows = pl.LazyFrame({"x": [1, 2, 3]}).cache()
    >>> total, big = collect_together([rows.select(pl.col("x").sum()), rows.filter(pl.col("x") > 5)])
    >>> total.item(), big.shape
    (6, (0, 1))
    """
    if len(queries) < 2:
        return [q.collect() for q in queries]
    batches: list[list[pl.DataFrame]] = [[] for _ in queries]
    sinks = [q.sink_batches(found.append, lazy=True) for q, found in zip(queries, batches)]
    pl.collect_all(sinks)
    return [
        pl.concat(found, rechunk=False) if found else pl.DataFrame(schema=q.collect_schema())
        for q, found in zip(queries, batches)
    ]


__all__ = ["collect_together"]
