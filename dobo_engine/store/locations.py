"""Where registered output Datasets were written, per Period (D25, RUN-9).

The built-in Resolver ``dobo-registered`` serves exactly these locations.
Recording the same location again (a re-run of the Period) refreshes its
run and version instead of adding a duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from dobo_engine.store.canonical import content_hash
from dobo_engine.store.records import RegisteredLocation
from dobo_engine.store.schema import dialect_insert
from dobo_engine.store.schema import registered_locations as table
from dobo_engine.store.types import utcnow


def record_registered_location(
    conn: sa.Connection,
    dataset_id: str,
    calendar_id: str,
    period_identifier: str,
    location: Mapping[str, Any],
    *,
    run_id: str | None = None,
    dataset_version: int | None = None,
) -> RegisteredLocation:
    key = {
        "dataset_id": dataset_id,
        "calendar_id": calendar_id,
        "period_identifier": period_identifier,
        "location_hash": content_hash(location),
    }
    values = {"location": dict(location), "run_id": run_id, "dataset_version": dataset_version, "created_at": utcnow()}
    insert = dialect_insert(conn)(table).values(**key, **values)
    conn.execute(insert.on_conflict_do_update(index_elements=list(key), set_=values))
    match = sa.and_(*(table.c[name] == value for name, value in key.items()))
    return _record(conn.execute(sa.select(table).where(match)).one())


def registered_locations(
    conn: sa.Connection, dataset_id: str, calendar_id: str | None = None, period_identifier: str | None = None
) -> list[RegisteredLocation]:
    """Recorded locations of a Dataset, optionally for one Calendar/Period, oldest first."""
    query = sa.select(table).where(table.c.dataset_id == dataset_id)
    if calendar_id is not None:
        query = query.where(table.c.calendar_id == calendar_id)
    if period_identifier is not None:
        query = query.where(table.c.period_identifier == period_identifier)
    query = query.order_by(table.c.calendar_id, table.c.period_identifier, table.c.created_at, table.c.location_hash)
    return [_record(row) for row in conn.execute(query)]


def _record(row: sa.Row[Any]) -> RegisteredLocation:
    return RegisteredLocation(**{field: getattr(row, field) for field in RegisteredLocation.__dataclass_fields__})
