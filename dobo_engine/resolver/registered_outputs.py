"""Where registered outputs live and how later Runs read them back (D25, RUN-9, OP-OUT-6).

A Dataset registered from a Project's ``output`` is served by the built-in
Resolver ``dobo-registered`` from the locations recorded, per Period, when
its producing Runs completed, never by rules. A ``default`` destination is
read back through the built-in DataSource ``dobo-outputs`` over
``$DOBO_OUTPUT_ROOT``; a DataSource destination through that DataSource.
How a completing Run records them is :mod:`dobo_engine.runner.output_registration`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from dobo_engine.model.datasource import DataSource
from dobo_engine.model.resolver import ResolvedLocation

REGISTERED_RESOLVER_ID = "dobo-registered"
REGISTERED_RESOLVER_VERSION = 1  # built in: it has no authored content to version
OUTPUTS_DATASOURCE_ID = "dobo-outputs"  # built in: the deployment's output root


def registered_rule(dataset_id: str) -> str:
    """The ``rule`` recorded on a registered location: which Dataset it serves."""
    return f"registered:{dataset_id}"


def outputs_datasource(output_root: str) -> DataSource:
    """The built-in DataSource over ``$DOBO_OUTPUT_ROOT`` that registered ``default`` outputs are read from."""
    return DataSource.model_validate(
        {
            "id": OUTPUTS_DATASOURCE_ID,
            "name": "dobo outputs",
            "type": "parquet",
            "status": "active",
            "options": {"path_prefix": output_root},
        }
    )


class RegisteredLocations(Protocol):
    """Locations recorded for a registered Dataset and one Period of a Calendar."""

    def locations(self, dataset_id: str, calendar_id: str, period_identifier: str) -> list[ResolvedLocation]: ...


class MemoryRegisteredLocations:
    """:class:`RegisteredLocations` held in memory (tests, scenario harness)."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str, str], list[ResolvedLocation]] = {}

    def record(
        self, dataset_id: str, calendar_id: str, period_identifier: str, locations: Iterable[ResolvedLocation]
    ) -> None:
        """Record where a Period of ``dataset_id`` was written; an identical location is kept once."""
        kept = self._by_key.setdefault((dataset_id, calendar_id, period_identifier), [])
        kept += [loc for loc in locations if loc not in kept]

    def locations(self, dataset_id: str, calendar_id: str, period_identifier: str) -> list[ResolvedLocation]:
        return list(self._by_key.get((dataset_id, calendar_id, period_identifier), []))


class _LocationRecords(Protocol):
    def registered_locations(
        self, dataset_id: str, calendar_id: str | None = None, period_identifier: str | None = None
    ) -> list[Any]: ...


@dataclass
class StoreRegisteredLocations:
    """:class:`RegisteredLocations` read from the metadata store (``MetadataStore`` or a transaction)."""

    store: _LocationRecords

    def locations(self, dataset_id: str, calendar_id: str, period_identifier: str) -> list[ResolvedLocation]:
        records = self.store.registered_locations(dataset_id, calendar_id, period_identifier)
        return [ResolvedLocation.model_validate(r.location) for r in records]


def serve_registered(
    registry: RegisteredLocations,
    children: Callable[[str], list[str]],
    dataset_id: str,
    calendar_id: str,
    period_identifier: str,
    table_name: str,
) -> list[ResolvedLocation]:
    """The recorded locations a Run of ``period_identifier`` reads, in ``start_date`` order.

    The Period's own locations if it has any; otherwise, child by child, each
    child's own locations or else its children's (so a quarter consumes the
    months its producer ran, and a Period recorded at two levels is never
    read twice). ``children`` gives a Period's child identifiers in
    ``start_date`` order. Every location is stamped with the built-in
    Resolver and the registered Dataset (as ``rule``) so a Run snapshot and a
    resume tell them apart from rule-made ones (D27).
    """

    def walk(identifier: str) -> list[ResolvedLocation]:
        own = registry.locations(dataset_id, calendar_id, identifier)
        if own:
            return own
        return [loc for child in children(identifier) for loc in walk(child)]

    return [
        loc.model_copy(
            update={
                "resolver_id": REGISTERED_RESOLVER_ID,
                "resolver_version": REGISTERED_RESOLVER_VERSION,
                "rule": registered_rule(dataset_id),
                "table_name": table_name,
            }
        )
        for loc in walk(period_identifier)
    ]
