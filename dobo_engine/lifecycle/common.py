"""Shared plumbing of the lifecycle actions: one unit of work, the Project state they return.

Every action is all or nothing (PRJ-9, V-2): given a :class:`MetadataStore`
it opens its own transaction; given an open :class:`Transaction` (catalog
apply) it joins it, so a refused action there rolls back the whole apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from dobo_engine.errors import EntityNotFound, InvalidTransition
from dobo_engine.model.project import Project
from dobo_engine.store.api import MetadataStore, StoreAPI
from dobo_engine.store.catalog_reader import StoreCatalog
from dobo_engine.store.records import StoredEntity

PIN = "pinned_dataset_version"
REPORT = "conflict_report"
UPGRADE = "upgrade_available"


@contextmanager
def unit_of_work(store: StoreAPI) -> Iterator[StoreAPI]:
    if isinstance(store, MetadataStore):
        with store.transaction() as tx:
            yield tx
    else:
        yield store


@dataclass(frozen=True)
class ProjectState:
    """A Project's lifecycle state after an action (what the CLI prints)."""

    project_id: str
    version: int
    status: str
    previous_status: str | None
    pinned_dataset_version: int | None
    upgrade_available: int | None = None
    conflict_report: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def state_of(tx: StoreAPI, project_id: str, previous: str | None, warnings: list[str] | None = None) -> ProjectState:
    record = tx.get_entity("project", project_id)
    return ProjectState(
        project_id=project_id,
        version=record.version,
        status=record.status or "draft",
        previous_status=previous,
        pinned_dataset_version=record.system.get(PIN),
        upgrade_available=record.system.get(UPGRADE),
        conflict_report=record.system.get(REPORT),
        warnings=list(warnings or []),
    )


def project_record(tx: StoreAPI, project_id: str) -> StoredEntity:
    return tx.get_entity("project", project_id)


def project_model(tx: StoreAPI, project_id: str, version: int | None = None) -> Project:
    return StoreCatalog(tx).project(project_id, version)


def require_status(record: StoredEntity, allowed: tuple[str, ...], action: str, rule: str) -> None:
    if record.status not in allowed:
        raise InvalidTransition(
            f"Project {record.id!r} is {record.status}; `{action}` needs it {' or '.join(allowed)}", rule=rule
        )


def latest_dataset_version(tx: StoreAPI, dataset_id: str) -> int | None:
    try:
        return tx.get_entity("dataset", dataset_id).latest_version
    except EntityNotFound:
        return None  # validation reports the missing Dataset (VAL-018)
