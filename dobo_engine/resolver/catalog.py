"""What resolution reads from the catalog, and an in-memory catalog.

Resolution never writes: :class:`CatalogReader` is the read-only view it
needs (the metadata store, the scenario harness and tests each provide one).
Lookups that find nothing raise the error a Run would report: a Dataset
→ ``UnresolvedDatasetRef``, a Resolver → ``ResolverNotFound``, a Period →
``PeriodNotFound``, a DataSource or Calendar → ``EntityNotFound``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from dobo_engine.errors import EntityNotFound, PeriodNotFound, ResolverNotFound, UnresolvedDatasetRef
from dobo_engine.model.calendar import Calendar, Period
from dobo_engine.model.common import Entity
from dobo_engine.model.dataset import Dataset
from dobo_engine.model.datasource import DataSource
from dobo_engine.model.documents import parse_text
from dobo_engine.model.resolver import Resolver


class CatalogReader(Protocol):
    """Read-only access to the entities resolution uses; ``version=None`` means the latest."""

    def dataset(self, dataset_id: str, version: int | None = None) -> Dataset: ...

    def resolver(self, resolver_id: str, version: int | None = None) -> Resolver: ...

    def default_resolver(self) -> Resolver | None: ...

    def datasource(self, datasource_id: str) -> DataSource: ...

    def calendar(self, calendar_id: str) -> Calendar: ...

    def period(self, calendar_id: str, identifier: str) -> Period: ...

    def children(self, calendar_id: str, identifier: str) -> list[Period]:
        """Periods whose ``parent`` is ``identifier``, in ``start_date`` order (PER-2)."""
        ...


def status_of(entity: Entity, default: str = "active") -> str:
    """An entity's ``status``; an omitted status is the kind's starting status."""
    return getattr(entity, "status", None) or default


def version_of(entity: Entity) -> int:
    """An entity's ``version``; an omitted one (never stored) counts as 1."""
    return getattr(entity, "version", None) or 1


E = TypeVar("E", bound=Entity)


def _pick(versions: list[E], version: int | None) -> E | None:
    if not versions:
        return None
    if version is None:
        return max(versions, key=version_of)
    return next((v for v in versions if version_of(v) == version), None)


class MemoryCatalog:
    """A :class:`CatalogReader` over entities held in memory (tests, scenario harness).

    Several versions of one id may be given; ``version=None`` picks the highest.
    """

    def __init__(self, entities: Iterable[Entity] = ()) -> None:
        self._datasets: dict[str, list[Dataset]] = {}
        self._resolvers: dict[str, list[Resolver]] = {}
        self._datasources: dict[str, DataSource] = {}
        self._calendars: dict[str, Calendar] = {}
        self._periods: dict[tuple[str, str], Period] = {}
        for entity in entities:
            self.add(entity)

    @classmethod
    def from_yaml(cls, *texts: str) -> MemoryCatalog:
        """A catalog from YAML documents (``---`` separated), as authored."""
        return cls(entity for text in texts for entity in parse_text(text))

    def add(self, entity: Entity) -> None:
        if isinstance(entity, Dataset):
            self._datasets.setdefault(entity.id, []).append(entity)
        elif isinstance(entity, Resolver):
            self._resolvers.setdefault(entity.id, []).append(entity)
        elif isinstance(entity, DataSource):
            self._datasources[entity.id] = entity
        elif isinstance(entity, Calendar):
            self._calendars[entity.id] = entity
        elif isinstance(entity, Period):
            self._periods[(entity.calendar_id, entity.identifier)] = entity
        else:
            raise TypeError(f"MemoryCatalog does not hold {type(entity).__name__} entities")

    def dataset(self, dataset_id: str, version: int | None = None) -> Dataset:
        found = _pick(self._datasets.get(dataset_id, []), version)
        if found is None:
            wanted = dataset_id if version is None else f"{dataset_id} v{version}"
            raise UnresolvedDatasetRef(f"Dataset {wanted} does not exist", rule="DS-3")
        return found

    def resolver(self, resolver_id: str, version: int | None = None) -> Resolver:
        found = _pick(self._resolvers.get(resolver_id, []), version)
        if found is None:
            wanted = resolver_id if version is None else f"{resolver_id} v{version}"
            raise ResolverNotFound(f"Resolver {wanted} does not exist", rule="RES-9")
        return found

    def default_resolver(self) -> Resolver | None:
        latest = [_pick(versions, None) for versions in self._resolvers.values()]
        return next((r for r in latest if r is not None and r.is_default), None)

    def datasource(self, datasource_id: str) -> DataSource:
        found = self._datasources.get(datasource_id)
        if found is None:
            raise EntityNotFound(f"DataSource {datasource_id!r} does not exist", rule="RES-7")
        return found

    def calendar(self, calendar_id: str) -> Calendar:
        found = self._calendars.get(calendar_id)
        if found is None:
            raise EntityNotFound(f"Calendar {calendar_id!r} does not exist", rule="D23")
        return found

    def period(self, calendar_id: str, identifier: str) -> Period:
        found = self._periods.get((calendar_id, identifier))
        if found is None:
            raise PeriodNotFound(f"no Period {identifier!r} in Calendar {calendar_id!r}", rule="D23")
        return found

    def children(self, calendar_id: str, identifier: str) -> list[Period]:
        found = [p for (cal, _), p in self._periods.items() if cal == calendar_id and p.parent == identifier]
        return sorted(found, key=lambda p: (p.start_date, p.end_date))
