"""Value-for-value comparison of two output files of the engine benchmark.

Both frames are sorted by a key that is unique in each, then compared column
by column with Polars' exact equality (NULL equals NULL): decimals compare as
scaled integers at their declared precision and scale, so ``1.10`` and
``1.1`` of different scales are a dtype difference, not a match. The first
difference found is named by file, column and key.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl


class OutputsDiffer(Exception):
    """A dobo output and its reference's output do not hold the same values."""


def _key_text(row: dict[str, object], keys: Sequence[str]) -> str:
    return ", ".join(f"{k}={row[k]!r}" for k in keys)


def compare_frames(actual: pl.DataFrame, expected: pl.DataFrame, *, keys: Sequence[str], what: str) -> int:
    """Raise :class:`OutputsDiffer` unless the frames hold the same rows; returns the row count."""
    if actual.columns != expected.columns:
        raise OutputsDiffer(f"{what}: columns differ: {actual.columns} vs {expected.columns}")
    for name in actual.columns:
        if actual.schema[name] != expected.schema[name]:
            raise OutputsDiffer(f"{what}: column {name} is {actual.schema[name]} vs {expected.schema[name]}")
    if actual.height != expected.height:
        raise OutputsDiffer(f"{what}: {actual.height:,} rows vs {expected.height:,} rows")
    for side, frame in (("dobo", actual), ("reference", expected)):
        repeated = frame.height - frame.select(keys).n_unique()
        if repeated:
            raise OutputsDiffer(f"{what}: {repeated:,} {side} rows repeat a key ({', '.join(keys)})")
    left = actual.sort(keys, nulls_last=True)
    right = expected.sort(keys, nulls_last=True)
    differing = pl.DataFrame({name: left[name].ne_missing(right[name]) for name in left.columns})
    counts = differing.sum().row(0, named=True)
    bad = {name: count for name, count in counts.items() if count}
    if bad:
        name = next(iter(bad))
        at = int(differing[name].arg_max() or 0)
        listing = ", ".join(f"{n} ({c:,} rows)" for n, c in bad.items())
        raise OutputsDiffer(
            f"{what}: values differ in {listing}; first at {_key_text(left.row(at, named=True), keys)}: "
            f"{name} = {left[name][at]!r} (dobo) vs {right[name][at]!r} (reference)"
        )
    return actual.height


def compare_files(actual: Path, expected: Path, *, keys: Sequence[str], what: str, drop: Sequence[str] = ()) -> int:
    """Compare two Parquet files; ``drop`` names columns of ``actual`` the reference does not write."""
    left = pl.read_parquet(actual)
    if drop:
        left = left.drop(drop)
    return compare_frames(left, pl.read_parquet(expected), keys=keys, what=f"{what} ({actual} vs {expected})")
