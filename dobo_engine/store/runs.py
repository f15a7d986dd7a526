"""Run records (entities §6) and the D15 guard.

The guard is the partial unique index on (project, calendar, period) over
queued/running Runs: the database itself refuses a second one, atomically,
on both backends. We only translate its refusal into ``ConcurrentRunConflict``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
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
IMMUTABLE = frozenset(
    {"id", "project_id", "project_version", "calendar_id", "period_id", "period_identifier", "created_at"}
)


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
    conn: sa.Connection, /, run_id: str, *, expect_status: str | Collection[str] | None = None, **fields: Any
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
        raise InvalidTransition(f"Run {run_id} is {latest.status}, expected {' or '.join(sorted(expected or ()))}")
    return get_run(conn, run_id)


def update_running_run(
    conn: sa.Connection,
    /,
    run_id: str,
    *,
    lease_owner: str | None,
    unless_cancel_requested: bool = False,
    **fields: Any,
) -> RunRecord | None:
    """Write fields of a running Run only while ``lease_owner`` holds its lease; None when it does not.

    With an owner the write also renews the lease (``heartbeat_at``), so the
    heartbeat is this call with no fields. Without one (a Run executed
    without a lease, e.g. one Dagster op per process) only ``running`` is
    required. ``unless_cancel_requested`` refuses the write once a cancel was
    asked for (RUN-8: a cancelled Run never completes). Condition and write
    are one statement, so a reaper or a canceller racing this call cannot
    both win.
    """
    _check_fields(fields, allowed=FIELDS - IMMUTABLE)
    conditions = [runs.c.id == run_id, runs.c.status == "running"]
    if lease_owner is not None:
        conditions.append(runs.c.lease_owner == lease_owner)
        fields.setdefault("heartbeat_at", utcnow())
    if unless_cancel_requested:
        conditions.append(runs.c.cancel_requested_at.is_(None))
    if not fields:
        return get_run(conn, run_id) if conn.scalar(sa.select(runs.c.id).where(*conditions)) else None
    result = conn.execute(runs.update().where(*conditions).values(**fields))
    return get_run(conn, run_id) if result.rowcount else None


def reap_lost_runs(
    conn: sa.Connection,
    *,
    lease_seconds: float,
    error_for: Callable[[RunRecord], dict[str, Any]],
    run_id: str | None = None,
    project_id: str | None = None,
    calendar_id: str | None = None,
    period_identifier: str | None = None,
) -> list[RunRecord]:
    """Fail every running Run whose lease expired (worker lost); the Runs this call moved.

    A Run whose cancel was requested becomes ``cancelled`` instead (RUN-8).
    Each move is one conditional UPDATE (still running, heartbeat still older
    than the lease), so two observers reaping at once move a Run only once,
    and a process that renewed in between keeps its Run. Runs without a
    heartbeat (never leased) are left alone.
    """
    now = utcnow()
    stale = runs.c.heartbeat_at < now - dt.timedelta(seconds=lease_seconds)
    query = sa.select(runs).where(runs.c.status == "running", runs.c.heartbeat_at.is_not(None), stale)
    for column, value in (
        (runs.c.id, run_id),
        (runs.c.project_id, project_id),
        (runs.c.calendar_id, calendar_id),
        (runs.c.period_identifier, period_identifier),
    ):
        if value is not None:
            query = query.where(column == value)
    moved = []
    for candidate in [_record(row) for row in conn.execute(query)]:
        if candidate.cancel_requested_at is not None:
            values: dict[str, Any] = {"status": "cancelled", "completed_at": now}
        else:
            values = {"status": "failed", "completed_at": now, "error": error_for(candidate)}
        result = conn.execute(
            runs.update()
            .where(runs.c.id == candidate.id, runs.c.status == "running", runs.c.heartbeat_at.is_not(None), stale)
            .values(**values)
        )
        if result.rowcount:
            moved.append(get_run(conn, candidate.id))
    return moved


def cancel_run(conn: sa.Connection, run_id: str, *, lease_seconds: float) -> RunRecord:
    """RUN-8: cancel a queued Run (or a running one whose lease expired) at once; ask a live one to stop.

    A live running Run keeps ``running`` (and its Project and Period stay
    busy, D15) with ``cancel_requested_at`` set, until its process stops at
    the next operation boundary and records ``cancelled``.
    """
    now = utcnow()
    stale = sa.and_(
        runs.c.status == "running",
        runs.c.heartbeat_at.is_not(None),
        runs.c.heartbeat_at < now - dt.timedelta(seconds=lease_seconds),
    )
    stopped = conn.execute(
        runs.update()
        .where(runs.c.id == run_id, sa.or_(runs.c.status == "queued", stale))
        .values(status="cancelled", completed_at=now)
    )
    if stopped.rowcount:
        return get_run(conn, run_id)
    conn.execute(
        runs.update()
        .where(runs.c.id == run_id, runs.c.status == "running", runs.c.cancel_requested_at.is_(None))
        .values(cancel_requested_at=now)
    )
    current = get_run(conn, run_id)
    if current.status != "running":
        raise InvalidTransition(f"Run {run_id} is {current.status}, expected queued or running", rule="RUN-8")
    return current


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
