"""Impact analysis of a new input-Dataset version (PRJ-12..14, DS-8) and accepting an upgrade (PRJ-13).

For every `active` Project whose input is the Dataset and whose pin is
older than its newest version, the pinned and newest versions are diffed
column by column, and only columns the Project references count. Breaking
→ `conflict` with a ConflictReport; otherwise the newest version is offered
(`system.upgrade_available`). A Project already in `conflict` gets its
report recomputed against the newest version (PRJ-14). Draft and inactive
Projects are not analysed: their problems surface at activation or run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dobo_engine.errors import DoboError, InvalidTransition
from dobo_engine.lifecycle.common import (
    PIN,
    REPORT,
    UPGRADE,
    ProjectState,
    project_model,
    project_record,
    require_status,
    unit_of_work,
)
from dobo_engine.lifecycle.diff import column_changes
from dobo_engine.lifecycle.project import repin_in
from dobo_engine.lifecycle.references import project_references
from dobo_engine.model.conflict import BreakingChange, ConflictReport
from dobo_engine.model.dataset import Dataset
from dobo_engine.model.project import Project
from dobo_engine.store.api import StoreAPI
from dobo_engine.store.catalog_reader import StoreCatalog


@dataclass(frozen=True)
class Impact:
    """What a new Dataset version did to one Project."""

    project_id: str
    status_before: str
    status_after: str
    dataset_version_from: int
    dataset_version_to: int
    conflict_report: dict[str, Any] | None = None  # set when breaking
    upgrade_available: int | None = None  # set when not breaking

    def describe(self) -> str:
        if self.conflict_report is not None:
            columns = ", ".join(c["column"] for c in self.conflict_report["breaking_changes"])
            return (
                f"Project {self.project_id} {self.status_before} → {self.status_after}: "
                f"v{self.dataset_version_to} breaks {columns}"
            )
        return f"Project {self.project_id}: v{self.dataset_version_to} offered as an upgrade of v{self.dataset_version_from}"


def conflict_report(project: Project, pinned: Dataset, newest: Dataset, catalog: StoreCatalog) -> ConflictReport | None:
    """The breaking changes of ``newest`` for ``project`` pinned to ``pinned``; None if there are none."""
    references = project_references(project, pinned)

    def nested(dataset_id: str, version: int | None) -> Dataset:
        return catalog.dataset(dataset_id, version)

    changes = column_changes(pinned, newest, nested)
    breaking = [
        BreakingChange(
            column=key,
            change_type=change.change_type,
            new_name=change.new_name,
            affected_operations=sorted(references[key]),
        )
        for key, change in sorted(changes.items())
        if key in references
    ]
    if not breaking:
        return None
    return ConflictReport(
        dataset_version_from=pinned.version or 1, dataset_version_to=newest.version or 1, breaking_changes=breaking
    )


def analyse_dataset(tx: StoreAPI, dataset_id: str) -> list[Impact]:
    """Run PRJ-12..14 for every Project reading ``dataset_id`` after it got a new version."""
    catalog = StoreCatalog(tx)
    newest = catalog.dataset(dataset_id)
    impacts: list[Impact] = []
    for record in tx.list_entities("project"):
        if record.content.get("input_dataset_id") != dataset_id or record.status not in ("active", "conflict"):
            continue
        pin = record.system.get(PIN)
        if record.status == "conflict":
            pin = (record.system.get(REPORT) or {}).get("dataset_version_from", pin)
        if pin is None or int(pin) >= (newest.version or 1):
            continue
        try:
            pinned = catalog.dataset(dataset_id, int(pin))
        except DoboError:
            continue  # a pin to a version that cannot be read: nothing to compare
        project = project_model(tx, record.id)
        report = conflict_report(project, pinned, newest, catalog)
        impacts.append(_settle(tx, record.id, record.status, int(pin), newest.version or 1, report))
    return impacts


def _settle(tx: StoreAPI, project_id: str, status: str, pin: int, newest: int, report: ConflictReport | None) -> Impact:
    if report is not None:
        body = report.model_dump(mode="json", exclude_none=True)
        tx.set_status("project", project_id, "conflict")
        tx.set_system("project", project_id, **{REPORT: body, UPGRADE: None})
        return Impact(project_id, status, "conflict", pin, newest, conflict_report=body)
    # No referenced column breaks any more (a Project in conflict included, e.g. the
    # column came back): it runs on its pin again and is offered the newest version.
    tx.set_status("project", project_id, "active")
    tx.set_system("project", project_id, **{REPORT: None, UPGRADE: newest})
    return Impact(project_id, status, "active", pin, newest, upgrade_available=newest)


def upgrade(store: StoreAPI, project_id: str) -> ProjectState:
    """Accept the offered version (PRJ-13): the activation checks against it, then the pin moves."""
    with unit_of_work(store) as tx:
        record = project_record(tx, project_id)
        require_status(record, ("active",), "upgrade", "PRJ-13")
        offered = record.system.get(UPGRADE)
        if offered is None:
            raise InvalidTransition(
                f"Project {project_id!r} has no Dataset version offered as an upgrade",
                rule="PRJ-13",
                detail=f"it is pinned to version {record.system.get(PIN)}",
            )
        return repin_in(tx, project_id, int(offered))
