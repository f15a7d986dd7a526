"""The Dagster UI of the example catalog in headless Chromium: the project jobs and their partitions.

Screenshots and DOM dumps go to tests/dagster/deploy/output/ (git-ignored);
Chromium itself is found or installed by `chromium_ui`.
"""

from __future__ import annotations

import re

import pytest
from chromium_ui import OUTPUT, dump_dom, screenshot

pytestmark = pytest.mark.slow

JOBS = ["prj_budget_vs_actual", "prj_fx_usd", "prj_monthly_summary", "prj_review_flags"]


@pytest.fixture(scope="module")
def ui(dagster_dev_server, chromium):
    OUTPUT.mkdir(exist_ok=True)
    # Dismiss the UI's first-visit community dialog so that it does not cover the page.
    dagster_dev_server.query("mutation { setNuxSeen }")
    dagster_dev_server.wait_until(
        "the example Periods as partitions", lambda: "2026-01" in dagster_dev_server.partition_names("prj_fx_usd"), 180
    )
    return dagster_dev_server


def test_jobs_page_lists_every_project_job(ui, chromium) -> None:
    url = f"{ui.url}/overview/jobs"
    screenshot(chromium, url, "ui")
    dom = dump_dom(chromium, url, "ui")
    for job in JOBS:
        assert re.search(rf">\s*{job}\s*<", dom), f"{job} not in the jobs page DOM (see {OUTPUT / 'ui.html'})"
    assert ui.location in dom


def test_job_partitions_page_shows_the_periods(ui, chromium) -> None:
    url = f"{ui.url}/locations/{ui.location}/jobs/prj_fx_usd/partitions"
    screenshot(chromium, url, "ui-partitions")
    dom = dump_dom(chromium, url, "ui-partitions")
    assert "prj_fx_usd" in dom
    # The job runs at the finance Calendar's leaf level: the 24 months of 2025 and 2026 (no years or quarters).
    total = len(ui.partition_names("prj_fx_usd"))
    assert total == 24
    assert re.search(rf">\s*{total}\s*<.*?Total partitions", dom, re.S), "partition count not in the page DOM"


def test_output_and_trace_asset_pages_show_what_the_run_materialized(ui, chromium) -> None:
    launched = ui.launch_partition_run("prj_budget_vs_actual", "2026-01")
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    ui.wait_for_runs([run_id])
    output = f"{ui.url}/assets/dobo/output/prj_budget_vs_actual/default/write_totals?view=events&partition=2026-01"
    screenshot(chromium, output, "ui-output-asset")
    dom = dump_dom(chromium, output, "ui-output-asset")
    for shown in ("dagster/row_count", "dagster/uri", "dobo/run_id", "dagster_run", run_id[:8]):
        assert shown in dom, f"{shown!r} not on the output asset page (see {OUTPUT / 'ui-output-asset.html'})"
    # The overview: the column schema with each column's lineage from the latest materialization.
    overview = f"{ui.url}/assets/dobo/output/prj_budget_vs_actual/default/write_totals"
    screenshot(chromium, overview, "ui-output-overview")
    dom = dump_dom(chromium, overview, "ui-output-overview")
    for shown in ("total_local", "line_count", "account_code", "Materialize"):  # a real asset: it can be materialized
        assert shown in dom, f"{shown!r} not on the output asset overview (see {OUTPUT / 'ui-output-overview.html'})"
    trace = f"{ui.url}/assets/dobo/trace/prj_budget_vs_actual?view=events&partition=2026-01"
    screenshot(chromium, trace, "ui-trace-asset")
    dom = dump_dom(chromium, trace, "ui-trace-asset")
    for shown in ("dobo/operations", "dobo/run_id", f"run_id={run_id}"):
        assert shown in dom, f"{shown!r} not on the trace asset page (see {OUTPUT / 'ui-trace-asset.html'})"
