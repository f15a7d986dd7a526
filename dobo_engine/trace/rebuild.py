"""Rebuilding one row from its events (trace.md §4, steps 1-4).

Runs on the read path over the handful of events of ONE row, already turned
into Python values; the write path never comes here (TR-12).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dobo_engine.trace.format import CREATED, DELETED, DELETED_COLUMN, UPDATED, UPDATED_AT_COLUMN


@dataclass(frozen=True)
class RowEvent:
    """One trace event of one row, with ``before``/``after`` as read from the file."""

    operation_order: int
    operation_type: str
    change_type: str
    changed_columns: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any]


@dataclass(frozen=True)
class TraceEntry:
    """One step of a row's history: the change (only ``changed_columns``) and the state after it."""

    operation_order: int
    operation_type: str
    change_type: str
    before: dict[str, Any] | None
    after: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation_order": self.operation_order,
            "operation_type": self.operation_type,
            "change_type": self.change_type,
            "before": self.before,
            "after": self.after,
            "state": self.state,
        }


def conform(state: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """Lay the state out in the schema's column order; columns it lacks start NULL (step 2)."""

    shaped = {c: state.get(c) for c in columns}
    # A column the schema does not list is kept rather than silently dropped.
    shaped.update({c: v for c, v in state.items() if c not in shaped})
    return shaped


def replay(events: Iterable[RowEvent], schema_at: Mapping[int, Sequence[str]], clock: datetime) -> list[TraceEntry]:
    """Apply a row's events in ascending order; one entry per event with the state after it.

    ``events`` must start with the row's ``created`` event; ``schema_at`` gives
    the working columns after each event's step (TR-9).
    """

    entries: list[TraceEntry] = []
    state: dict[str, Any] | None = None
    touched = False  # step 4: an updated/deleted event moves _updated_at to the Run clock
    for event in sorted(events, key=lambda e: e.operation_order):
        changed = list(event.changed_columns)
        if event.change_type == CREATED:
            if state is not None:
                raise ValueError(f"a second created event for one row at step {event.operation_order}")
            state = dict(event.after)
        elif state is None:
            raise ValueError(
                f"a {event.change_type} event at step {event.operation_order} before the row's created event"
            )
        elif event.change_type == UPDATED:
            state.update({c: event.after[c] for c in changed})
            touched = True
        elif event.change_type == DELETED:
            state[DELETED_COLUMN] = True
            touched = True
        else:
            raise ValueError(f"unknown change type {event.change_type!r}")
        state = conform(state, schema_at.get(event.operation_order, ()))
        if touched:
            state[UPDATED_AT_COLUMN] = clock
        before = None if event.before is None else {c: event.before.get(c) for c in changed}
        entries.append(
            TraceEntry(
                operation_order=event.operation_order,
                operation_type=event.operation_type,
                change_type=event.change_type,
                before=before,
                after={c: event.after.get(c) for c in changed},
                state=dict(state),
            )
        )
    return entries
