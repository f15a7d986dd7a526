"""Re-execute from failure in a real `dagster dev`: the same dobo Run resumes and ends as an uninterrupted Run.

The example Project `prj-monthly-summary` is launched for 2026-03 through
GraphQL while its output folder for that Period cannot be created (a regular
file stands where the folder must be), as an operator meets a broken
destination: operation 40 (`write summary`) fails after operations 0-30 have
made their steps durable. The file is removed, the run is re-executed from
failure through GraphQL, and the child run continues the same dobo Run from
its checkpoint. Its outputs and trace are compared with `dobo run` of the same
Project and Period in a store of its own, over the same input files.

Screenshots and DOM dumps of both run pages: tests/dagster/deploy/output/ui-reexecution-{parent,child}.*
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest
from chromium_ui import OUTPUT, dump_dom, screenshot
from dagster_dev_server import ROOT, DagsterDev

from tests.dagster.helpers import comparable

pytestmark = pytest.mark.slow

JOB, PROJECT, PERIOD = "prj_monthly_summary", "prj-monthly-summary", "2026-03"  # a Period no other test runs
DURABLE = ["load", "op_10_classify", "op_20_drop_balance_sheet_lines", "op_30_summarise"]  # before the failure
RESUMED = ["op_40_write_summary", "op_50_publish_summary"]  # the failed op and the one after it
REPORT = Path(".dobo", "reports", "monthly-summary", f"{PERIOD}.csv")  # `publish summary`, under the data root
ASSETS = [
    ["dobo", "trace", JOB],
    ["dobo", "output", JOB, "default", "write_summary"],
    ["dobo", "output", JOB, "finance_reports", "monthly_summary"],
]


@pytest.fixture(scope="module")
def server(dagster_dev_server: DagsterDev) -> DagsterDev:
    server = dagster_dev_server
    server.query("mutation { setNuxSeen }")  # the UI's first-visit dialog would cover the screenshots
    server.wait_until("the Period as a partition", lambda: PERIOD in server.partition_names(JOB), timeout=180)
    return server


def _run_with_blocked_output(server: DagsterDev) -> str:
    """A partition run whose `write summary` cannot create its folder; the Dagster run id, once it failed."""
    blocker = server.dobo_home / "outputs" / PROJECT / PERIOD
    assert not blocker.exists(), blocker
    blocker.parent.mkdir(parents=True, exist_ok=True)
    # A file where the folder must go: unlike mode bits, this stops a process running as root too.
    blocker.write_text("not a folder")
    try:
        launched = server.launch_partition_run(JOB, PERIOD)
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        assert server.wait_for_end(run_id)["status"] == "FAILURE"
        return run_id
    finally:
        blocker.unlink()  # the operator's fix, before anyone re-executes


def _steps(server: DagsterDev, run_id: str) -> dict[str, str]:
    """The run's steps by op name (their keys carry the job's graph name in front) and how each ended."""
    return {key.split(".")[-1]: status for key, status in server.step_stats(run_id).items()}


def _check_failed_after_operation_30(server: DagsterDev, parent: str, before: set[str]) -> None:
    steps = _steps(server, parent)
    assert {k for k, v in steps.items() if v == "SUCCESS"} == set(DURABLE), steps
    assert steps[RESUMED[0]] == "FAILURE" and steps.get(RESUMED[1]) != "SUCCESS", steps
    messages = server.run_messages(parent)
    assert any(f"dobo Run {parent} failed at operation 40: WriteFailure" in m for m in messages), messages[-10:]
    (record,) = [r for r in server.dobo_runs(PROJECT, PERIOD) if r.id not in before]
    assert record.id == parent and record.status == "failed" and record.attempt == 1  # D21: id = root run id
    assert record.last_completed_operation == 30, record  # RUN-4: every op boundary is durable in a job (D36)
    assert record.error["operation_order"] == 40 and record.error["code"] == "WriteFailure", record.error
    assert (server.dobo_home / "checkpoints" / f"run_id={parent}").is_dir()  # kept for the resume (RUN-5)


def _check_resumed_and_completed(server: DagsterDev, parent: str, child: str, before: set[str]) -> None:
    assert _steps(server, child) == dict.fromkeys(RESUMED, "SUCCESS")  # nothing durable runs again
    messages = server.run_messages(child)
    assert any(f"dobo Run {parent} resumed (attempt 2) after operation 30" in m for m in messages), messages
    assert any(f"dobo Run {parent} completed" in m for m in messages), messages
    (record,) = [r for r in server.dobo_runs(PROJECT, PERIOD) if r.id not in before]  # no second Run
    assert (record.id, record.status, record.attempt, record.error) == (parent, "completed", 2, None), record
    for key in ASSETS:  # materialized by the child, each as the one dobo Run's
        (made,) = [m for m in server.materializations(key, PERIOD) if m["runId"] == child]
        assert made["dobo_run_id"] == parent, (key, made)
    # RUN-6: no checkpoint and no Dagster frame pointer of either attempt is left.
    checkpoints = server.dobo_home / "checkpoints"
    assert not [p for p in (checkpoints / f"run_id={parent}", checkpoints / "dagster" / parent) if p.exists()]
    assert not (checkpoints / "dagster" / child).exists()


def _result(home: Path, data_root: Path, run_id: str) -> dict[str, list[str]]:
    """What a Run of the Project left for the Period: both outputs and its trace, without run-specific values."""
    found = {
        "write summary": comparable(pl.read_parquet(home / "outputs" / PROJECT / PERIOD / "operation=40.parquet")),
        "publish summary": comparable(pl.read_csv(data_root / REPORT)),
    }
    trace = sorted((home / "trace" / f"run_id={run_id}").glob("*.parquet"))
    found |= {f"trace {p.name}": _trace_file(p) for p in trace}
    assert all(found.values()), {k: len(v) for k, v in found.items()}
    return found


def _trace_file(path: Path) -> list[str]:
    """A trace file's events without run-specific values; a load traced by reference (TR-15) holds
    no rows, so what it records stands for them: the row count and the content of each file read."""
    metadata = json.loads(pq.read_metadata(path).metadata[b"dobo.trace"])
    by_reference = metadata.get("load_by_reference")
    if by_reference is None:
        return comparable(pl.read_parquet(path))
    contents = sorted(f"{f['size']}:{f['sha256']}" for f in by_reference["fingerprints"])
    return [f"load by reference: {by_reference['rows']} rows", *contents]


def _uninterrupted(server: DagsterDev, tmp: Path) -> dict[str, list[str]]:
    """`dobo run` of the same Project and Period in a store of its own, reading the same input files."""
    home, data_root = tmp / "dobo-home", tmp / "data-root"
    data_root.mkdir(parents=True)
    (data_root / "examples").symlink_to(ROOT / "examples")  # the same files; the reports land under tmp
    where: dict[str, Any] = {"home": home, "data_root": data_root}
    server.dobo("apply", str(ROOT / "examples" / "finance" / "catalog"), **where)
    server.dobo("periods", "generate", "finance", "--from-year", "2025", "--to-year", "2026", **where)
    done = json.loads(server.dobo("run", PROJECT, "--period", PERIOD, "--json", **where))
    assert done["status"] == "completed" and done["attempt"] == 1, done
    return _result(home, data_root, done["run_id"])


def _run_page(server: DagsterDev, chromium: str, run_id: str, name: str) -> str:
    url = f"{server.url}/runs/{run_id}"
    screenshot(chromium, url, name)
    return dump_dom(chromium, url, name)


def test_reexecute_from_failure_resumes_the_same_dobo_run_with_an_uninterrupted_runs_result(
    server: DagsterDev, chromium: str, tmp_path: Path
) -> None:
    """RUN-7, D21, D14, D36: re-execute from failure in `dagster dev` is a resume of the same dobo Run.

    The child run executes only the failed op and the one after it, continuing
    from the checkpoint of operation 30 (RUN-4, D36); the dobo Run keeps its id
    (the root run's, D21), has attempt 2 and completes; there is no second Run
    for the Project and Period; outputs and trace equal those of an
    uninterrupted Run value for value (D14, RUN-7).
    """
    before = {r.id for r in server.dobo_runs(PROJECT, PERIOD)}
    (ROOT / REPORT).unlink(missing_ok=True)  # the report compared below must be this Run's, not an older one
    parent = _run_with_blocked_output(server)
    _check_failed_after_operation_30(server, parent, before)
    # The run page: op_40 errored with dobo's message (the failed operation and its error code).
    parent_page = _run_page(server, chromium, parent, "ui-reexecution-parent")
    for shown in ("op_40_write_summary", "failed at operation 40: WriteFailure"):
        assert shown in parent_page, f"{shown!r} not on the run page (see {OUTPUT / 'ui-reexecution-parent.html'})"

    launched = server.reexecute(parent)  # strategy FROM_FAILURE
    assert launched["__typename"] == "LaunchRunSuccess", launched
    child = launched["run"]["runId"]
    assert launched["run"]["rootRunId"] == parent and launched["run"]["parentRunId"] == parent, launched
    server.wait_for_runs([child])
    _check_resumed_and_completed(server, parent, child, before)
    # The child's page: its two steps, and the parent as the ROOT of its re-executions.
    child_page = _run_page(server, chromium, child, "ui-reexecution-child")
    for shown in ("op_50_publish_summary", "Re-executions", "ROOT", parent[:8]):
        assert shown in child_page, f"{shown!r} not on the run page (see {OUTPUT / 'ui-reexecution-child.html'})"

    resumed = _result(server.dobo_home, ROOT, parent)  # read before anything else can write these files
    assert [k for k in resumed if k.startswith("trace")] == [
        f"trace operation={order}.parquet" for order in (0, 10, 20, 30)
    ]  # TR-11: one file per operation, none repeated by the resume and none for the outputs
    assert resumed == _uninterrupted(server, tmp_path)
