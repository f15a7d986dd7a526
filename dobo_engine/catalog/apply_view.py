"""What an apply sees: its own documents layered over the store (D28).

References inside one apply resolve in any order, so every lookup first asks
the documents of the apply, then the store (read inside the apply's
transaction, so nothing changes under the checks).
"""

from __future__ import annotations

from typing import Any

from dobo_engine.catalog.catalog_files import Authored
from dobo_engine.errors import EntityNotFound, PeriodNotFound, VersionNotFound
from dobo_engine.model.calendar import Calendar, Period
from dobo_engine.model.common import Entity
from dobo_engine.model.documents import authored_content, entity_from_dict
from dobo_engine.store.api import StoreAPI
from dobo_engine.store.canonical import content_hash
from dobo_engine.store.records import PeriodRecord, StoredEntity

# The status a new entity starts in (entities.md lifecycles).
INITIAL_STATUS: dict[str, str] = {
    "dataset": "active",
    "datasource": "active",
    "resolver": "active",
    "calendar": "draft",
    "project": "draft",
}


def stored_content(entity: Entity) -> dict[str, Any]:
    """The versioned content: authored fields less `is_default`, a flag kept beside the versions."""
    content = authored_content(entity)
    content.pop("is_default", None)
    return content


class ApplyView:
    def __init__(self, items: list[Authored], store: StoreAPI, broken: set[tuple[str, str]] | None = None) -> None:
        self.items = items
        self.store = store
        self.broken = broken or set()  # invalid documents: already reported, so taken to exist
        self._by_key: dict[tuple[str, str], Authored] = {}
        for item in items:
            self._by_key.setdefault((item.kind, item.key), item)
        self._stored: dict[tuple[str, str, int | None], StoredEntity | None] = {}
        self._entities: dict[tuple[str, str, int], Entity] = {}

    # --- the apply's own documents
    def authored(self, kind: str, id: str) -> Authored | None:
        return self._by_key.get((kind, id))

    def of_kind(self, kind: str) -> list[Authored]:
        return [item for item in self.items if item.kind == kind]

    # --- the store
    def stored(self, kind: str, id: str, version: int | None = None) -> StoredEntity | None:
        key = (kind, id, version)
        if key not in self._stored:
            try:
                self._stored[key] = self.store.get_entity(kind, id, version)
            except (EntityNotFound, VersionNotFound):
                self._stored[key] = None
        return self._stored[key]

    def stored_entity(self, kind: str, id: str, version: int | None = None) -> Entity | None:
        record = self.stored(kind, id, version)
        if record is None:
            return None
        key = (kind, id, record.version)
        if key not in self._entities:
            self._entities[key] = entity_from_dict(kind, record.content)
        return self._entities[key]

    # --- both
    def exists(self, kind: str, id: str) -> bool:
        if (kind, id) in self.broken:
            return True
        return self.authored(kind, id) is not None or self.stored(kind, id) is not None

    def entity(self, kind: str, id: str, version: int | None = None) -> Entity | None:
        """The entity as it will be after the apply; a pinned ``version`` may be an older stored one."""
        item = self.authored(kind, id)
        if item is not None and (version is None or version == self.next_version(item)):
            return item.entity
        return self.stored_entity(kind, id, version)

    def next_version(self, item: Authored) -> int:
        """The version this document will have once written (GEN-4)."""
        record = self.stored(item.kind, item.key)
        if record is None:
            return 1
        same = content_hash(stored_content(item.entity)) == content_hash(record.content)
        return record.latest_version if same else record.latest_version + 1

    def versions(self, kind: str, id: str) -> set[int]:
        found = set(self.store.list_versions(kind, id)) if self.stored(kind, id) is not None else set()
        item = self.authored(kind, id)
        if item is not None:
            found.add(self.next_version(item))
        return found

    def status(self, kind: str, id: str) -> str | None:
        """The stored status, or the starting status of a new entity."""
        record = self.stored(kind, id)
        if record is not None:
            return record.status
        return INITIAL_STATUS.get(kind) if self.authored(kind, id) is not None else None

    def calendar(self, id: str) -> Calendar | None:
        found = self.entity("calendar", id)
        return found if isinstance(found, Calendar) else None

    def stored_period(self, calendar_id: str, identifier: str) -> PeriodRecord | None:
        try:
            return self.store.get_period(calendar_id, identifier)
        except PeriodNotFound:
            return None

    def period(self, calendar_id: str, identifier: str) -> Period | PeriodRecord | None:
        item = self.authored("period", f"{calendar_id}/{identifier}")
        if item is not None:
            assert isinstance(item.entity, Period)
            return item.entity
        return self.stored_period(calendar_id, identifier)
