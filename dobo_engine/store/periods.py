"""Periods of a Calendar, matched by (calendar, identifier) (D28, PER-1..4).

Each authored version of a Period is also kept in the version history under
kind ``period`` and the Period's UUID, so ``(id, version)`` resolves (GEN-4).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from dobo_engine.errors import InvalidField, InvalidTransition, MissingField, PeriodNotFound, VersionNotFound
from dobo_engine.store.canonical import content_hash
from dobo_engine.store.records import PeriodRecord, PutResult
from dobo_engine.store.schema import entity_versions, periods
from dobo_engine.store.types import utcnow

HISTORY_KIND = "period"
REQUIRED = ("calendar_id", "identifier", "name", "level", "year", "sequence", "start_date", "end_date")
OPTIONAL = ("description", "parent")
AUTHORED = REQUIRED + OPTIONAL
FROZEN_UNLESS_OPEN = ("name", "description", "start_date", "end_date")  # PER-4
STATUS_ORDER = ("open", "closed", "locked")  # PER-3, one way


def put_period(conn: sa.Connection, period: Mapping[str, Any]) -> PutResult:
    """Create or update a Period; a new one gets a UUID and status ``open``."""
    authored = _authored(period)
    existing = _row(conn, authored["calendar_id"], authored["identifier"], for_update=True)
    _check_position_free(conn, authored)
    now = utcnow()
    if existing is None:
        period_id = str(period.get("id") or uuid.uuid4())
        conn.execute(
            periods.insert().values(id=period_id, **authored, status="open", version=1, created_at=now, updated_at=now)
        )
        _keep_version(conn, period_id, 1, authored)
        return PutResult(HISTORY_KIND, period_id, 1, "created")
    if _authored_of(existing) == authored:
        return PutResult(HISTORY_KIND, existing.id, existing.version, "unchanged")
    _check_editable(existing, authored)
    version = existing.version + 1
    conn.execute(
        periods.update().where(periods.c.id == existing.id).values(**authored, version=version, updated_at=now)
    )
    _keep_version(conn, existing.id, version, authored)
    return PutResult(HISTORY_KIND, existing.id, version, "updated")


def get_period(conn: sa.Connection, calendar_id: str, identifier: str, version: int | None = None) -> PeriodRecord:
    """The Period now, or with the authored fields of an earlier ``version`` (status is always current)."""
    row = _row(conn, calendar_id, identifier)
    if row is None:
        raise PeriodNotFound(f"no Period {identifier!r} in Calendar {calendar_id!r}")
    record = _record(row)
    if version is None or version == record.version:
        return record
    return replace(record, **_authored_version(conn, record, version), version=version)


def _authored_version(conn: sa.Connection, record: PeriodRecord, version: int) -> dict[str, Any]:
    content = conn.scalar(
        sa.select(entity_versions.c.content).where(
            entity_versions.c.kind == HISTORY_KIND,
            entity_versions.c.id == record.id,
            entity_versions.c.version == version,
        )
    )
    if content is None:
        raise VersionNotFound(
            f"Period {record.identifier!r} of Calendar {record.calendar_id!r} has no version {version}",
            detail=f"available versions: 1..{record.version}",
        )
    return {
        **content,
        "start_date": _as_date(content["start_date"], "start_date"),
        "end_date": _as_date(content["end_date"], "end_date"),
    }


def list_periods(conn: sa.Connection, calendar_id: str, level: str | None = None) -> list[PeriodRecord]:
    """Periods of a Calendar in ``start_date`` order (a parent before its first child)."""
    query = sa.select(periods).where(periods.c.calendar_id == calendar_id)
    if level is not None:
        query = query.where(periods.c.level == level)
    return [_record(row) for row in conn.execute(_in_date_order(query))]


def children(conn: sa.Connection, calendar_id: str, identifier: str) -> list[PeriodRecord]:
    """Direct children (PER-2), in ``start_date`` order."""
    get_period(conn, calendar_id, identifier)
    query = sa.select(periods).where(periods.c.calendar_id == calendar_id, periods.c.parent == identifier)
    return [_record(row) for row in conn.execute(_in_date_order(query))]


def descendants(conn: sa.Connection, calendar_id: str, identifier: str) -> list[PeriodRecord]:
    """Transitive children following parent links (PER-2, D8), in ``start_date`` order."""
    found: list[PeriodRecord] = []
    frontier = [identifier]
    while frontier:
        level = children_of_many(conn, calendar_id, frontier)
        found.extend(level)
        frontier = [p.identifier for p in level]
    return sorted(found, key=lambda p: (p.start_date, -p.end_date.toordinal(), p.identifier))


def children_of_many(conn: sa.Connection, calendar_id: str, identifiers: list[str]) -> list[PeriodRecord]:
    query = sa.select(periods).where(periods.c.calendar_id == calendar_id, periods.c.parent.in_(identifiers))
    return [_record(row) for row in conn.execute(query)]


def set_period_status(conn: sa.Connection, calendar_id: str, identifier: str, status: str) -> PeriodRecord:
    """Move a Period one step along open → closed → locked (PER-3); same status is a no-op."""
    row = _row(conn, calendar_id, identifier, for_update=True)
    if row is None:
        raise PeriodNotFound(f"no Period {identifier!r} in Calendar {calendar_id!r}")
    if status not in STATUS_ORDER:
        raise InvalidField(f"unknown Period status {status!r}", detail=f"one of: {', '.join(STATUS_ORDER)}")
    step = STATUS_ORDER.index(status) - STATUS_ORDER.index(row.status)
    if step == 0:
        return _record(row)
    if step != 1:
        raise InvalidTransition(
            f"Period {identifier!r} of Calendar {calendar_id!r} cannot go from {row.status} to {status}",
            detail="Period status only moves open → closed → locked, one step at a time",
            rule="PER-3",
        )
    conn.execute(periods.update().where(periods.c.id == row.id).values(status=status, updated_at=utcnow()))
    return get_period(conn, calendar_id, identifier)


def _authored(period: Mapping[str, Any]) -> dict[str, Any]:
    missing = [key for key in REQUIRED if period.get(key) is None]
    if missing:
        raise MissingField(f"Period is missing {', '.join(missing)}")
    unknown = sorted(set(period) - set(AUTHORED) - {"id"})
    if unknown:
        raise InvalidField(f"Period fields {', '.join(unknown)} are not authored fields")
    values: dict[str, Any] = {key: period.get(key) for key in AUTHORED}
    values["start_date"] = _as_date(values["start_date"], "start_date")
    values["end_date"] = _as_date(values["end_date"], "end_date")
    values["year"] = int(values["year"])
    values["sequence"] = int(values["sequence"])
    return values


def _as_date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise InvalidField(f"Period {field} must be a date, not a timestamp")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidField(f"Period {field} {value!r} is not a YYYY-MM-DD date") from None


def _check_editable(existing: sa.Row[Any], authored: dict[str, Any]) -> None:
    changed = [key for key in FROZEN_UNLESS_OPEN if getattr(existing, key) != authored[key]]
    if existing.status != "open" and changed:
        raise InvalidTransition(
            f"Period {existing.identifier!r} is {existing.status}; {', '.join(changed)} can no longer change",
            rule="PER-4",
        )


def _check_position_free(conn: sa.Connection, authored: dict[str, Any]) -> None:
    """(level, year, sequence) is unique in a Calendar; say which Period holds it."""
    holder = conn.scalar(
        sa.select(periods.c.identifier).where(
            periods.c.calendar_id == authored["calendar_id"],
            periods.c.level == authored["level"],
            periods.c.year == authored["year"],
            periods.c.sequence == authored["sequence"],
            periods.c.identifier != authored["identifier"],
        )
    )
    if holder is not None:
        raise InvalidField(
            f"Period {authored['identifier']!r}: {authored['level']} {authored['year']} sequence "
            f"{authored['sequence']} is already Period {holder!r} of Calendar {authored['calendar_id']!r}"
        )


def _keep_version(conn: sa.Connection, period_id: str, version: int, authored: dict[str, Any]) -> None:
    conn.execute(
        entity_versions.insert().values(
            kind=HISTORY_KIND,
            id=period_id,
            version=version,
            content=authored,
            content_hash=content_hash(authored),
            created_at=utcnow(),
        )
    )


def _row(conn: sa.Connection, calendar_id: str, identifier: str, *, for_update: bool = False) -> sa.Row[Any] | None:
    query = sa.select(periods).where(periods.c.calendar_id == calendar_id, periods.c.identifier == identifier)
    return conn.execute(query.with_for_update() if for_update else query).first()


def _in_date_order(query: sa.Select[Any]) -> sa.Select[Any]:
    # Longer periods first on the same start day, so a parent precedes its first child.
    return query.order_by(periods.c.start_date, periods.c.end_date.desc(), periods.c.identifier)


def _authored_of(row: sa.Row[Any]) -> dict[str, Any]:
    return {key: getattr(row, key) for key in AUTHORED}


def _record(row: sa.Row[Any]) -> PeriodRecord:
    return PeriodRecord(**{field: getattr(row, field) for field in PeriodRecord.__dataclass_fields__})
