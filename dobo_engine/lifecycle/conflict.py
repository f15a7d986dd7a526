"""Resolving a conflict, for the whole report at once (PRJ-15).

`pin`: keep running on the pinned version; every entry `pinned`, pin stays
at `dataset_version_from`, → `active`. `adapt` (after editing the
operations): every entry `adapted`, pin = `dataset_version_to`, → `draft`,
so the adapted Project must pass activation again. Either way the report is
cleared from the Project; the resolved report is returned and kept as
`system.last_conflict_resolution` so the decision stays visible.
"""

from __future__ import annotations

from typing import Literal

from dobo_engine.errors import InvalidField
from dobo_engine.lifecycle.common import (
    PIN,
    REPORT,
    UPGRADE,
    ProjectState,
    project_record,
    require_status,
    state_of,
    unit_of_work,
)
from dobo_engine.model.conflict import ConflictReport
from dobo_engine.store.api import StoreAPI

Mode = Literal["pin", "adapt"]
LAST_RESOLUTION = "last_conflict_resolution"


def resolve_conflict(store: StoreAPI, project_id: str, mode: Mode) -> ProjectState:
    if mode not in ("pin", "adapt"):
        raise InvalidField(f"resolution mode must be pin or adapt, not {mode!r}", rule="PRJ-15")
    with unit_of_work(store) as tx:
        record = project_record(tx, project_id)
        require_status(record, ("conflict",), "resolve-conflict", "PRJ-15")
        report = ConflictReport.model_validate(record.system[REPORT])
        resolution = "pinned" if mode == "pin" else "adapted"
        resolved = report.model_copy(
            update={
                "breaking_changes": [
                    change.model_copy(update={"resolution": resolution}) for change in report.breaking_changes
                ]
            }
        )
        pin = report.dataset_version_from if mode == "pin" else report.dataset_version_to
        tx.set_status("project", project_id, "active" if mode == "pin" else "draft")
        tx.set_system(
            "project",
            project_id,
            **{
                PIN: pin,
                REPORT: None,
                UPGRADE: None,
                LAST_RESOLUTION: resolved.model_dump(mode="json", exclude_none=True),
            },
        )
        return state_of(tx, project_id, record.status)
