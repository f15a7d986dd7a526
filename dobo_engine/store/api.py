"""The metadata store interface (D18): one API over SQLite or PostgreSQL.

Every method exists on the store (which opens its own transaction per call)
and on a :class:`Transaction` from ``store.transaction()`` (where all calls
share one transaction: all written on success, nothing on an exception, as
catalog apply needs, D28). Reads inside a transaction see its own writes.
"""

from __future__ import annotations

import datetime as dt
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa

from dobo_engine.settings import Settings
from dobo_engine.store import entities, locations, migrate, periods, runs, seed
from dobo_engine.store.connect import SQLITE_BEGIN_OPTION, create_engine, redact
from dobo_engine.store.records import PeriodRecord, PutResult, RegisteredLocation, RunRecord, StoredEntity

P = ParamSpec("P")
R = TypeVar("R")
Op = Callable[Concatenate[sa.Connection, P], R]


class StoreAPI(ABC):
    """The operations, each delegating to the module that owns it."""

    @abstractmethod
    def _write(self, op: Op[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run `op` in a write transaction (the store's own, or the open one)."""

    @abstractmethod
    def _read(self, op: Op[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run `op` on a connection that sees the open transaction's writes."""

    # entities (GEN-4)
    def put_entity(self, kind: str, id: str, content: Mapping[str, Any], *, status: str | None = None) -> PutResult:
        return self._write(entities.put_entity, kind, id, content, status=status)

    def get_entity(self, kind: str, id: str, version: int | None = None) -> StoredEntity:
        return self._read(entities.get_entity, kind, id, version)

    def list_entities(self, kind: str) -> list[StoredEntity]:
        return self._read(entities.list_entities, kind)

    def list_versions(self, kind: str, id: str) -> list[int]:
        return self._read(entities.list_versions, kind, id)

    def version_created_at(self, kind: str, id: str, version: int) -> dt.datetime:
        return self._read(entities.version_created_at, kind, id, version)

    def set_status(self, kind: str, id: str, status: str) -> None:
        self._write(entities.set_status, kind, id, status)

    def set_system(self, kind: str, id: str, **fields: Any) -> dict[str, Any]:
        return self._write(entities.set_system, kind, id, **fields)

    def set_default(self, kind: str, id: str) -> None:
        self._write(entities.set_default, kind, id)

    def clear_default(self, kind: str, id: str) -> None:
        self._write(entities.clear_default, kind, id)

    def get_default(self, kind: str) -> StoredEntity | None:
        return self._read(entities.get_default, kind)

    # periods (PER-1..4, D28)
    def put_period(self, period: Mapping[str, Any]) -> PutResult:
        return self._write(periods.put_period, period)

    def get_period(self, calendar_id: str, identifier: str, version: int | None = None) -> PeriodRecord:
        return self._read(periods.get_period, calendar_id, identifier, version)

    def list_periods(self, calendar_id: str, level: str | None = None) -> list[PeriodRecord]:
        return self._read(periods.list_periods, calendar_id, level)

    def children(self, calendar_id: str, identifier: str) -> list[PeriodRecord]:
        return self._read(periods.children, calendar_id, identifier)

    def descendants(self, calendar_id: str, identifier: str) -> list[PeriodRecord]:
        return self._read(periods.descendants, calendar_id, identifier)

    def set_period_status(self, calendar_id: str, identifier: str, status: str) -> PeriodRecord:
        return self._write(periods.set_period_status, calendar_id, identifier, status)

    # runs (RUN-1..10, D15)
    def create_run(self, run: Mapping[str, Any]) -> RunRecord:
        return self._write(runs.create_run, run)

    def get_run(self, run_id: str) -> RunRecord:
        return self._read(runs.get_run, run_id)

    def update_run(
        self, run_id: str, *, expect_status: str | Collection[str] | None = None, **fields: Any
    ) -> RunRecord:
        return self._write(runs.update_run, run_id, expect_status=expect_status, **fields)

    def update_running_run(
        self, run_id: str, *, lease_owner: str | None, unless_cancel_requested: bool = False, **fields: Any
    ) -> RunRecord | None:
        return self._write(
            runs.update_running_run,
            run_id,
            lease_owner=lease_owner,
            unless_cancel_requested=unless_cancel_requested,
            **fields,
        )

    def reap_lost_runs(
        self,
        *,
        lease_seconds: float,
        error_for: Callable[[RunRecord], dict[str, Any]],
        run_id: str | None = None,
        project_id: str | None = None,
        calendar_id: str | None = None,
        period_identifier: str | None = None,
    ) -> list[RunRecord]:
        return self._write(
            runs.reap_lost_runs,
            lease_seconds=lease_seconds,
            error_for=error_for,
            run_id=run_id,
            project_id=project_id,
            calendar_id=calendar_id,
            period_identifier=period_identifier,
        )

    def cancel_run(self, run_id: str, *, lease_seconds: float) -> RunRecord:
        return self._write(runs.cancel_run, run_id, lease_seconds=lease_seconds)

    def list_runs(
        self,
        project_id: str | None = None,
        period_identifier: str | None = None,
        status: str | Collection[str] | None = None,
        calendar_id: str | None = None,
    ) -> list[RunRecord]:
        return self._read(runs.list_runs, project_id, period_identifier, status, calendar_id)

    # registered output locations (D25)
    def record_registered_location(
        self,
        dataset_id: str,
        calendar_id: str,
        period_identifier: str,
        location: Mapping[str, Any],
        *,
        run_id: str | None = None,
        dataset_version: int | None = None,
    ) -> RegisteredLocation:
        return self._write(
            locations.record_registered_location,
            dataset_id,
            calendar_id,
            period_identifier,
            location,
            run_id=run_id,
            dataset_version=dataset_version,
        )

    def registered_locations(
        self, dataset_id: str, calendar_id: str | None = None, period_identifier: str | None = None
    ) -> list[RegisteredLocation]:
        return self._read(locations.registered_locations, dataset_id, calendar_id, period_identifier)


class Transaction(StoreAPI):
    """All calls share one connection and transaction."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def _write(self, op: Op[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        return op(self._connection, *args, **kwargs)

    def _read(self, op: Op[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        return op(self._connection, *args, **kwargs)


class MetadataStore(StoreAPI):
    """A migrated, seeded metadata store; use :func:`open_store` to get one."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._local = threading.local()

    @property
    def url(self) -> str:
        """The store's URL with any password hidden."""
        return redact(self._engine.url)

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One all-or-nothing unit of work. Do not nest: use the yielded object's methods."""
        if getattr(self._local, "in_transaction", False):
            # A second write transaction in the same thread would wait for the
            # first one's lock forever (SQLite) or commit separately (PostgreSQL).
            raise RuntimeError("a store transaction is already open in this thread; use its methods")
        self._local.in_transaction = True
        try:
            with self._connected_transaction() as tx:
                yield tx
        finally:
            self._local.in_transaction = False

    @contextmanager
    def _connected_transaction(self) -> Iterator[Transaction]:
        with self._engine.connect() as connection:
            # SQLite: take the write lock up front, so a read-then-write
            # transaction waits for other writers instead of failing midway.
            connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            with connection.begin():
                yield Transaction(connection)

    def schema_revision(self) -> str | None:
        with self._engine.connect() as connection:
            return migrate.current_revision(connection)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> MetadataStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, op: Op[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.transaction() as tx:
            return tx._write(op, *args, **kwargs)

    def _read(self, op: Op[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._engine.connect() as connection, connection.begin():
            return op(connection, *args, **kwargs)

    def _migrate_and_seed(self) -> None:
        with self.transaction() as tx:
            migrate.upgrade(tx._connection)
            seed.seed(tx._connection)


def open_store(url: str | None = None) -> MetadataStore:
    """Open (creating, migrating and seeding as needed) the metadata store.

    ``url`` defaults to ``DOBO_METADATA_URL`` or the SQLite file under
    ``$DOBO_HOME`` (D24). An unreachable store raises ``ConnectionFailure``.
    """
    store = MetadataStore(create_engine(url or Settings.from_env().metadata_url))
    try:
        store._migrate_and_seed()
    except BaseException:
        store.close()
        raise
    return store
