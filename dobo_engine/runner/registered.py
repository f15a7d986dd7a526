"""Registered output locations (D25) read from the metadata store."""

from __future__ import annotations

from dataclasses import dataclass

from dobo_engine.model.resolver import ResolvedLocation
from dobo_engine.store.api import MetadataStore


@dataclass
class StoreRegisteredLocations:
    store: MetadataStore

    def locations(self, dataset_id: str, calendar_id: str, period_identifier: str) -> list[ResolvedLocation]:
        records = self.store.registered_locations(dataset_id, calendar_id, period_identifier)
        return [ResolvedLocation.model_validate(r.location) for r in records]
