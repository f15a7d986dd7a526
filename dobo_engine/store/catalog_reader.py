"""A read-only catalog over the metadata store (the CatalogReader resolution uses).

Entities come back as the pydantic models, rebuilt from the stored authored
content with ``version``, ``status`` and ``is_default`` filled from the
stored record, since those live beside the versions (GEN-4). Unknown ids
raise the store's ``EntityNotFound``/``PeriodNotFound`` (``VersionNotFound``
for a missing version).
"""

from __future__ import annotations

from typing import TypeVar

from dobo_engine.model.calendar import Calendar, Period
from dobo_engine.model.common import Entity
from dobo_engine.model.dataset import Dataset
from dobo_engine.model.datasource import DataSource
from dobo_engine.model.documents import entity_from_dict
from dobo_engine.model.project import Project
from dobo_engine.model.resolver import Resolver
from dobo_engine.store.api import StoreAPI
from dobo_engine.store.records import PeriodRecord, StoredEntity

E = TypeVar("E", bound=Entity)


def entity_of(record: StoredEntity, model: type[E]) -> E:
    """The model of one stored version, system fields from the record."""
    content = dict(record.content)
    content["version"] = record.version
    if record.status is not None and "status" in model.model_fields:
        content["status"] = record.status
    if "is_default" in model.model_fields:
        content["is_default"] = record.is_default
    if "conflict_report" in model.model_fields and record.system.get("conflict_report") is not None:
        content["conflict_report"] = record.system["conflict_report"]
    if record.kind == "project" and record.status is not None:
        # A stored Project's status is a fact, not a declaration: skip the D22 authoring check.
        entity: Entity = model.model_validate(content)
    else:
        entity = entity_from_dict(record.kind, content)
    assert isinstance(entity, model)
    return entity


def period_of(record: PeriodRecord) -> Period:
    return Period(
        id=record.id,
        calendar_id=record.calendar_id,
        identifier=record.identifier,
        name=record.name,
        description=record.description,
        level=record.level,
        year=record.year,
        sequence=record.sequence,
        start_date=record.start_date,
        end_date=record.end_date,
        parent=record.parent,
        status=record.status,
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


class StoreCatalog:
    """Read-only entity access over a store or an open transaction."""

    def __init__(self, store: StoreAPI) -> None:
        self._store = store

    def dataset(self, dataset_id: str, version: int | None = None) -> Dataset:
        return entity_of(self._store.get_entity("dataset", dataset_id, version), Dataset)

    def resolver(self, resolver_id: str, version: int | None = None) -> Resolver:
        return entity_of(self._store.get_entity("resolver", resolver_id, version), Resolver)

    def default_resolver(self) -> Resolver | None:
        record = self._store.get_default("resolver")
        return None if record is None else entity_of(record, Resolver)

    def datasource(self, datasource_id: str) -> DataSource:
        return entity_of(self._store.get_entity("datasource", datasource_id), DataSource)

    def calendar(self, calendar_id: str) -> Calendar:
        return entity_of(self._store.get_entity("calendar", calendar_id), Calendar)

    def default_calendar(self) -> Calendar | None:
        record = self._store.get_default("calendar")
        return None if record is None else entity_of(record, Calendar)

    def project(self, project_id: str, version: int | None = None) -> Project:
        return entity_of(self._store.get_entity("project", project_id, version), Project)

    def period(self, calendar_id: str, identifier: str) -> Period:
        return period_of(self._store.get_period(calendar_id, identifier))

    def periods(self, calendar_id: str, level: str | None = None) -> list[Period]:
        return [period_of(p) for p in self._store.list_periods(calendar_id, level)]

    def children(self, calendar_id: str, identifier: str) -> list[Period]:
        """Direct children in ``start_date`` order (PER-2)."""
        return [period_of(p) for p in self._store.children(calendar_id, identifier)]
