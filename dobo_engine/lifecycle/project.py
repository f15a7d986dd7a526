"""Project lifecycle actions: activate, deactivate, reopen, re-pin (PRJ-8, PRJ-9, PRJ-11, D22, D31).

Status and pin live beside the versions (GEN-4), so none of these actions
creates a Project version. Runnability is the run service's business
(PRJ-10); this module only moves status and pin.
"""

from __future__ import annotations

from dobo_engine.lifecycle.common import (
    PIN,
    REPORT,
    UPGRADE,
    ProjectState,
    latest_dataset_version,
    project_model,
    project_record,
    require_status,
    state_of,
    unit_of_work,
)
from dobo_engine.model.project import Project
from dobo_engine.store.api import StoreAPI
from dobo_engine.store.catalog_reader import StoreCatalog
from dobo_engine.store.records import StoredEntity
from dobo_engine.validation import ValidationReport, validate_project


def activation_version(tx: StoreAPI, record: StoredEntity, project: Project, requested: int | None) -> int | None:
    """PRJ-9: the version given, else the authored `input_dataset_version`, else the pin, else the latest."""
    if requested is not None:
        return requested
    if project.input_dataset_version is not None:
        return project.input_dataset_version
    pinned = record.system.get(PIN)
    if pinned is not None:
        return int(pinned)
    return latest_dataset_version(tx, project.input_dataset_id)


def activation_checks(tx: StoreAPI, project: Project, dataset_version: int | None, *, status: str) -> ValidationReport:
    """The PRJ-9 checks against one input version; raises ActivationError with every failure.

    ``status`` is what VAL-018's "is draft" part sees: the stored status for
    an activation, `draft` for the checks an active Project passes again
    (metadata edit, upgrade, re-pin), where only the pipeline is in question.
    """
    report = validate_project(
        project, StoreCatalog(tx), dataset_version=dataset_version, purpose="activation", status=status
    )
    report.raise_for_failures()
    return report


def pin_active(tx: StoreAPI, project_id: str, dataset_version: int | None) -> None:
    """Make the Project active on this pin; any offer or report is settled by the new pin."""
    tx.set_status("project", project_id, "active")
    tx.set_system("project", project_id, **{PIN: dataset_version, UPGRADE: None, REPORT: None})


def activate_in(tx: StoreAPI, project_id: str, dataset_version: int | None = None) -> ProjectState:
    """draft → active inside an open unit of work (PRJ-9)."""
    record = project_record(tx, project_id)
    project = project_model(tx, project_id)
    version = activation_version(tx, record, project, dataset_version)
    report = activation_checks(tx, project, version, status=record.status or "draft")
    pin_active(tx, project_id, report.dataset_version or version)
    return state_of(tx, project_id, record.status, report.warnings)


def activate(store: StoreAPI, project_id: str, dataset_version: int | None = None) -> ProjectState:
    """`dobo activate`: validate against the version to pin; all or nothing (PRJ-9, V-2)."""
    with unit_of_work(store) as tx:
        return activate_in(tx, project_id, dataset_version)


def repin_in(tx: StoreAPI, project_id: str, dataset_version: int | None) -> ProjectState:
    """An active Project passes the activation checks against ``dataset_version`` and pins it.

    Used for a metadata edit (validated against the current pin, PRJ-6), a
    changed authored `input_dataset_version` (D31) and an accepted upgrade
    (PRJ-13). Failure raises ActivationError and changes nothing.
    """
    record = project_record(tx, project_id)
    project = project_model(tx, project_id)
    report = activation_checks(tx, project, dataset_version, status="draft")
    pin = report.dataset_version or dataset_version
    offered = record.system.get(UPGRADE)
    tx.set_system("project", project_id, **{PIN: pin, UPGRADE: offered if offered and pin and offered > pin else None})
    return state_of(tx, project_id, record.status, report.warnings)


def deactivate(store: StoreAPI, project_id: str) -> ProjectState:
    """active → inactive (PRJ-11); the pin is kept for a later reactivation."""
    with unit_of_work(store) as tx:
        record = project_record(tx, project_id)
        require_status(record, ("active",), "deactivate", "PRJ-11")
        tx.set_status("project", project_id, "inactive")
        return state_of(tx, project_id, record.status)


def reopen(store: StoreAPI, project_id: str) -> ProjectState:
    """inactive → draft (PRJ-11): reactivation always goes through draft."""
    with unit_of_work(store) as tx:
        record = project_record(tx, project_id)
        require_status(record, ("inactive",), "reopen", "PRJ-11")
        tx.set_status("project", project_id, "draft")
        return state_of(tx, project_id, record.status)


def take_back(tx: StoreAPI, project_id: str) -> None:
    """active → draft (structural edit PRJ-6, or declared `status: draft` D22); the pin stays."""
    tx.set_status("project", project_id, "draft")
    tx.set_system("project", project_id, **{UPGRADE: None})
