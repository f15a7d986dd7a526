"""Where a Run's one plan is materialised (D36).

Under `checkpoints: none` a Run is one lazy plan. An operation whose meaning
needs rows (the group totals an `aggregate` appends, the rows an `output`
writes) collects them through :func:`collect_all`, which also collects every
step report and trace event of the plan still pending, so the work before
that point is done once, in one pass. Outside such a Run it is
`pl.collect_all`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

import polars as pl


class SideOutputs(Protocol):
    def collect_with(self, queries: list[pl.LazyFrame]) -> list[pl.DataFrame]: ...


_PENDING: ContextVar[SideOutputs | None] = ContextVar("dobo_side_outputs", default=None)


def collect_all(queries: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    """`queries` collected; with them, in the same pass, the Run's pending side outputs."""
    side = _PENDING.get()
    return pl.collect_all(queries) if side is None else side.collect_with(queries)


@contextmanager
def side_outputs(side: SideOutputs) -> Iterator[None]:
    """Within this block every materialisation also collects `side`'s pending outputs."""
    token = _PENDING.set(side)
    try:
        yield
    finally:
        _PENDING.reset(token)


__all__ = ["SideOutputs", "collect_all", "side_outputs"]
