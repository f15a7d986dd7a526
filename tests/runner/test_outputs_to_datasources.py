"""`dobo apply` then `dobo run` writing to parquet, csv and PostgreSQL DataSources (OP-OUT-1/4/6/8, D25, SRC-1).

Every test starts from a catalog folder written from YAML text, applies it
with the real `dobo` command and runs Projects with it; the rows written are
read back from the real files and the real PostgreSQL server, value for
value (decimals exact to the cent).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import polars as pl
import psycopg2
import pytest
from click.testing import CliRunner

from dobo_engine.cli.main import cli
from dobo_engine.io.postgres import libpq_url
from dobo_engine.io.sources import SourceWriter
from dobo_engine.model.run import PeriodDetails
from dobo_engine.runner.outputs import DestinationOutputs
from dobo_engine.runner.service import RunCatalog
from dobo_engine.settings import Settings
from dobo_engine.store.api import open_store

BASE = """
calendar:
  id: cal
  name: Months
  status: active
  is_default: true
  levels:
    - { name: year, identifier_pattern: "FY{year}" }
    - name: month
      parent_level: year
      identifier_pattern: "{year}-{sequence:02d}"
      date_rules:
        - { sequence: 1, start_month: 1, start_day: 1, end_month: 1, end_day: 31 }
        - { sequence: 2, start_month: 2, start_day: 1, end_month: 2, end_day: 29 }
---
datasource:
  id: inbox
  name: Inbox
  type: csv
  options: { path_prefix: "{root}/inbox" }
---
datasource:
  id: lake
  name: Lake
  type: parquet
  options: { path_prefix: "{root}/lake" }
---
datasource:
  id: exports
  name: Exports
  type: csv
  options: { path_prefix: "{root}/exports", delimiter: ";", has_header: true }
---
resolver:
  id: inbox-files
  name: Inbox files
  is_default: true
  rules:
    - { name: monthly, data_level: month, strategy: { type: path, datasource_id: inbox, path: "sales/{{YYYY}}-{{MM}}.csv" } }
---
dataset:
  id: ds-sales
  name: Sales
  resolver_id: inbox-files
  natural_key_columns: [sale_id]
  main_table:
    name: sales
    temporal_mode: period
    columns:
      - { name: sale_id, type: string, nullable: false }
      - { name: region, type: string, nullable: false }
      - { name: amount, type: decimal, precision: 18, scale: 2, nullable: false }
      - { name: amount_with_tax, type: decimal, precision: 18, scale: 2 }
"""

PRODUCER = """
project:
  id: prj-sales-out
  name: Sales out
  input_dataset_id: ds-sales
  input_dataset_version: 1
  calendar_id: cal
  materialization: eager
  status: active
  operations:
    - { order: 10, type: update, parameters: { assignments: [ { column: amount_with_tax, expression: 'ROUND(amount * 1.21, 2)' } ] } }
    - order: 20
      type: output
      parameters:
        destination: { datasource_id: lake, path: "sales/{{YYYY}}/{{MM}}/sales.parquet" }
        columns: [sale_id, region, amount, amount_with_tax, _period]
        register_as_dataset: sales-lake
    - order: 30
      type: output
      parameters:
        destination: { datasource_id: exports, path: "sales-{{YYYY}}-{{MM}}.csv" }
        columns: [sale_id, region, amount_with_tax, _period]
        register_as_dataset: sales-export
    - order: 40
      type: output
      parameters:
        destination: { datasource_id: lake, path: "history/sales.parquet" }
        columns: [sale_id, amount_with_tax, _period]
        mode: append
    - order: 50
      type: output
      parameters:
        destination: { datasource_id: exports, path: "history.csv" }
        columns: [sale_id, amount_with_tax, _period]
        mode: append
"""

CONSUMER = """
project:
  id: prj-{source}-totals
  name: Totals of {source}
  input_dataset_id: {source}
  calendar_id: cal
  materialization: eager
  status: active
  operations:
    - order: 10
      type: aggregate
      parameters: { group_by: [region], aggregations: [ { column: total, expression: 'SUM(amount_with_tax)' } ] }
    - { order: 20, type: output, selector: 'ISNULL(sale_id)', parameters: { destination: default, columns: [region, total] } }
"""

WAREHOUSE = """
datasource:
  id: warehouse
  name: Warehouse
  type: database
  options: { connection_string: "{url}", schema: reporting }
