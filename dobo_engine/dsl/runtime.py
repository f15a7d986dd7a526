"""Run-time side of expressions: the one run-time error, NumericOverflow (§10, §12.4).

Integer arithmetic is checked by a strict cast from Int128; decimal overflow
is Polars' own ComputeError. Both surface only when the query runs, so the
engine wraps ``collect()`` with :func:`overflow_guard` (or calls
:func:`collect`) to turn them into ``NumericOverflow``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl

from dobo_engine.errors import NumericOverflow

# Polars has no exception type for overflow: after the type check, the message is the only signal.
_MARKERS = ("overflow", "conversion from `i128` to `i64` failed", "to `i64` failed", "to `i32` failed")


def is_overflow(err: BaseException) -> bool:
    """Whether a Polars error is an arithmetic overflow of an expression."""
    if not isinstance(err, (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError)):
        return False
    text = str(err)
    return any(m in text for m in _MARKERS) or ("conversion from `decimal" in text and "failed" in text)


@contextmanager
def overflow_guard(where: str | None = None) -> Iterator[None]:
    """Map Polars overflow errors raised inside the block to ``NumericOverflow``."""
    try:
        yield
    except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError) as err:
        if not is_overflow(err):
            raise
        first = str(err).splitlines()[0]
        place = f" in {where}" if where else ""
        raise NumericOverflow(
            f"a value does not fit its type{place} (integers: 64-bit; decimals: 38 digits)",
            detail=first,
        ) from err


def collect(frame: pl.LazyFrame, where: str | None = None) -> pl.DataFrame:
    """``frame.collect()`` with overflow mapped to ``NumericOverflow``."""
    with overflow_guard(where):
        return frame.collect()
