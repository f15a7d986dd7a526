"""`dobo trace` reads a load traced by reference by loading the Run's recorded locations again (TR-15, D27)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from click.testing import CliRunner

from dobo_engine.cli.main import cli


def dobo(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_dobo_trace_reads_a_load_by_reference_and_refuses_it_once_the_input_changed_TR_15(finance, dobo_home):
    ran = dobo("run", "prj-fx-usd", "--period", "2026-01", "--json")
    assert ran.exit_code == 0, ran.output
    run_id = json.loads(ran.stdout)["run_id"]
    load_file = dobo_home / "trace" / f"run_id={run_id}" / "operation=0.parquet"
    metadata = json.loads(pq.read_metadata(load_file).metadata[b"dobo.trace"])
    assert metadata["format_version"] == 2 and pq.read_metadata(load_file).num_rows == 0

    loaded = dobo("trace", run_id, "--operation", "0", "--json")
    assert loaded.exit_code == 0, loaded.output
    events = json.loads(loaded.stdout)
    assert len(events) == metadata["load_by_reference"]["rows"] > 0
    row_id = events[0]["row_id"]
    state = dobo("trace", run_id, "--row", row_id, "--at-step", "0", "--json")
    assert state.exit_code == 0, state.output
    assert json.loads(state.stdout)["journal_id"] == events[0]["after"]["journal_id"]
    history = dobo("trace", run_id, "--row", row_id, "--json")
    assert [e["change_type"] for e in json.loads(history.stdout)][0] == "created"

    transactions = finance / "2026/01/transactions.csv"
    transactions.write_text(transactions.read_text().replace("JE-001", "JE-00X", 1))
    refused = dobo("trace", run_id, "--row", row_id, "--json")
    assert refused.exit_code == 1
    assert "TraceInputChanged" in refused.output and "transactions.csv" in refused.output


def test_with_dobo_trace_load_copy_the_load_is_copied_and_reads_after_its_input_is_gone_TR_15(
    finance, dobo_home, monkeypatch
):
    monkeypatch.setenv("DOBO_TRACE_LOAD", "copy")
    ran = dobo("run", "prj-fx-usd", "--period", "2026-01", "--json")
    assert ran.exit_code == 0, ran.output
    run_id = json.loads(ran.stdout)["run_id"]
    load_file = dobo_home / "trace" / f"run_id={run_id}" / "operation=0.parquet"
    assert json.loads(pq.read_metadata(load_file).metadata[b"dobo.trace"])["format_version"] == 1
    copied = pq.read_metadata(load_file).num_rows
    assert copied > 0

    (finance / "2026/01/transactions.csv").unlink()  # rotated away: the trace does not need it
    loaded = dobo("trace", run_id, "--operation", "0", "--json")
    assert loaded.exit_code == 0, loaded.output
    assert len(json.loads(loaded.stdout)) == copied


def test_an_unknown_dobo_trace_load_is_refused_naming_the_setting(finance, dobo_home, monkeypatch):
    monkeypatch.setenv("DOBO_TRACE_LOAD", "sometimes")
    refused = dobo("run", "prj-fx-usd", "--period", "2026-01")
    assert refused.exit_code != 0
    assert "DOBO_TRACE_LOAD" in refused.output and "reference, copy" in refused.output
