"""ResolvingTableSource end to end: local CSV, Parquet on a real S3 server, PostgreSQL (RES-5/8/9/11, DS-6, ROW-2, D27)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import boto3
import polars as pl
import psycopg2
import pytest

from dobo_engine.errors import DataNotFound, ResolverDisabled
from dobo_engine.io.postgres import libpq_url
from dobo_engine.model.run import ResolverSnapshot
from dobo_engine.resolver import MemoryCatalog, ResolvingTableSource, period_details
from tests.resolver.catalogs import FISCAL_CATALOG, GL_DATASET

CLOCK = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)

RESOLVER = """
resolver:
  id: gl-resolver
  name: GL resolver
  rules:
    - name: accounts from the warehouse
      when: 'table.name = "accounts"'
      data_level: any
      strategy: { type: table, datasource_id: ds-wh, table: "{{table_name}}", schema: reference }
    - name: legacy monthly csv
      when: 'period.start_date < DATE("2026-02-01")'
      data_level: month
      strategy: { type: path, datasource_id: ds-legacy, path: "{{YYYY}}/{{MM}}/{{table_name}}.csv" }
    - name: monthly parquet
      data_level: month
      strategy: { type: path, datasource_id: ds-lake, path: "{{table_name}}/{{YYYY}}/{{MM}}.parquet" }
"""


def _sources(bucket: str, pg_url: str) -> str:
    return f"""
datasource: {{ id: ds-legacy, name: Legacy CSV, type: csv, options: {{ path_prefix: legacy }} }}
---
datasource: {{ id: ds-lake, name: Finance Lake, type: parquet, options: {{ path_prefix: "s3://{bucket}/lake/" }},
              credential_ref: "env://DOBO_T_LAKE" }}
