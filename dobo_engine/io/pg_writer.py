"""Writing outputs to PostgreSQL tables (OP-OUT-1/4/5/8).

One transaction per write: create the table if missing (declared types
mapped to SQL), add the columns it lacks (NULL in the rows already there;
columns the frame lacks stay, NULL in the new rows), delete the Run
Period's rows on ``overwrite``, then
``COPY ... FROM STDIN`` fed from a Polars CSV buffer (DataFrame.write_database
needs pandas, which dobo does not ship; operations.md §10). Any failure rolls
the whole transaction back, so a table never shows part of a write.

``append`` rows carry the write's key (``<run id>/<operation order>``) in the
bookkeeping column :data:`APPEND_KEY_COLUMN`, and the transaction first
deletes the rows holding that key: a retried append of the same Run and
operation replaces its own rows and never adds them twice. Loaders read only
declared and system columns, so the key never reaches a Dataset.
"""

from __future__ import annotations

import io
from typing import Any

import polars as pl
from psycopg2 import sql

from dobo_engine.columns import LABELS_DTYPE
from dobo_engine.errors import DoboError, UnsupportedSourceType, WriteFailure
from dobo_engine.io.credentials import redact_url
from dobo_engine.io.file_writer import CSV_DATETIME_FORMAT, csv_ready
from dobo_engine.io.paths import check_identifier
from dobo_engine.io.postgres import connect, default_schema, numeric_scales, table_columns
from dobo_engine.io.protocols import Destination, WriteOutcome, plain_datasource


def sql_type(dtype: pl.DataType) -> str:
    """The PostgreSQL type dobo creates for a column of ``dtype``."""
    if isinstance(dtype, pl.Decimal):
        return f"NUMERIC({dtype.precision},{dtype.scale})"
    if dtype == LABELS_DTYPE:
        return "JSONB"  # a JSON object of labels, as in CSV (ROW-6)
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ"
    if dtype.is_integer():
        return "BIGINT"
    if dtype.is_float():
        return "DOUBLE PRECISION"
    if dtype == pl.Boolean:
        return "BOOLEAN"
    if dtype == pl.Date:
        return "DATE"
    if dtype in (pl.Utf8, pl.Null, pl.Categorical):
        return "TEXT"
    raise WriteFailure(f"no PostgreSQL type for a column of type {dtype}")


APPEND_KEY_COLUMN = "_dobo_append_key"  # which Run and operation appended a row


def append_key(destination: Destination) -> str:
    """The key an ``append`` write tags its rows with."""
    if destination.run_id is None or destination.operation_order is None:
        raise WriteFailure("an append to a table needs the Run and operation it comes from", rule="OP-OUT-4")
    return f"{destination.run_id}/{destination.operation_order}"


