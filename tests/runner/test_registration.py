"""Outputs registered as Datasets on completion feed other Projects (RUN-9, OP-OUT-6, D25)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from dobo_engine.cli.main import cli
from dobo_engine.store.api import open_store

PRODUCER = """
project:
  id: prj-producer
  name: producer
  input_dataset_id: ds-gl
  calendar_id: finance
  materialization: eager
  operations:
    - order: 1
      type: update
      parameters:
        joins: [ { alias: fx, dataset_id: ds-fx, on: 'transactions.currency = fx.from_currency AND fx.to_currency = "USD" AND fx.rate_type = "closing"' } ]
        assignments: [ { column: amount_reporting, expression: 'amount_local * fx.rate' } ]
    - order: 2
      type: output
      parameters:
        destination: default
        columns: [journal_id, line_number, currency, amount_reporting, _period]
        register_as_dataset: gl-usd
"""

CONSUMER = """
project:
  id: prj-consumer
  name: consumer
  input_dataset_id: gl-usd
  calendar_id: finance
  materialization: eager
  operations:
    - order: 1
      type: aggregate
      parameters: { group_by: [currency], aggregations: [ { column: total, expression: 'SUM(amount_reporting)' } ] }
    - { order: 2, type: output, selector: 'ISNULL(journal_id)', parameters: { destination: default, columns: [currency, total] } }
"""


def _apply(tmp_path: Path, name: str, text: str) -> None:
    folder = tmp_path / name / "projects"
    folder.mkdir(parents=True)
    (folder / f"{name}.yaml").write_text(text)
    result = CliRunner().invoke(cli, ["apply", str(tmp_path / name)])
    assert result.exit_code == 0, result.output


def _run(project: str, period: str) -> dict:
    result = CliRunner().invoke(cli, ["run", project, "--period", period, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_registered_output_is_a_dataset_another_project_reads_D25(finance, tmp_path, dobo_home):
    import polars as pl

    _apply(tmp_path, "producer", PRODUCER)
    store = open_store()
    store.set_status("project", "prj-producer", "active")  # only active Runs register (RUN-9)
    _run("prj-producer", "2026-01")
    registered = store.get_entity("dataset", "gl-usd")
    assert registered.content["resolver_id"] == "dobo-registered"
    assert [c["name"] for c in registered.content["main_table"]["columns"]] == [
        "journal_id",
        "line_number",
        "currency",
        "amount_reporting",
    ]
    assert store.list_runs(project_id="prj-producer")[0].output_datasets == [
        {"operation_order": 2, "dataset_id": "gl-usd", "dataset_version": 1}
    ]

    _apply(tmp_path, "consumer", CONSUMER)
    store.set_status("project", "prj-consumer", "active")
    summary = _run("prj-consumer", "2026-01")
    out = pl.read_parquet(dobo_home / "outputs/prj-consumer/2026-01/operation=2.parquet")
    totals = dict(zip(out["currency"], out["total"]))
    assert totals["EUR"] == Decimal("0") and totals["JPY"] == Decimal("33600.00")
    assert summary["status"] == "completed"


def test_sandbox_runs_register_nothing_OP_OUT_7(finance, tmp_path):
    _apply(tmp_path, "producer", PRODUCER)
    _run("prj-producer", "2026-01")  # draft: sandbox
    assert "gl-usd" not in [e.id for e in open_store().list_entities("dataset")]
