"""Status actions of the other entities: enable/disable, Calendar, Period (DS, SRC, RES, CAL-5, PER-3).

Every move is explicit (GEN-3) and never creates a version (GEN-4).
Repeating a move that already happened is a no-op (`changed` False), so
scripts can run these commands again safely; a move backwards is refused.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from dobo_engine.errors import InvalidField, InvalidTransition
from dobo_engine.lifecycle.common import unit_of_work
from dobo_engine.store.api import StoreAPI

TOGGLE_KINDS = ("dataset", "datasource", "resolver")  # active ⇄ disabled
CALENDAR_STEPS = {"activate": ("draft", "active"), "deprecate": ("active", "deprecated")}  # CAL-5
PERIOD_STEPS = {"close": ("open", "closed"), "lock": ("closed", "locked")}  # PER-3


@dataclass(frozen=True)
class StatusChange:
    kind: str
    id: str
    status_before: str
    status: str

    @property
    def changed(self) -> bool:
        return self.status_before != self.status

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "changed": self.changed}


def set_enabled(store: StoreAPI, kind: str, entity_id: str, enabled: bool) -> StatusChange:
    """`dobo enable|disable`: a Dataset (DS-4), DataSource (SRC-6) or Resolver (RES-11).

    Disabling keeps existing pins and Run snapshots working; it only stops
    new references (checked by validation and Run creation).
    """
    if kind not in TOGGLE_KINDS:
        raise InvalidField(f"{kind!r} has no enable/disable; one of: {', '.join(TOGGLE_KINDS)}", rule="GEN-3")
    target = "active" if enabled else "disabled"
    with unit_of_work(store) as tx:
        before = tx.get_entity(kind, entity_id).status or "active"
        if before != target:
            tx.set_status(kind, entity_id, target)
        return StatusChange(kind, entity_id, before, target)


def move_calendar(store: StoreAPI, calendar_id: str, action: str) -> StatusChange:
    """`dobo calendar activate|deprecate`: one way, draft → active → deprecated (CAL-5)."""
    source, target = CALENDAR_STEPS[action]
    with unit_of_work(store) as tx:
        before = tx.get_entity("calendar", calendar_id).status or "draft"
        if before == target:
            return StatusChange("calendar", calendar_id, before, target)
        if before != source:
            raise InvalidTransition(
                f"Calendar {calendar_id!r} is {before}; `{action}` needs it {source}",
                detail="Calendar status only moves draft → active → deprecated",
                rule="CAL-5",
            )
        tx.set_status("calendar", calendar_id, target)
        return StatusChange("calendar", calendar_id, before, target)


def move_period(store: StoreAPI, calendar_id: str, identifier: str, action: str) -> StatusChange:
    """`dobo periods close|lock`: one way, open → closed → locked; no cascade (PER-3)."""
    _, target = PERIOD_STEPS[action]
    with unit_of_work(store) as tx:
        before = tx.get_period(calendar_id, identifier).status
        after = tx.set_period_status(calendar_id, identifier, target)  # refuses skips and moves back
        return StatusChange("period", f"{calendar_id}/{identifier}", before, after.status)
