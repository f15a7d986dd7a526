"""Run records (entities §6) and the D15 guard.

The guard is the partial unique index on (project, calendar, period) over
queued/running Runs: the database itself refuses a second one, atomically,
on both backends. We only translate its refusal into ``ConcurrentRunConflict``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from dobo_engine.errors import ConcurrentRunConflict, InvalidField, InvalidTransition, MissingField, RunNotFound
from dobo_engine.store.records import RunRecord
from dobo_engine.store.schema import ACTIVE_RUN_INDEX, ACTIVE_RUN_STATUSES, periods, runs
from dobo_engine.store.types import utcnow

REQUIRED = ("project_id", "project_version", "calendar_id", "period_identifier", "snapshot")
DEFAULTS: dict[str, Any] = {
    "status": "queued",
    "sandbox": False,
    "trigger_type": "manual",
    "attempt": 1,
    "output_datasets": [],
}
FIELDS = frozenset(RunRecord.__dataclass_fields__)
IMMUTABLE = frozenset({"id", "project_id", "project_version", "calendar_id", "period_id", "period_identifier", "created_at"})


def create_run(conn: sa.Connection, run: Mapping[str, Any]) -> RunRecord:
    """Insert a Run (RUN-1); ``ConcurrentRunConflict`` if its Project and Period are busy (D15)."""
    values = _new_run_values(conn, run)
    with _guarded(conn, values):
        conn.execute(runs.insert().values(**values))
    return get_run(conn, values["id"])


def get_run(conn: sa.Connection, run_id: str) -> RunRecord:
    row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()
    if row is None:
        raise RunNotFound(f"no Run with id {run_id!r}")
    return _record(row)


def update_run(
    conn: sa.Connection, run_id: str, *, expect_status: str | Collection[str] | None = None, **fields: Any
) -> RunRecord:
    """Change Run fields; with ``expect_status`` only if the Run is in one of those statuses.

    The status check and the write are one statement, so two workers racing
    (e.g. cancel vs pick-up) cannot both win. Moving a Run back to
    queued/running is guarded by D15 like a creation.
    """
    _check_fields(fields, allowed=FIELDS - IMMUTABLE)
    current = get_run(conn, run_id)
    statement = runs.update().where(runs.c.id == run_id).values(**fields)
    expected = _as_set(expect_status)
    if expected is not None:
        statement = statement.where(runs.c.status.in_(expected))
    with _guarded(conn, {**_identity(current), **fields}):
        result = conn.execute(statement)
    if result.rowcount == 0:
        latest = get_run(conn, run_id)
        raise InvalidTransition(
            f"Run {run_id} is {latest.status}, expected {' or '.join(sorted(expected or ()))}"
        )
    return get_run(conn, run_id)


def list_runs(
    conn: sa.Connection,
    project_id: str | None = None,
    period_identifier: str | None = None,
    status: str | Collection[str] | None = None,
    calendar_id: str | None = None,
) -> list[RunRecord]:
    """Runs matching every given filter, oldest first."""
    query = sa.select(runs)
    for column, value in (
        (runs.c.project_id, project_id),
        (runs.c.period_identifier, period_identifier),
        (runs.c.calendar_id, calendar_id),
    ):
        if value is not None:
            query = query.where(column == value)
    statuses = _as_set(status)
    if statuses is not None:
        query = query.where(runs.c.status.in_(statuses))
    return [_record(row) for row in conn.execute(query.order_by(runs.c.created_at, runs.c.id))]


def _new_run_values(conn: sa.Connection, run: Mapping[str, Any]) -> dict[str, Any]:
    _check_fields(run, allowed=FIELDS)
    missing = [key for key in REQUIRED if run.get(key) is None]
    if missing:
        raise MissingField(f"Run is missing {', '.join(missing)}")
    values = {**DEFAULTS, **{k: v for k, v in run.items() if v is not None}}
    values.setdefault("id", str(uuid.uuid4()))
    values.setdefault("created_at", utcnow())
    values.setdefault("period_id", _period_id(conn, values["calendar_id"], values["period_identifier"]))
    if isinstance(values.get("as_known_at"), str):
        values["as_known_at"] = dt.date.fromisoformat(values["as_known_at"])
    return values


def _period_id(conn: sa.Connection, calendar_id: str, identifier: str) -> str | None:
    return conn.scalar(
        sa.select(periods.c.id).where(periods.c.calendar_id == calendar_id, periods.c.identifier == identifier)
    )


@contextmanager
def _guarded(conn: sa.Connection, run: Mapping[str, Any]) -> Iterator[None]:
    """Run a write in a savepoint; a D15 index violation becomes ConcurrentRunConflict.

    The savepoint keeps the caller's transaction usable after the refusal
    (PostgreSQL would otherwise abort the whole transaction).
    """
    try:
        with conn.begin_nested():
            yield
    except IntegrityError as exc:
        if not _is_active_run_violation(exc):
            raise
        raise _conflict(conn, run) from None


def _is_active_run_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    # PostgreSQL names the index; SQLite lists its columns.
    return ACTIVE_RUN_INDEX in text or "runs.project_id, runs.calendar_id, runs.period_identifier" in text


def _conflict(conn: sa.Connection, run: Mapping[str, Any]) -> ConcurrentRunConflict:
    other = conn.execute(
        sa.select(runs.c.id, runs.c.status).where(
            runs.c.project_id == run["project_id"],
            runs.c.calendar_id == run["calendar_id"],
            runs.c.period_identifier == run["period_identifier"],
            runs.c.status.in_(ACTIVE_RUN_STATUSES),
        )
    ).first()
    holder = f" (Run {other.id} is {other.status})" if other is not None else ""
    return ConcurrentRunConflict(
        f"Project {run['project_id']!r} already has a queued or running Run for Period "
        f"{run['period_identifier']!r} of Calendar {run['calendar_id']!r}{holder}",
        rule="D15",
        payload={"run_id": other.id} if other is not None else None,
    )


def _check_fields(fields: Mapping[str, Any], *, allowed: Collection[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidField(f"Run fields {', '.join(unknown)} cannot be set here")


def _as_set(status: str | Collection[str] | None) -> set[str] | None:
    if status is None:
        return None
    return {status} if isinstance(status, str) else set(status)


def _identity(run: RunRecord) -> dict[str, Any]:
    return {"project_id": run.project_id, "calendar_id": run.calendar_id, "period_identifier": run.period_identifier}


def _record(row: sa.Row[Any]) -> RunRecord:
    return RunRecord(**{field: getattr(row, field) for field in RunRecord.__dataclass_fields__})