---
project:
  id: prj-sales-db
  name: Sales to the warehouse
  input_dataset_id: ds-sales
  input_dataset_version: 1
  calendar_id: cal
  materialization: eager
  status: active
  operations:
    - { order: 10, type: update, parameters: { assignments: [ { column: amount_with_tax, expression: 'ROUND(amount * 1.21, 2)' } ] } }
    - order: 20
      type: output
      parameters:
        destination: { datasource_id: warehouse, table: sales_by_month }
        columns: [sale_id, region, amount, amount_with_tax, _period]
        register_as_dataset: sales-db
    - order: 30
      type: output
      parameters:
        destination: { datasource_id: warehouse, table: sales_history }
        columns: [sale_id, amount_with_tax, _period]
        mode: append
"""

SALES = {  # amount_with_tax is computed by the Projects
    "2026-01": "sale_id,region,amount,amount_with_tax\nS1,north,1000.00,\nS2,south,0.05,\nS3,north,123456789.99,\n",
    "2026-02": "sale_id,region,amount,amount_with_tax\nS4,south,-10.10,\n",
}
# ROUND(amount * 1.21, 2), half away from zero
WITH_TAX = {"S1": Decimal("1210.00"), "S2": Decimal("0.06"), "S3": Decimal("149382715.89"), "S4": Decimal("-12.22")}
AMOUNT = {"S1": Decimal("1000.00"), "S2": Decimal("0.05"), "S3": Decimal("123456789.99"), "S4": Decimal("-10.10")}
REGION = {"S1": "north", "S2": "south", "S3": "north", "S4": "south"}


def dobo(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def apply(folder: Path, name: str, text: str) -> None:
    """Write each YAML document of ``text`` into its kind folder of a catalog, then `dobo apply` it."""
    for number, document in enumerate(text.split("\n---\n")):
        kind = document.strip().split(":", 1)[0]
        (folder / name / f"{kind}s").mkdir(parents=True, exist_ok=True)
        (folder / name / f"{kind}s" / f"{number}.yaml").write_text(document)
    dobo("apply", str(folder / name))


def run(project: str, period: str) -> dict:
    summary = json.loads(dobo("run", project, "--period", period, "--json"))
    assert summary["status"] == "completed", summary
    return summary


@pytest.fixture
def sales(tmp_path: Path, dobo_home: Path) -> Path:
    """The base catalog applied (Periods of 2026 generated) and the monthly CSV extracts in place."""
    root = tmp_path / "files"
    (root / "inbox/sales").mkdir(parents=True)
    for period, text in SALES.items():
        (root / f"inbox/sales/{period}.csv").write_text(text)
    apply(tmp_path / "catalogs", "base", BASE.replace("{root}", str(root)))
    dobo("periods", "generate", "cal", "--from-year", "2026", "--to-year", "2026")
    return root


def expected(ids: list[str], period: str, columns: list[str]) -> list[dict]:
    values = {
        "sale_id": lambda i: i,
        "region": REGION.get,
        "amount": AMOUNT.get,
        "amount_with_tax": WITH_TAX.get,
        "_period": lambda i: period,
    }
    return [{c: values[c](i) for c in columns} for i in ids]


def test_outputs_to_parquet_and_csv_datasources_write_exact_rows_OP_OUT_1_OP_OUT_4(sales, tmp_path):
    apply(tmp_path / "catalogs", "producer", PRODUCER)
    january = run("prj-sales-out", "2026-01")
    february = run("prj-sales-out", "2026-02")

    lake = pl.read_parquet(sales / "lake/sales/2026/01/sales.parquet")
    assert lake.schema["amount"] == pl.Decimal(18, 2) and lake.schema["amount_with_tax"] == pl.Decimal(18, 2)
    assert lake.sort("sale_id").to_dicts() == expected(
        ["S1", "S2", "S3"], "2026-01", ["sale_id", "region", "amount", "amount_with_tax", "_period"]
    )

    export = (sales / "exports/sales-2026-01.csv").read_text().splitlines()
    assert export == [
        "sale_id;region;amount_with_tax;_period",
        "S1;north;1210.00;2026-01",
        "S2;south;0.06;2026-01",
        "S3;north;149382715.89;2026-01",
    ]

    # append: one part per Run and operation, both Periods kept
    history = sales / "lake/history/sales.parquet"
    assert sorted(p.name for p in history.iterdir()) == sorted(
        f"run_id={r}.operation=40.parquet" for r in (january["run_id"], february["run_id"])
    )
    both = pl.read_parquet(history).sort("sale_id")
    assert both.to_dicts() == (
        expected(["S1", "S2", "S3"], "2026-01", ["sale_id", "amount_with_tax", "_period"])
        + expected(["S4"], "2026-02", ["sale_id", "amount_with_tax", "_period"])
    )
    csv_parts = sorted((sales / "exports/history.csv").iterdir())
    assert [p.read_text().splitlines()[0] for p in csv_parts] == ["sale_id;amount_with_tax;_period"] * 2
    assert sorted(line for p in csv_parts for line in p.read_text().splitlines()[1:]) == [
        "S1;1210.00;2026-01",
        "S2;0.06;2026-01",
        "S3;149382715.89;2026-01",
        "S4;-12.22;2026-02",
    ]


@pytest.mark.parametrize("registered", ["sales-lake", "sales-export"])
def test_registered_datasource_output_is_read_back_by_a_later_project_OP_OUT_6_D25(
    sales, tmp_path, dobo_home, registered
):
    apply(tmp_path / "catalogs", "producer", PRODUCER)
    run("prj-sales-out", "2026-01")
    stored = open_store().get_entity("dataset", registered)
    assert stored.content["resolver_id"] == "dobo-registered"
    columns = {c["name"]: c for c in stored.content["main_table"]["columns"]}
    assert columns["amount_with_tax"]["type"] == "decimal" and columns["amount_with_tax"]["scale"] == 2

    apply(tmp_path / "catalogs", "consumer", CONSUMER.replace("{source}", registered))
    summary = run(f"prj-{registered}-totals", "2026-01")
    totals = pl.read_parquet(dobo_home / f"outputs/prj-{registered}-totals/2026-01/operation=20.parquet")
    assert dict(totals.sort("region").iter_rows()) == {"north": Decimal("149383925.89"), "south": Decimal("0.06")}
    assert summary["status"] == "completed"


def _rewrite_append(
    run_id: str, project: str, order: int, frame: pl.DataFrame, destination: object, period: str
) -> None:
    """The write step of an append output once more, for the same Run and operation, through the real writer."""
    store = open_store()
    settings = Settings.from_env()
    record = store.get_run(run_id)
    outputs = DestinationOutputs(
        project_id=project,
        run_id=run_id,
        period=PeriodDetails.model_validate(record.snapshot["period"]),
        settings=settings,
        datasource=RunCatalog(store, settings).datasource,
        writer=SourceWriter(data_root=settings.data_root),
    )
    outputs.write(
        frame, operation_order=order, destination=destination, mode="append", register_as=None, temporal_mode="period"
    )
    assert period == record.period_identifier


def test_retried_file_append_of_the_same_run_and_operation_adds_no_rows_OP_OUT_4(sales, tmp_path, dobo_home):
    apply(tmp_path / "catalogs", "producer", PRODUCER)
    summary = run("prj-sales-out", "2026-01")
    rows = pl.read_parquet(sales / "lake/history/sales.parquet")
    for order in (40, 50):  # the process died after the write, before the Run record moved: the step runs again
        _rewrite_append(
            summary["run_id"], "prj-sales-out", order, rows, _destination("prj-sales-out", order), "2026-01"
        )
    assert pl.read_parquet(sales / "lake/history/sales.parquet").height == 3
    assert [p.name for p in (sales / "lake/history/sales.parquet").iterdir()] == [
        f"run_id={summary['run_id']}.operation=40.parquet"
    ]
    csv_parts = list((sales / "exports/history.csv").iterdir())
    assert len(csv_parts) == 1 and len(csv_parts[0].read_text().splitlines()) == 4


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporary_files_of_killed_writers_are_swept_on_the_next_write(sales, tmp_path, dobo_home):
    """A writer killed mid-write leaves a hidden temporary file; the next write to that folder removes it."""
    apply(tmp_path / "catalogs", "producer", PRODUCER)
    folder = sales / "lake/sales/2026/01"
    folder.mkdir(parents=True)
    host = socket.gethostname().replace(".", "-")
    dead = folder / f".sales.parquet.dobo-tmp.{host}.{_dead_pid()}.{'a' * 32}"
    alive = folder / f".sales.parquet.dobo-tmp.{host}.{os.getppid()}.{'b' * 32}"
    other_host = folder / f".sales.parquet.dobo-tmp.elsewhere.{_dead_pid()}.{'c' * 32}"
    old = folder / f".sales.parquet.dobo-tmp.elsewhere.12.{'d' * 32}"
    for temp in (dead, alive, other_host, old):
        temp.write_bytes(b"partial")
    week_ago = time.time() - 7 * 24 * 3600
    os.utime(old, (week_ago, week_ago))
    run("prj-sales-out", "2026-01")
    assert sorted(p.name for p in folder.iterdir()) == sorted([alive.name, other_host.name, "sales.parquet"])


@pytest.mark.postgres
def test_outputs_to_a_postgresql_table_write_exact_rows_and_register_OP_OUT_1_OP_OUT_6(
    sales, tmp_path, pg_url, dobo_home
):
    apply(tmp_path / "catalogs", "warehouse", WAREHOUSE.replace("{url}", pg_url))
    january = run("prj-sales-db", "2026-01")
    run("prj-sales-db", "2026-02")
    run("prj-sales-db", "2026-01")  # overwrite replaces the Period's rows; append adds the new Run's

    with psycopg2.connect(libpq_url(pg_url)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT sale_id, region, amount, amount_with_tax, _period FROM reporting.sales_by_month ORDER BY sale_id"
        )
        by_month = cur.fetchall()
        cur.execute(
            "SELECT _period, count(*), count(DISTINCT _dobo_append_key) FROM reporting.sales_history "
            "GROUP BY _period ORDER BY _period"
        )
        history = cur.fetchall()
    assert by_month == [
        (i, REGION[i], AMOUNT[i], WITH_TAX[i], "2026-01" if i != "S4" else "2026-02") for i in ("S1", "S2", "S3", "S4")
    ]
    assert history == [("2026-01", 6, 2), ("2026-02", 1, 1)]

    # a retried append of the first Run's operation 30 replaces its own rows
    model_destination = _destination("prj-sales-db", 30)
    rows = pl.DataFrame(
        {
            "sale_id": ["S1", "S2", "S3"],
            "amount_with_tax": [WITH_TAX[i] for i in ("S1", "S2", "S3")],
            "_period": ["2026-01"] * 3,
        },
        schema_overrides={"amount_with_tax": pl.Decimal(18, 2)},
    )
    _rewrite_append(january["run_id"], "prj-sales-db", 30, rows, model_destination, "2026-01")
    with psycopg2.connect(libpq_url(pg_url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM reporting.sales_history WHERE _period = '2026-01'")
        assert cur.fetchone()[0] == 6

    apply(tmp_path / "catalogs", "consumer", CONSUMER.replace("{source}", "sales-db"))
    run("prj-sales-db-totals", "2026-01")
    totals = pl.read_parquet(dobo_home / "outputs/prj-sales-db-totals/2026-01/operation=20.parquet")
    assert dict(totals.sort("region").iter_rows()) == {"north": Decimal("149383925.89"), "south": Decimal("0.06")}


def _destination(project_id: str, order: int) -> object:
    """The `destination` of one output of the stored Project, as the Run reads it."""
    project = RunCatalog(open_store(), Settings.from_env()).project(project_id)
    operation = next(op for op in project.operations if op.order == order)
    assert operation.parameters.mode == "append"
    return operation.parameters.destination


@pytest.mark.postgres
def test_a_load_from_a_postgresql_table_keeps_the_full_copy_in_its_trace_TR_15(sales, tmp_path, pg_url, dobo_home):
    """A database table changes in place, so the load's trace copies its rows (format 1) rather than refer to them."""
    import pyarrow.parquet as pq

    apply(tmp_path / "catalogs", "warehouse", WAREHOUSE.replace("{url}", pg_url))
    writer = run("prj-sales-db", "2026-01")  # reads the CSV extracts: its load is traced by reference
    apply(tmp_path / "catalogs", "consumer", CONSUMER.replace("{source}", "sales-db"))
    reader = run("prj-sales-db-totals", "2026-01")  # reads the PostgreSQL table written above

    def load_file(summary: dict) -> Path:
        return dobo_home / "trace" / f"run_id={summary['run_id']}" / "operation=0.parquet"

    by_reference = json.loads(pq.read_metadata(load_file(writer)).metadata[b"dobo.trace"])
    copied = json.loads(pq.read_metadata(load_file(reader)).metadata[b"dobo.trace"])
    assert by_reference["format_version"] == 2 and "load_by_reference" in by_reference
    assert copied["format_version"] == 1 and "load_by_reference" not in copied
    assert pl.read_parquet(load_file(reader)).height > 0
    events = json.loads(dobo("trace", reader["run_id"], "--operation", "0", "--json"))
    assert len(events) == pl.read_parquet(load_file(reader)).height
