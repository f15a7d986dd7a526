"""The load recorded by reference (TR-15): what a compact load file holds and how it is read again.

When every table the load read can be read again exactly (files whose
content is fingerprinted, in-memory tables), the load's trace file holds no
copy of the rows: its TR-9 metadata records the number of loaded rows and a
fingerprint per location read (:mod:`dobo_engine.io.fingerprints`). Reading it
back runs the Run's load again from its snapshot, through a
:data:`LoadReplay` given by the caller that owns IO, and compares the
fingerprints first: a changed location is an error, never a silently
different row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import polars as pl

from dobo_engine.errors import Location, TraceInputChanged
from dobo_engine.io.fingerprints import Fingerprint
from dobo_engine.model.dataset import Dataset, TableRef
from dobo_engine.trace.runinfo import RunInfo

REPLAY_KEY = "load_by_reference"  # the TR-9 metadata key of a compact load file


@runtime_checkable
class ReReadable(Protocol):
    """A TableSource that can say whether, and how exactly, a table it loads can be read again."""

    def fingerprints(self, dataset: Dataset, table: TableRef) -> list[Fingerprint] | None:
        """One fingerprint per location the table's load reads; ``None`` if any cannot be read again."""
        ...


@dataclass(frozen=True)
class ReplayedLoad:
    """The Run's load done again: the working frame right after it, and the fingerprints of what it read."""

    frame: pl.LazyFrame
    fingerprints: list[Fingerprint]


LoadReplay = Callable[[RunInfo], ReplayedLoad]


def load_record(rows: int, fingerprints: Sequence[Fingerprint]) -> dict[str, Any]:
    """The metadata of a compact load file: the loaded row count and the fingerprints of what was read.

    >>> load_record(2, [{"location": "/data/sales.parquet", "size": 10, "sha256": "ab"}])
    {'rows': 2, 'fingerprints': [{'location': '/data/sales.parquet', 'size': 10, 'sha256': 'ab'}]}
    """
    return {"rows": int(rows), "fingerprints": [dict(f) for f in fingerprints]}


def _what_changed(recorded: Mapping[str, Any], current: Mapping[str, Any] | None) -> str | None:
    if current is None:
        return "it is no longer read by the Run's load (missing, or resolved elsewhere)"
    if "rows" in recorded and recorded.get("rows") != current.get("rows"):
        return f"it held {recorded['rows']} rows, it now holds {current.get('rows')}"
    if recorded.get("size") != current.get("size"):
        return f"its size was {recorded.get('size')} bytes, it is now {current.get('size')} bytes"
    for key in ("sha256", "tag"):
        then, now = str(recorded.get(key))[:16], str(current.get(key))[:16]
        if recorded.get(key) != current.get(key):
            return f"its content changed ({key} {then}… at the Run, {now}… now)"
    return None


def check_fingerprints(run: RunInfo, recorded: Sequence[Fingerprint], current: Sequence[Fingerprint]) -> None:
    """Every location the Run's load read still holds what it held (TR-15); else one error naming the first that changed.

    >>> from datetime import datetime
    >>> run = RunInfo("run-1", "completed", datetime(2026, 2, 1))
    >>> then = [{"location": "/data/sales.parquet", "size": 10, "sha256": "ab"}]
    >>> check_fingerprints(run, then, then)
    >>> check_fingerprints(run, then, [{"location": "/data/sales.parquet", "size": 12, "sha256": "cd"}])
    Traceback (most recent call last):
    ...
    dobo_engine.errors.TraceInputChanged: ...'/data/sales.parquet' changed since Run run-1 loaded it, ...: its size was 10 bytes, it is now 12 bytes...
    """
    now = {str(f.get("location")): f for f in current}
    for then in recorded:
        location = str(then.get("location"))
        change = _what_changed(then, now.get(location))
        if change is not None:
            raise TraceInputChanged(
                f"{location!r} changed since Run {run.run_id} loaded it, and the load's trace refers to it "
                f"rather than copying its rows: {change}",
                detail="the loaded rows cannot be rebuilt exactly; the trace of later operations still reads",
                location=Location(operation_order=0),
                rule="TR-15",
                payload={"location": location, "change": change},
            )
    added = sorted(set(now) - {str(f.get("location")) for f in recorded})
    if added:
        raise TraceInputChanged(
            f"the load of Run {run.run_id} would now also read {added[0]!r}, which it did not read",
            location=Location(operation_order=0),
            rule="TR-15",
            payload={"location": added[0], "change": "added"},
        )


__all__ = ["REPLAY_KEY", "Fingerprint", "LoadReplay", "ReReadable", "ReplayedLoad", "check_fingerprints", "load_record"]
