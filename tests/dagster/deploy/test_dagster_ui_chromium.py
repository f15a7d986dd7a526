"""The Dagster UI of the example catalog in headless Chromium: the project jobs and their partitions.

Screenshots and DOM dumps go to tests/dagster/deploy/output/ (git-ignored).
Chromium is Debian's `chromium`; the test installs it once with apt-get if it
is missing and skips, saying why, only if that is impossible.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

OUTPUT = Path(__file__).resolve().parent / "output"
JOBS = ["prj_budget_vs_actual", "prj_fx_usd", "prj_monthly_summary", "prj_review_flags"]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,1000",
    # Let the single-page app fetch its data and render before the dump/screenshot.
    "--virtual-time-budget=30000",
]


def _find_chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)


@pytest.fixture(scope="session")
def chromium() -> str:
    found = _find_chromium()
    if found:
        return found
    if not shutil.which("apt-get") or os.geteuid() != 0:
        pytest.skip("chromium is not installed and apt-get cannot install it here (needs root and apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            pytest.skip(f"cannot install chromium ({' '.join(cmd)}): {result.stderr.strip()[-300:]}")
    found = _find_chromium()
    if not found:
        pytest.skip("apt-get installed chromium but no chromium binary is on PATH")
    return found


def _chromium(binary: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="dobo-chromium-") as profile:
        return subprocess.run(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=180,
        )


def _dump_dom(binary: str, url: str, name: str) -> str:
    result = _chromium(binary, "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    (OUTPUT / f"{name}.html").write_text(result.stdout)
    return result.stdout


def _screenshot(binary: str, url: str, name: str) -> Path:
    path = OUTPUT / f"{name}.png"
    path.unlink(missing_ok=True)
    result = _chromium(binary, f"--screenshot={path}", url)
    assert result.returncode == 0 and path.exists(), result.stderr[-2000:]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    return path


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
    _screenshot(chromium, url, "ui")
    dom = _dump_dom(chromium, url, "ui")
    for job in JOBS:
        assert re.search(rf">\s*{job}\s*<", dom), f"{job} not in the jobs page DOM (see {OUTPUT / 'ui.html'})"
    assert ui.location in dom


def test_job_partitions_page_shows_the_periods(ui, chromium) -> None:
    url = f"{ui.url}/locations/{ui.location}/jobs/prj_fx_usd/partitions"
    _screenshot(chromium, url, "ui-partitions")
    dom = _dump_dom(chromium, url, "ui-partitions")
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
    _screenshot(chromium, output, "ui-output-asset")
    dom = _dump_dom(chromium, output, "ui-output-asset")
    for shown in ("dagster/row_count", "dagster/uri", "dobo/run_id", "dagster_run", run_id[:8]):
        assert shown in dom, f"{shown!r} not on the output asset page (see {OUTPUT / 'ui-output-asset.html'})"
    # The overview: the column schema with each column's lineage from the latest materialization.
    overview = f"{ui.url}/assets/dobo/output/prj_budget_vs_actual/default/write_totals"
    _screenshot(chromium, overview, "ui-output-overview")
    dom = _dump_dom(chromium, overview, "ui-output-overview")
    for shown in ("total_local", "line_count", "account_code", "Materialize"):  # a real asset: it can be materialized
        assert shown in dom, f"{shown!r} not on the output asset overview (see {OUTPUT / 'ui-output-overview.html'})"
    trace = f"{ui.url}/assets/dobo/trace/prj_budget_vs_actual?view=events&partition=2026-01"
    _screenshot(chromium, trace, "ui-trace-asset")
    dom = _dump_dom(chromium, trace, "ui-trace-asset")
    for shown in ("dobo/operations", "dobo/run_id", f"run_id={run_id}"):
        assert shown in dom, f"{shown!r} not on the trace asset page (see {OUTPUT / 'ui-trace-asset.html'})"
