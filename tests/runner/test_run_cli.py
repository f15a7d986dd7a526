"""`dobo run` against the metadata store and the example catalog's files (RUN-1..7, D15, D16, PER-5)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from dobo_engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def dobo(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_active_project_run_writes_exact_usd_lines_to_the_default_destination_OP_OUT_1(finance, dobo_home):
    result = dobo("run", "prj-fx-usd", "--period", "2026-01", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed" and summary["sandbox"] is False
    out = pl.read_parquet(dobo_home / "outputs/prj-fx-usd/2026-01/operation=20.parquet")
    got = {(r["journal_id"], r["line_number"]): r["amount_reporting"] for r in out.to_dicts()}
    assert got[("JE-002", 1)] == Decimal("9282.00") and got[("JE-003", 2)] == Decimal("27962.00")
    assert got[("JE-005", 1)] == Decimal("16800.00")
    trace = dobo_home / "trace" / f"run_id={summary['run_id']}"
    assert sorted(p.name for p in trace.iterdir()) == ["operation=0.parquet", "operation=10.parquet"]


def test_draft_project_run_writes_to_the_sandbox_D16(finance, dobo_home):
    result = dobo("run", "prj-review-flags", "--period", "2026-01", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["sandbox"] is True
    flagged = pl.read_parquet(dobo_home / "sandbox/prj-review-flags" / summary["run_id"] / "operation=20.parquet")
    assert sorted(flagged["journal_id"].unique()) == ["JE-003", "JE-005"]
    assert not (dobo_home / "outputs/prj-review-flags").exists()


def test_quarter_run_reads_csv_january_and_parquet_february_march_RES_5(finance):
    result = dobo("run", "prj-fx-usd", "--period", "2026-Q1", "--json")
    assert result.exit_code == 0, result.output
    runs = json.loads(dobo("runs", "--json").stdout)
    assert [r["status"] for r in runs] == ["completed"]


def test_failed_load_is_recorded_and_resume_finishes_the_run_RUN_5_RUN_7(finance):
    moved = finance / "2026/03/transactions.parquet"
    moved.rename(moved.with_suffix(".bak"))
    failed = dobo("run", "prj-fx-usd", "--period", "2026-Q1", "--json")
    assert failed.exit_code == 1
    record = json.loads(failed.stdout)
    assert record["status"] == "failed" and record["error"]["code"] == "DataNotFound"
    assert record["error"]["operation_order"] is None
    moved.with_suffix(".bak").rename(moved)
    resumed = dobo("run", "prj-fx-usd", "--period", "2026-Q1", "--resume", record["run_id"], "--json")
    assert resumed.exit_code == 0, resumed.output
    done = json.loads(resumed.stdout)
    assert done["status"] == "completed" and done["attempt"] == 2 and done["run_id"] == record["run_id"]


def test_unknown_period_and_project_are_bad_input_RUN_1(finance):
    assert dobo("run", "prj-fx-usd", "--period", "2031-01").exit_code == 2
    assert dobo("run", "nope", "--period", "2026-01").exit_code == 2


def test_locked_period_cannot_be_run_PER_5(finance, dobo_home):
    from dobo_engine.store.api import open_store

    store = open_store()
    store.set_period_status("finance", "2026-02", "closed")
    store.set_period_status("finance", "2026-02", "locked")
    result = dobo("run", "prj-fx-usd", "--period", "2026-02")
    assert result.exit_code == 2 and "PeriodNotRunnable" in result.output
