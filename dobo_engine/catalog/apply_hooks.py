"""What catalog apply does to Project lifecycles (D22, D31, PRJ-6, PRJ-7, PRJ-11, PRJ-12).

Two hooks. :func:`check_declared` runs with the other apply checks, before
anything is written, and refuses status pairs the lifecycle does not allow.
:func:`settle_projects` runs after everything is written (Calendar status
moves included, D33, so one apply can create a Calendar and activate a
Project on it) and performs the moves; a failed activation or re-validation
returns that Project's ActivationError, and apply then writes nothing
(D28), which leaves its stored state unchanged. :func:`analyse_new_versions`
then runs impact analysis for Datasets that got a new version (DS-8).

Stored → declared (D22): draft → active (activate), active → inactive
(deactivate), inactive → draft (reopen), inactive → active (reopen then
activate), active → draft (take back); any declared status on a Project in
`conflict` → ProjectInConflict; other changing pairs → InvalidTransition.
Without a declared status, an edit of an active Project follows PRJ-6
(structural → draft; metadata → validated against the pin) and a changed
`input_dataset_version` re-pins through the activation checks (D31). A
structural edit of a Project declared `active` is taken back to draft and
activated again, so the stored status matches the declaration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dobo_engine.catalog.apply_view import ApplyView, stored_content
from dobo_engine.catalog.catalog_files import Authored
from dobo_engine.errors import DoboError
from dobo_engine.lifecycle.common import PIN
from dobo_engine.lifecycle.impact import Impact, analyse_dataset
from dobo_engine.lifecycle.project import activate_in, repin_in, take_back
from dobo_engine.store.api import StoreAPI
from dobo_engine.store.records import PutResult, StoredEntity

# PRJ-6 (D31: calendar_id too). Anything else authored is a metadata edit.
STRUCTURAL_FIELDS = ("operations", "input_dataset_id", "materialization", "calendar_id")
ALLOWED = {
    ("draft", "active"),
    ("active", "inactive"),
    ("inactive", "draft"),
    ("inactive", "active"),
    ("active", "draft"),
}


def check_declared(view: ApplyView, item: Authored) -> list[DoboError]:
    """Refuse, before writing, what no lifecycle move allows (D22, PRJ-7)."""
    record = view.stored("project", item.key)
    declared: str | None = getattr(item.entity, "status", None)
    current = record.status if record is not None and record.status else "draft"
    edited = record is not None and view.next_version(item) != record.latest_version
    if current == "conflict":
        if declared is not None:
            return [
                item.error(
                    ("status",),
                    "ProjectInConflict",
                    "D22",
                    f"Project {item.key!r} is in conflict; resolve it with "
                    "`dobo resolve-conflict --pin|--adapt` before declaring a status",
                )
            ]
        return []  # PRJ-7: edits are allowed in conflict, the status stays
    if declared is not None and declared != current and (current, declared) not in ALLOWED:
        return [
            item.error(
                ("status",),
                "InvalidTransition",
                "D22",
                f"Project {item.key!r} is {current}; it cannot be moved to {declared} "
                f"(allowed: {', '.join(f'{a} → {b}' for a, b in sorted(ALLOWED))})",
            )
        ]
    ends_inactive = declared == "inactive" or (declared is None and current == "inactive")
    if edited and ends_inactive:
        return [
            item.error(
                (),
                "ProjectInactive",
                "PRJ-7",
                f"Project {item.key!r} would be inactive and inactive Projects reject edits; "
                "declare `status: draft` (reopen) or apply the edit before deactivating",
            )
        ]
    return []


@dataclass(frozen=True)
class Settled:
    status: str
    changes: list[str]


def _structural(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return any(before.get(f) != after.get(f) for f in STRUCTURAL_FIELDS)


def settle(tx: StoreAPI, item: Authored, record: StoredEntity | None, put: PutResult) -> Settled:
    """Move one written Project to where the catalog and PRJ-6 say; raises ActivationError."""
    project_id = item.key
    declared: str | None = getattr(item.entity, "status", None)
    current = record.status if record is not None and record.status else "draft"
    if current == "conflict":
        return Settled(current, [])
    if current == "draft":
        if declared == "active":
            state = activate_in(tx, project_id)
            return Settled("active", [f"status draft → active (pinned v{state.pinned_dataset_version})"])
        return Settled(current, [])
    if current == "inactive":
        if declared in ("draft", "active"):
            take_back(tx, project_id)
            if declared == "active":
                state = activate_in(tx, project_id)
                return Settled("active", [f"status inactive → draft → active (pinned v{state.pinned_dataset_version})"])
            return Settled("draft", ["status inactive → draft"])
        return Settled(current, [])
    # current == "active"
    if declared == "draft":
        take_back(tx, project_id)
        return Settled("draft", ["status active → draft"])
    if declared == "inactive":
        tx.set_status("project", project_id, "inactive")
        return Settled("inactive", ["status active → inactive"])
    if record is None or put.outcome == "unchanged":
        return Settled(current, [])
    return _edit_active(tx, item, record, declared)


def _edit_active(tx: StoreAPI, item: Authored, record: StoredEntity, declared: str | None) -> Settled:
    project_id = item.key
    before, after = record.content, stored_content(item.entity)
    if _structural(before, after):
        take_back(tx, project_id)  # PRJ-6: the pin stays in the system state
        if declared == "active":
            state = activate_in(tx, project_id)
            return Settled("active", [f"structural edit re-activated (pinned v{state.pinned_dataset_version})"])
        return Settled("draft", ["status active → draft (structural edit)"])
    pin = record.system.get(PIN)
    wanted = after.get("input_dataset_version")
    if wanted is not None and wanted != before.get("input_dataset_version") and wanted != pin:
        state = repin_in(tx, project_id, int(wanted))  # D31: the authored version changed
        return Settled("active", [f"re-pinned v{pin} → v{state.pinned_dataset_version}"])
    repin_in(tx, project_id, pin)  # PRJ-6: a metadata edit is checked against the current pin
    return Settled("active", [])


def settle_projects(
    tx: StoreAPI, written: list[tuple[Authored, StoredEntity | None, PutResult]]
) -> tuple[dict[str, Settled], list[DoboError]]:
    """Settle every written Project; every failure is returned (all are reported at once)."""
    settled: dict[str, Settled] = {}
    errors: list[DoboError] = []
    for item, record, put in written:
        try:
            settled[item.key] = settle(tx, item, record, put)
        except DoboError as err:
            err.location = item.locate("status") if getattr(item.entity, "status", None) else item.locate()
            errors.append(err)
    return settled, errors


def analyse_new_versions(tx: StoreAPI, dataset_ids: list[str]) -> dict[str, list[Impact]]:
    """PRJ-12..14 for each Dataset the apply gave a new version (DS-8)."""
    return {dataset_id: analyse_dataset(tx, dataset_id) for dataset_id in dataset_ids}
