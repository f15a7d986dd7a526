"""Automation that never repeats work, in a real `dagster dev` (daemon ticks, GraphQL).

Two copies of the example Project `prj-fx-usd` are applied to the running
server's store and the code location is reloaded: one declares a schedule
that ticks every minute (catching up on the ended months), the other an
upstream-data sensor. The schedule runs each due month once however often it
ticks; the sensor runs each month with input files once, and touching one
input file makes exactly one more run, of that month.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from dagster_dev_server import ROOT

pytestmark = pytest.mark.slow

MONTHS = ["2026-01", "2026-02", "2026-03"]  # the months whose input files the example data holds
SCHEDULED, WATCHED = "prj-fx-usd-scheduled", "prj-fx-usd-watched"
DECLARED = {
    SCHEDULED: {"schedule": {"level": "month", "cron": "* * * * *", "catch_up": True}},
    WATCHED: {"sensor": {"level": "month", "minimum_interval_seconds": 10}},
}


def _job(project_id: str) -> str:
    return project_id.replace("-", "_")


def _apply_declared_projects(server, folder: Path) -> None:
    # Text edits, not a YAML round trip: PyYAML would read the key `on` of the joins as true.
    base = (ROOT / "examples/finance/catalog/projects/prj-fx-usd.yaml").read_text()
    folder.mkdir(parents=True, exist_ok=True)
    for project_id, declared in DECLARED.items():
        text = base.replace("  id: prj-fx-usd\n", f"  id: {project_id}\n", 1)
        text = text.replace(
            "  name: GL lines in USD\n", f"  name: {project_id}\n  dagster: {json.dumps(declared)}\n", 1
        )
        assert f"id: {project_id}" in text and "dagster:" in text
        (folder / f"{project_id}.yaml").write_text(text)
    server.dobo("apply", str(folder.parent))


def _partitions_of_runs(server, project_id: str) -> list[str]:
    runs = server.runs({"dobo/project_id": project_id})
    return sorted(next(t["value"] for t in r["tags"] if t["key"] == "dagster/partition") for r in runs)


def _settled(server, project_id: str, expected: list[str], quiet_seconds: float) -> list[str]:
    """The partitions of the Project's runs once they are `expected`, all ended, and nothing new came."""
    server.wait_until(
        f"{project_id}: runs for {expected}", lambda: _partitions_of_runs(server, project_id) == expected, timeout=300
    )
    ids = [r["runId"] for r in server.runs({"dobo/project_id": project_id})]
    server.wait_for_runs(ids, timeout=300)
    time.sleep(quiet_seconds)  # more ticks: nothing new may be requested
    return _partitions_of_runs(server, project_id)


def test_a_schedule_runs_each_due_month_once_and_a_sensor_reruns_only_the_touched_month(
    dagster_dev_server, tmp_path
) -> None:
    server = dagster_dev_server
    _apply_declared_projects(server, tmp_path / "declared" / "projects")
    reloaded = server.query('mutation { reloadRepositoryLocation(repositoryLocationName: "dobo") { __typename } }')
    assert reloaded["reloadRepositoryLocation"]["__typename"] == "WorkspaceLocationEntry", reloaded
    server.wait_until(
        "the declared Projects' jobs", lambda: {_job(SCHEDULED), _job(WATCHED)} <= set(server.jobs()), timeout=180
    )
    try:
        # The first tick requested the due months; a minute more is another tick: nothing new.
        assert _settled(server, SCHEDULED, MONTHS, quiet_seconds=70) == MONTHS
        assert _settled(server, WATCHED, MONTHS, quiet_seconds=30) == MONTHS
        touched = ROOT / "examples/finance/data/2026/02/transactions.parquet"
        stat = touched.stat()
        os.utime(touched, (stat.st_atime, time.time()))  # the file is written again
        expected = sorted([*MONTHS, "2026-02"])
        assert _settled(server, WATCHED, expected, quiet_seconds=30) == expected
    finally:
        _stop_automation(server)


def _stop_automation(server) -> None:
    """The declared Projects made inactive and the location reloaded: no schedule or sensor of theirs is left."""
    from dobo_engine.store.api import open_store

    store = open_store(f"sqlite:///{server.dobo_home / 'metadata.db'}")
    try:
        for project_id in DECLARED:
            store.set_status("project", project_id, "inactive")
    finally:
        store.close()
    server.query('mutation { reloadRepositoryLocation(repositoryLocationName: "dobo") { __typename } }')