---
datasource: {{ id: ds-wh, name: Warehouse, type: database, options: {{ connection_string: "{pg_url}" }} }}
"""


MONTHS = {
    "2026-01": [("JE-001", "100.10"), ("JE-002", "-100.10")],
    "2026-02": [("JE-101", "2500.00"), ("JE-102", "0.01")],
    "2026-03": [("JE-201", "-7.25"), ("JE-202", "99999.99")],
}


@pytest.fixture
def stores(tmp_path: Path, s3_bucket: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """January as CSV on local disk (relative prefix under the data root, D34); February and March as Parquet on S3."""
    monkeypatch.setenv("DOBO_T_LAKE", json.dumps({"endpoint_url": s3_endpoint}))
    january = tmp_path / "legacy" / "2026" / "01" / "transactions.csv"
    january.parent.mkdir(parents=True)
    january.write_text("journal_id,amount,extra\n" + "".join(f"{j},{a},ignored\n" for j, a in MONTHS["2026-01"]))
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    for month in ("2026-02", "2026-03"):
        frame = pl.DataFrame(
            {"journal_id": [j for j, _ in MONTHS[month]], "amount": [Decimal(a) for _, a in MONTHS[month]]},
            schema={"journal_id": pl.Utf8, "amount": pl.Decimal(18, 2)},
        )
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        s3.put_object(Bucket=s3_bucket, Key=f"lake/transactions/2026/{month[-2:]}.parquet", Body=buffer.getvalue())
    return tmp_path


@pytest.fixture
def warehouse(pg_url: str) -> str:
    """The `accounts` lookup table in PostgreSQL, tagged per month, plus a row of the previous quarter."""
    with psycopg2.connect(libpq_url(pg_url)) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA reference")
        cur.execute("CREATE TABLE reference.accounts (code text NOT NULL, name text, _period text)")
        cur.execute(
            "INSERT INTO reference.accounts VALUES ('4100', 'Revenue', '2026-01'), ('4100', 'Revenue', '2026-02'),"
            " ('5100', 'Supplies', '2026-03'), ('9999', 'Old', '2025-12')"
        )
    return pg_url


def _catalog(stores_root: Path, bucket: str, pg_url: str, *extra: str) -> MemoryCatalog:
    return MemoryCatalog.from_yaml(FISCAL_CATALOG, GL_DATASET, RESOLVER, _sources(bucket, pg_url), *extra)


def _source(catalog: MemoryCatalog, root: Path, period: str = "FY2025-Q4", **kwargs) -> ResolvingTableSource:
    return ResolvingTableSource(
        catalog, period_details(catalog, "fiscal", period), clock=CLOCK, data_root=str(root), **kwargs
    )


@pytest.mark.s3
@pytest.mark.postgres
def test_quarter_across_csv_and_s3_parquet_loads_exactly_the_source_rows(stores, s3_bucket, warehouse):
    """RES-5 month by month + DS-6 per location + ROW-2 `_period` of each month, concatenated in month order."""
    catalog = _catalog(stores, s3_bucket, warehouse)
    source = _source(catalog, stores)
    dataset = source.dataset("ds-gl")

    frame = source.load_table(dataset, dataset.main_table).collect()

    assert [(loc.period_identifier, loc.rule, loc.datasource_id, loc.path) for loc in source.locations] == [
        ("2026-01", "legacy monthly csv", "ds-legacy", "2026/01/transactions.csv"),
        ("2026-02", "monthly parquet", "ds-lake", "transactions/2026/02.parquet"),
        ("2026-03", "monthly parquet", "ds-lake", "transactions/2026/03.parquet"),
    ]
    expected = [(j, Decimal(a), month) for month, rows in MONTHS.items() for j, a in rows]
    assert list(frame.select("journal_id", "amount", "_period").iter_rows()) == expected
    assert frame.schema["amount"] == pl.Decimal(18, 2)
    assert "extra" not in frame.columns  # undeclared physical columns are dropped (DS-6)
    assert frame["_source_dataset_id"].unique().to_list() == ["ds-gl"]
    assert frame["_row_id"].n_unique() == 6

    accounts = dataset.lookup("accounts").target
    lookup = source.load_table(dataset, accounts).collect().sort("_period")
    # The `_period` filter reaches PostgreSQL: the previous quarter's row is not read (TMP-1).
    assert list(lookup.select("code", "name", "_period").iter_rows()) == [
        ("4100", "Revenue", "2026-01"),
        ("4100", "Revenue", "2026-02"),
        ("5100", "Supplies", "2026-03"),
    ]
    assert source.locations[-1].model_dump(exclude_none=True) == {
        "resolver_id": "gl-resolver",
        "resolver_version": 1,
        "rule": "accounts from the warehouse",
        "table_name": "accounts",
        "period_identifier": "FY2025-Q4",
        "strategy": "table",
        "datasource_id": "ds-wh",
        "table": "accounts",
        "schema": "reference",
    }
    # One snapshot entry per Dataset, however many tables it loads (RUN-3, D13).
    assert source.resolver_snapshots == [
        ResolverSnapshot(dataset_id="ds-gl", dataset_version=1, resolver_id="gl-resolver", resolver_version=1)
    ]


@pytest.mark.s3
@pytest.mark.postgres
def test_resume_loads_exactly_the_recorded_locations(stores, s3_bucket, warehouse):
    """D27/RES-11: after the Resolver changed and was disabled, a resume still loads what the Run recorded."""
    first = _source(_catalog(stores, s3_bucket, warehouse), stores)
    dataset = first.dataset("ds-gl")
    before = first.load_table(dataset, dataset.main_table).collect()

    moved = """
resolver:
  id: gl-resolver
  name: GL resolver
  version: 2
  status: disabled
  rules: [{ name: everything moved, data_level: month,
            strategy: { type: path, datasource_id: ds-lake, path: "moved/{{identifier}}.parquet" } }]
"""
    later = _catalog(stores, s3_bucket, warehouse, moved)
    with pytest.raises(ResolverDisabled):
        _source(later, stores).load_table(dataset, dataset.main_table)

    resumed = _source(later, stores, resolver_snapshots=first.resolver_snapshots, locations=first.locations)
    after = resumed.load_table(resumed.dataset("ds-gl"), dataset.main_table).collect()
    assert after.equals(before)  # same rows, same deterministic row ids (D26)
    assert resumed.locations == first.locations and resumed.resolver_snapshots == first.resolver_snapshots


@pytest.mark.s3
@pytest.mark.postgres
def test_missing_month_file_is_data_not_found(stores, s3_bucket, s3_endpoint, warehouse):
    """RES-8: a rendered location that does not exist fails with DataNotFound naming table, Period and location."""
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").delete_object(
        Bucket=s3_bucket, Key="lake/transactions/2026/03.parquet"
    )
    source = _source(_catalog(stores, s3_bucket, warehouse), stores)
    dataset = source.dataset("ds-gl")
    with pytest.raises(DataNotFound) as info:
        source.load_table(dataset, dataset.main_table).collect()
    assert "'transactions'" in info.value.message and "'2026-03'" in info.value.message
    assert info.value.payload["location"] == f"s3://{s3_bucket}/lake/transactions/2026/03.parquet"
