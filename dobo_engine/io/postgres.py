"""PostgreSQL tables as dobo data: connecting and loading.

Read path: ``COPY (SELECT ...) TO STDOUT WITH CSV`` through psycopg2, parsed
by Polars as text. It is the fastest robust path available here: COPY streams
rows without per-row Python objects (``cursor.fetchall`` builds a tuple per
row, and ``read_database`` needs an extra driver and is eager anyway), and
text keeps NUMERIC values exact for the DS-6 conversion (no float step).
The COPY runs when the frame is first collected (``pl.defer``) and its result
is kept for later collects of the same frame, so the DS-6 check and the Run
read the table once. The ``_period`` filter is pushed into the SQL.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import Any

import polars as pl
import psycopg2
from psycopg2 import sql

from dobo_engine.columns import SYSTEM_COLUMNS
from dobo_engine.errors import ConnectionFailure, DataNotFound, UnsupportedSourceType
from dobo_engine.io.credentials import database_url_with_credentials, redact, redact_url, resolve_credential
from dobo_engine.io.paths import check_identifier
from dobo_engine.io.protocols import DataSourceLike, ResolvedLocationLike, TableSchemaLike


def libpq_url(connection_string: str) -> str:
    """A SQLAlchemy-style URL (``postgresql+psycopg2://``) as libpq accepts it."""
    scheme, sep, rest = connection_string.partition("://")
    if sep and "+" in scheme:
        scheme = scheme.split("+", 1)[0]
    return f"{scheme}{sep}{rest}"


def connect(datasource: DataSourceLike) -> Any:
    """An open psycopg2 connection for a ``database`` DataSource (secret merged per SRC-4).

    The secret is resolved now and dropped with the local variables; failures
    are ``ConnectionFailure`` with the connection string redacted.
    """
    if datasource.type != "database":
        raise UnsupportedSourceType(
            f"DataSource {datasource.id!r} of type {datasource.type!r} is not a database", rule="SRC-1"
        )
    base = str(datasource.options["connection_string"])
    secret = resolve_credential(datasource.credential_ref)
    try:
        conn = psycopg2.connect(libpq_url(database_url_with_credentials(base, secret)), connect_timeout=10)
    except psycopg2.Error as exc:
        reason = redact(str(exc).strip(), secret)
        raise ConnectionFailure(
            f"cannot connect to DataSource {datasource.id!r} at {redact_url(base)}: {reason}"
        ) from None
    with conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")  # timestamptz text comes back in UTC
    return conn


def default_schema(datasource: DataSourceLike, schema: str | None) -> str:
    return check_identifier(schema or str((datasource.options or {}).get("schema") or "public"), "schema name")


def table_columns(conn: Any, schema: str, table: str) -> list[str]:
    """Column names of ``schema.table`` in table order; empty when it does not exist."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
            "ORDER BY ordinal_position",
            (schema, table),
        )
        return [row[0] for row in cur.fetchall()]


def numeric_scales(conn: Any, schema: str, table: str) -> dict[str, int]:
    """The scale of each NUMERIC(p, s) column of ``schema.table`` (unconstrained NUMERIC left out)."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT column_name, numeric_scale FROM information_schema.columns WHERE table_schema = %s "
            "AND table_name = %s AND data_type = 'numeric' AND numeric_scale IS NOT NULL",
            (schema, table),
        )
        return {name: int(scale) for name, scale in cur.fetchall()}


class PostgresLoader:
    """``DataLoader`` for ``database`` DataSources (``table`` strategy locations)."""

    def __init__(self, datasource: DataSourceLike) -> None:
        self.datasource = datasource

    def load(
        self,
        location: ResolvedLocationLike,
        table_schema: TableSchemaLike,
        *,
        periods: Sequence[str] | None = None,
    ) -> pl.LazyFrame:
        """The rows of the location's table, lazily; ``periods`` filters ``_period`` in SQL."""
        table = check_identifier(location.table or "", "table name")
        schema = default_schema(self.datasource, location.schema)
        conn = connect(self.datasource)
        try:
            physical = table_columns(conn, schema, table)
        finally:
            conn.close()
        if not physical:
            raise DataNotFound(
                f"table {location.table_name!r}, Period {location.period_identifier!r}: "
                f"{schema}.{table} does not exist in DataSource {self.datasource.id!r}",
                rule="RES-8",
                payload={
                    "table": location.table_name,
                    "period": location.period_identifier,
                    "location": f"{schema}.{table}",
                },
            )
        wanted = {c.name for c in table_schema.columns} | set(SYSTEM_COLUMNS)
        selected = [c for c in physical if c in wanted]  # projection pushed into SQL
        query = self._query(schema, table, selected, periods if "_period" in physical else None)
        where = f"{schema}.{table} (table {location.table_name!r}, Period {location.period_identifier!r})"
        return pl.defer(_CachedCopy(self.datasource, query, selected, where), schema={c: pl.Utf8 for c in selected})

    @staticmethod
    def _query(schema: str, table: str, columns: list[str], periods: Sequence[str] | None) -> sql.Composed:
        select = sql.SQL("SELECT {cols} FROM {schema}.{table}").format(
            cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns) if columns else sql.SQL("NULL"),
            schema=sql.Identifier(schema),
            table=sql.Identifier(table),
        )
        if periods is not None:
            values = sql.SQL(", ").join(sql.Literal(str(p)) for p in periods) if periods else sql.SQL("NULL")
            select = sql.SQL("{select} WHERE {col} IN ({values})").format(
                select=select, col=sql.Identifier("_period"), values=values
            )
        return sql.SQL("COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER true)").format(select=select)


class _CachedCopy:
    """Runs the COPY once, on first collect, and serves the same rows afterwards."""

    def __init__(self, datasource: DataSourceLike, query: sql.Composed, columns: list[str], where: str) -> None:
        self._datasource = datasource
        self._where = where  # named in errors: the COPY runs only when the frame is collected
        self._query = query
        self._columns = columns
        self._frame: pl.DataFrame | None = None
        self._lock = threading.Lock()

    def __call__(self) -> pl.DataFrame:
        with self._lock:
            if self._frame is None:
                self._frame = self._read()
            return self._frame

    def _read(self) -> pl.DataFrame:
        buffer = io.BytesIO()
        conn = connect(self._datasource)
        try:
            with conn.cursor() as cur:
                cur.copy_expert(self._query.as_string(conn), buffer)
        except psycopg2.Error as exc:
            raise ConnectionFailure(
                f"reading {self._where} from DataSource {self._datasource.id!r} failed: {redact_url(str(exc).strip())}"
            ) from None
        finally:
            conn.close()
        if buffer.tell() == 0:
            return pl.DataFrame(schema={c: pl.Utf8 for c in self._columns})
        buffer.seek(0)
        frame = pl.read_csv(buffer, infer_schema=False)
        return frame.select(self._columns) if self._columns else frame
