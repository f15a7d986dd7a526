"""The example catalog publishes a report to a named csv DataSource (OP-OUT-1, OP-OUT-3, SRC-1)."""

from __future__ import annotations

import json

import polars as pl
from click.testing import CliRunner

from dobo_engine.cli.main import cli


def test_monthly_summary_publishes_the_same_rows_to_the_reports_datasource_OP_OUT_1(finance, dobo_home):
    result = CliRunner().invoke(cli, ["run", "prj-monthly-summary", "--period", "2026-Q1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "completed"
    default = pl.read_parquet(dobo_home / "outputs/prj-monthly-summary/2026-Q1/operation=40.parquet")
    report = finance.parents[2] / ".dobo/reports/monthly-summary/2026-Q1.csv"  # under DOBO_DATA_ROOT
    published = pl.read_csv(report, infer_schema=False)
    assert published.columns == ["_period", "account_type", "currency", "total_local", "line_count"]
    assert published.height == default.height > 0
    # decimals as exact text, row for row the same as the default destination
    expected = default.select(pl.all().cast(pl.Utf8)).sort(published.columns)
    assert published.sort(published.columns).equals(expected)