class PostgresWriter:
    """``OutputWriter`` for ``database`` DataSources (``table`` destinations)."""

    def write(self, frame: pl.LazyFrame | pl.DataFrame, destination: Destination) -> WriteOutcome:
        ds = None if destination.datasource is None else plain_datasource(destination.datasource)
        if ds is None or ds.type != "database":
            raise UnsupportedSourceType("a table output needs a database DataSource", rule="SRC-1")
        table = check_identifier(destination.table or "", "table name")
        schema = default_schema(ds, destination.schema)
        target = f"{schema}.{table}"
        data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
        written = data
        if destination.mode == "append":
            written = data.with_columns(pl.lit(append_key(destination), dtype=pl.Utf8).alias(APPEND_KEY_COLUMN))
        conn = connect(ds)
        try:
            self._write(conn, schema, table, written, destination)
            conn.commit()
        except DoboError:
            conn.rollback()
            raise
        except Exception as exc:  # driver or compute failure: nothing was committed
            conn.rollback()
            raise WriteFailure(
                f"could not write table {target} of DataSource {ds.id!r}: "
                f"{type(exc).__name__}: {redact_url(str(exc).strip())}",
                payload={"destination": target},
            ) from None
        finally:
            conn.close()
        return WriteOutcome(destination=f"{ds.id}:{target}", rows_written=data.height, columns=list(data.columns))

    def _write(self, conn: Any, schema: str, table: str, data: pl.DataFrame, destination: Destination) -> None:
        for name in data.columns:
            check_identifier(name, "column name")
        ident = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            cols_sql = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(sql_type(t))) for n, t in data.schema.items()
            )
            cur.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(ident, cols_sql))
            existing = table_columns(conn, schema, table)
            for name in (c for c in data.columns if c not in existing):
                # A column the table lacks (the Project gained an output column) is added,
                # NULL for the rows already there; in this transaction, so a failed write undoes it.
                cur.execute(
                    sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
                        ident, sql.Identifier(name), sql.SQL(sql_type(data.schema[name]))
                    )
                )
            _check_scales(data, numeric_scales(conn, schema, table), f"{schema}.{table}")
            if destination.mode == "overwrite":
                self._delete_period(cur, ident, data, destination, "_period" in existing)
            else:
                self._delete_own_append(cur, schema, table, destination)
            buffer = io.BytesIO()
            csv_ready(data).write_csv(buffer, include_header=False, datetime_format=CSV_DATETIME_FORMAT, null_value="")
            buffer.seek(0)
            copy = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
                ident, sql.SQL(", ").join(sql.Identifier(c) for c in data.columns)
            )
            cur.copy_expert(copy.as_string(conn), buffer)

    @staticmethod
    def _delete_own_append(cur: Any, schema: str, table: str, destination: Destination) -> None:
        # A retried append (same Run and operation) replaces the rows its first attempt committed.
        create_index, delete = _delete_own_append_sql(schema, table)
        cur.execute(create_index)  # the delete stays an index lookup on a large table
        cur.execute(delete, (append_key(destination),))

    @staticmethod
    def _delete_period(
        cur: Any, ident: sql.Composable, data: pl.DataFrame, destination: Destination, table_has_period: bool
    ) -> None:
        # OP-OUT-4 on a table shared by many Periods: replace only this Run's
        # Period; a frame without _period replaces everything.
        if "_period" in data.columns and table_has_period:
            if destination.period_identifier is None:
                raise WriteFailure("overwrite of a table with _period needs the Run's Period", rule="OP-OUT-4")
            cur.execute(
                sql.SQL("DELETE FROM {} WHERE {} = %s").format(ident, sql.Identifier("_period")),
                (destination.period_identifier,),
            )
        else:
            cur.execute(sql.SQL("DELETE FROM {}").format(ident))


def _delete_own_append_sql(schema: str, table: str) -> tuple[sql.Composable, sql.Composable]:
    index = sql.Identifier(f"{table}{APPEND_KEY_COLUMN}"[:63])
    ident = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    create = sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(index, ident, sql.Identifier(APPEND_KEY_COLUMN))
    delete = sql.SQL("DELETE FROM {} WHERE {} = %s").format(ident, sql.Identifier(APPEND_KEY_COLUMN))
    return create, delete


def _check_scales(data: pl.DataFrame, scales: dict[str, int], target: str) -> None:
    """Refuse decimals a NUMERIC(p, s) column would round: PostgreSQL rounds silently (D4)."""
    narrower = [
        c for c, s in scales.items() if isinstance(dtype := data.schema.get(c), pl.Decimal) and (dtype.scale or 0) > s
    ]
    if not narrower:
        return
    lost = data.select((pl.col(c) != pl.col(c).round(scales[c])).any() for c in narrower).row(0)
    bad = [c for c, rounds in zip(narrower, lost, strict=True) if rounds]
    if bad:
        raise WriteFailure(
            f"table {target}: column(s) {', '.join(f'{c} (NUMERIC scale {scales[c]})' for c in bad)} would round "
            "values of this output; widen the column or round in the Project",
            rule="OP-OUT-4",
            payload={"destination": target},
        )


__all__ = ["APPEND_KEY_COLUMN", "PostgresWriter", "append_key", "sql_type"]
