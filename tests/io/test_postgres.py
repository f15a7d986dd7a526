"""PostgreSQL tables: write, read back, Period overwrite, atomicity (OP-OUT-1/4/8, RES-8)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import psycopg2
import pytest
from io_stand_ins import CLOCK, GL, Col, Location, Source, Table

from dobo_engine.errors import DataNotFound, WriteFailure
from dobo_engine.io import pg_writer
from dobo_engine.io.pg_writer import PostgresWriter
from dobo_engine.io.postgres import PostgresLoader, libpq_url
from dobo_engine.io.protocols import Destination
from dobo_engine.io.schema_check import conform

pytestmark = pytest.mark.postgres
LABELS = pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8}))
TIGHT = Table(
    "gl", [*GL.columns[:2], Col("amount", "decimal", precision=38, scale=10), *GL.columns[3:], Col("memo", "string")]
)


def frame(period: str, n: int = 3) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "journal_id": [f"{period}-J{i}" for i in range(n)],
            "line": [1, None, 3][:n] + [7] * max(0, n - 3),
            "amount": [Decimal("12345678901234567890.1234567891"), Decimal("-0.0000000001"), None][:n]
            + [Decimal("1")] * max(0, n - 3),
            "posted": [date(2026, 1, 31), None, date(1999, 12, 31)][:n] + [None] * max(0, n - 3),
            "approved": [True, False, None][:n] + [None] * max(0, n - 3),
            "stamp": [datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC), None, datetime(1970, 1, 1, tzinfo=UTC)][:n]
            + [None] * max(0, n - 3),
            "memo": ["", None, 'comma, "quote"\nnewline'][:n] + [None] * max(0, n - 3),
            "_labels": [[{"key": "a", "value": "1"}, {"key": "b", "value": 'x,"y"'}], [], None][:n]
            + [[]] * max(0, n - 3),
            "_period": [period] * n,
        },
        schema_overrides={"amount": pl.Decimal(38, 10), "stamp": pl.Datetime("us", "UTC"), "_labels": LABELS},
    )


@pytest.fixture
def warehouse(pg_url, monkeypatch):
    monkeypatch.setenv("DOBO_T_PG", "dobo:not-checked-by-trust-auth")
    return Source(
        "wh",
        "database",
        {"connection_string": pg_url.replace("dobo@", ""), "schema": "reporting"},
        credential_ref="env://DOBO_T_PG",
    )


def _read(source, period=None):
    loc = Location("gl", period, "wh", strategy="table", table="gl_out")
    raw = PostgresLoader(source).load(loc, TIGHT, periods=[period] if period else None)
    out = conform(
        raw,
        TIGHT.columns,
        "period",
        dataset_id="d",
        table_name="gl",
        period_identifier=period,
        clock=CLOCK,
        row_id_seed="s",
        descendants_ok=False,
    )
    return out.collect().sort("journal_id")


def _count(pg_url, sql):
    with psycopg2.connect(libpq_url(pg_url)) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def test_write_then_read_back_identical(warehouse):
    result = PostgresWriter().write(
        frame("2026-01").lazy(), Destination(datasource=warehouse, table="gl_out", period_identifier="2026-01")
    )
    assert result.rows_written == 3 and result.destination == "wh:reporting.gl_out"
    back = _read(warehouse)
    expected = frame("2026-01").with_columns(pl.col("_labels").fill_null([]))  # NULL labels read as empty (ROW-2)
    assert back.select(expected.columns).equals(expected.sort("journal_id"))


def test_overwrite_replaces_only_the_runs_period_OP_OUT_4(warehouse):
    writer = PostgresWriter()
    writer.write(frame("2026-01"), Destination(datasource=warehouse, table="gl_out", period_identifier="2026-01"))
    writer.write(frame("2026-02"), Destination(datasource=warehouse, table="gl_out", period_identifier="2026-02"))
    writer.write(frame("2026-01", n=4), Destination(datasource=warehouse, table="gl_out", period_identifier="2026-01"))
    assert _read(warehouse, "2026-01").height == 4
    assert _read(warehouse, "2026-02").height == 3  # pushed-down _period filter
    writer.write(
        frame("2026-02", n=1),
        Destination(
            datasource=warehouse,
            table="gl_out",
            mode="append",
            period_identifier="2026-02",
            run_id="r1",
            operation_order=5,
        ),
    )
    assert _read(warehouse, "2026-02").height == 4


def test_retried_append_of_the_same_run_and_operation_replaces_its_rows_OP_OUT_4(warehouse, pg_url):
    writer = PostgresWriter()

    def append(data: pl.DataFrame, run_id: str) -> None:
        writer.write(
            data,
            Destination(
                datasource=warehouse,
                table="gl_out",
                mode="append",
                period_identifier="2026-01",
                run_id=run_id,
                operation_order=30,
            ),
        )

    append(frame("2026-01"), "run-a")
    append(frame("2026-01"), "run-a")  # the process died before the Run record moved: the step runs again
    assert _count(pg_url, "SELECT count(*) FROM reporting.gl_out") == 3
    append(frame("2026-01", n=2), "run-b")  # another Run appends next to it
    assert _count(pg_url, "SELECT count(*) FROM reporting.gl_out") == 5
    assert _count(pg_url, "SELECT count(DISTINCT _dobo_append_key) FROM reporting.gl_out") == 2
    back = _read(warehouse, "2026-01")
    assert back.height == 5 and "_dobo_append_key" not in back.columns  # bookkeeping never reaches a Dataset
    expected = frame("2026-01").with_columns(pl.col("_labels").fill_null([]))
    assert (
        back.filter(pl.col("journal_id") == "2026-01-J0").select(expected.columns).head(1).equals(expected.head(1))
    )  # NUMERIC(38,10) round-trips exactly


def test_frame_without_period_overwrites_all_rows_OP_OUT_4(warehouse):
    writer = PostgresWriter()
    data = frame("2026-01").drop("_period")
    writer.write(data, Destination(datasource=warehouse, table="plain"))
    writer.write(data.head(1), Destination(datasource=warehouse, table="plain"))
    loc = Location("plain", None, "wh", strategy="table", table="plain")
    assert PostgresLoader(warehouse).load(loc, TIGHT).collect().height == 1


def test_failed_copy_leaves_no_rows_and_no_table(warehouse, pg_url, monkeypatch):
    def broken_ready(data):
        raise RuntimeError("connection dropped mid-COPY")

    monkeypatch.setattr(pg_writer, "csv_ready", broken_ready)
    with pytest.raises(WriteFailure, match="mid-COPY"):
        PostgresWriter().write(
            frame("2026-01"), Destination(datasource=warehouse, table="gl_out", period_identifier="2026-01")
        )
    assert _count(pg_url, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'gl_out'") == 0


def test_failed_overwrite_keeps_the_previous_rows(warehouse, pg_url):
    writer = PostgresWriter()
    writer.write(frame("2026-01"), Destination(datasource=warehouse, table="gl_out", period_identifier="2026-01"))
    bad = frame("2026-01").with_columns(pl.lit("not a number").alias("line"))  # column type TEXT vs BIGINT
    with pytest.raises(WriteFailure):
        writer.write(bad, Destination(datasource=warehouse, table="gl_out", period_identifier="2026-01"))
    assert _count(pg_url, "SELECT count(*) FROM reporting.gl_out") == 3


def test_missing_table_is_data_not_found_RES8(warehouse):
    with pytest.raises(DataNotFound, match="reporting.nope"):
        PostgresLoader(warehouse).load(Location("gl", "2026-01", "wh", strategy="table", table="nope"), TIGHT)


def test_copy_read_path_loads_200k_rows(warehouse):
    """The COPY text read path (see postgres.py) returns every row of a larger table."""
    big = pl.DataFrame({"journal_id": [f"J{i}" for i in range(200_000)], "_period": ["2026-01"] * 200_000})
    PostgresWriter().write(big, Destination(datasource=warehouse, table="big", period_identifier="2026-01"))
    loc = Location("big", "2026-01", "wh", strategy="table", table="big")
    assert PostgresLoader(warehouse).load(loc, TIGHT).collect().height == 200_000


def test_new_output_column_is_added_to_an_existing_table_OP_OUT_4(warehouse, pg_url):
    """A Project that gains an output column keeps writing to its table: the column is
    added, NULL for the Periods written before (a choice of docs/design-notes.md)."""
    writer = PostgresWriter()
    writer.write(
        frame("2026-01").drop("memo"), Destination(datasource=warehouse, table="gl_out", period_identifier="2026-01")
    )
    writer.write(frame("2026-02"), Destination(datasource=warehouse, table="gl_out", period_identifier="2026-02"))
    assert _read(warehouse, "2026-01")["memo"].null_count() == 3
    back = _read(warehouse, "2026-02").sort("journal_id")
    assert back["memo"].to_list() == frame("2026-02").sort("journal_id")["memo"].to_list()
    assert (
        _count(
            pg_url,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'gl_out' AND column_name = 'memo'",
        )
        == 1
    )


def test_failed_write_also_undoes_the_added_column(warehouse, pg_url):
    writer = PostgresWriter()
    writer.write(
        frame("2026-01").drop("memo"), Destination(datasource=warehouse, table="gl_out", period_identifier="2026-01")
    )
    bad = frame("2026-02").with_columns(pl.lit("not a number").alias("line"))
    with pytest.raises(WriteFailure):
        writer.write(bad, Destination(datasource=warehouse, table="gl_out", period_identifier="2026-02"))
    assert (
        _count(
            pg_url,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'gl_out' AND column_name = 'memo'",
        )
        == 0
    )
    assert _count(pg_url, "SELECT count(*) FROM reporting.gl_out") == 3


def test_decimals_a_numeric_column_would_round_are_refused_D4(warehouse, pg_url):
    writer = PostgresWriter()
    money = pl.DataFrame(
        {"journal_id": ["J1"], "amount": [Decimal("10.50")], "_period": ["2026-01"]},
        schema_overrides={"amount": pl.Decimal(18, 2)},
    )
    writer.write(money, Destination(datasource=warehouse, table="money", period_identifier="2026-01"))
    finer = pl.DataFrame(
        {"journal_id": ["J1", "J2"], "amount": [Decimal("10.5000"), Decimal("0.1250")], "_period": ["2026-02"] * 2},
        schema_overrides={"amount": pl.Decimal(38, 4)},
    )
    with pytest.raises(WriteFailure, match=r"amount \(NUMERIC scale 2\) would round"):
        writer.write(finer, Destination(datasource=warehouse, table="money", period_identifier="2026-02"))
    # The same type with values that fit the column's scale is written exactly.
    writer.write(finer.head(1), Destination(datasource=warehouse, table="money", period_identifier="2026-02"))
    assert _count(pg_url, "SELECT count(*) FROM reporting.money") == 2
