"""Engines for the two metadata store backends, and reachability (D18, D31).

SQLite (the embedded default) runs in WAL mode with a busy timeout so
concurrent writers wait rather than fail, and its transactions are begun by
us (not by the sqlite3 module) so write transactions can take the write lock
up front (``BEGIN IMMEDIATE``) and savepoints work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from dobo_engine.errors import ConnectionFailure

SQLITE_BUSY_TIMEOUT_MS = 60_000
PG_CONNECT_TIMEOUT_S = 10
# Execution option naming how a SQLite transaction begins ("IMMEDIATE" for writes).
SQLITE_BEGIN_OPTION = "dobo_sqlite_begin"


def redact(url: str | URL) -> str:
    """The URL as text with any password hidden (safe for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def create_engine(url: str) -> sa.Engine:
    """An engine for a SQLite or PostgreSQL URL; ``ConnectionFailure`` if it cannot connect."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed)
    elif parsed.get_backend_name() == "postgresql":
        engine = _postgres_engine(parsed)
    else:
        raise ConnectionFailure(
            f"unsupported metadata store URL {redact(parsed)}",
            detail="use sqlite:///<file> or postgresql+psycopg2://user@host/db",
        )
    _check_reachable(engine)
    return engine


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise ConnectionFailure("the metadata store URL cannot be parsed", detail=str(exc)) from None


def _postgres_engine(url: URL) -> sa.Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")  # the driver dobo ships with
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> sa.Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:")
    if not in_memory:
        _make_parent(url, Path(database))
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if in_memory:
        kwargs["poolclass"] = sa.pool.StaticPool  # one shared in-memory database
    else:
        kwargs.update(pool_size=10, max_overflow=40, pool_timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = sa.create_engine(url, **kwargs)
    sa.event.listen(engine, "connect", _sqlite_on_connect(wal=not in_memory))
    sa.event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _make_parent(url: URL, path: Path) -> None:
    try:
        path.expanduser().absolute().parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConnectionFailure(f"metadata store {redact(url)} cannot be created", detail=str(exc)) from None


def _sqlite_on_connect(*, wal: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_on_begin)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if wal:
            _retry_locked(lambda: cursor.execute("PRAGMA journal_mode = WAL"))
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    return on_connect


def _retry_locked(statement: Any, attempts: int = 20) -> None:
    """Switching a new database file to WAL takes an exclusive lock that the busy
    timeout does not wait for; simultaneous first opens retry briefly instead."""
    import sqlite3
    import time

    for attempt in range(attempts):
        try:
            statement()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _sqlite_on_begin(connection: sa.Connection) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _check_reachable(engine: sa.Engine) -> None:
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as exc:
        engine.dispose()
        detail = _scrub(str(getattr(exc, "orig", exc)), engine.url)
        raise ConnectionFailure(f"metadata store {redact(engine.url)} cannot be reached", detail=detail) from None


def _scrub(text: str, url: URL) -> str:
    """Drivers may echo the connection string; never let a password through (D19)."""
    if url.password:
        text = text.replace(str(url.password), "***")
    return text.strip().splitlines()[0] if text.strip() else text
