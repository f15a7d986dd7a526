"""End to end on the embedded default: `dagster dev` with the example catalog, driven through GraphQL.

A partition run and a 3-Period backfill of an example Project run to success
and leave their outputs, trace files and asset materialisations; two launches of
one Project+Period at the same instant both succeed and run one after the
other (D15); a run terminated while busy leaves its Period free.
"""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.slow

JOB = "prj_fx_usd"
PROJECT = "prj-fx-usd"
TRACE_ASSET = ["dobo", "trace", JOB]
BACKFILL = ["2026-01", "2026-02", "2026-03"]


@pytest.fixture(scope="module")
def server(dagster_dev_server):
    server = dagster_dev_server
    # Periods become partitions once the code location's sync sensor has run; the job's
    # partitions are the months (its Calendar's leaf level) only, never quarters or years.
    server.wait_until(
        "the example Periods as partitions",
        lambda: set(BACKFILL) <= set(server.partition_names(JOB)),
        timeout=180,
    )
    names = server.partition_names(JOB)
    assert not [n for n in names if "Q" in n or n.startswith("FY")], names
    return server


def _materialised(run: dict) -> dict[tuple[str, ...], set[str]]:
    found: dict[tuple[str, ...], set[str]] = {}
    for m in run["assetMaterializations"]:
        found.setdefault(tuple(m["assetKey"]["path"]), set()).add(m["partition"])
    return found


def _check_run_left_its_traces(server, run: dict, partition: str) -> None:
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags["dagster/partition"] == partition
    assert tags["dobo/project-period"] == f"{JOB}:{partition}"
    # One pod (here: one process) per Run, the operations in it.
    messages = server.run_messages(run["runId"])
    assert any("in process" in m.lower() for m in messages), messages[:20]
    # Trace: one file per (run, operation) under the run's trace location (D17); the output
    # operation (order 20) writes none.
    trace_dir = server.dobo_home / "trace" / f"run_id={run['runId']}"
    names = {p.name for p in trace_dir.glob("operation=*.parquet")}
    assert "operation=10.parquet" in names and "operation=20.parquet" not in names, (trace_dir, names)
    # Assets: the trace asset and the output asset, for this partition, once each (not per operation).
    found = _materialised(run)
    assert found.get(tuple(TRACE_ASSET)) == {partition}, found
    outputs = [key for key in found if key[:2] in (("dobo", "output"), ("dobo", "dataset"))]
    assert outputs and all(found[key] == {partition} for key in outputs), found
    assert outputs == [("dobo", "output", JOB, "default", "write_usd_lines")], outputs
    assert len(run["assetMaterializations"]) == 2, run["assetMaterializations"]
    labels = {
        tuple(m["assetKey"]["path"]): {e["label"] for e in m["metadataEntries"]} for m in run["assetMaterializations"]
    }
    assert {"dobo/operations", "dobo/run_id", "dagster_run", "dagster/uri"} <= labels[tuple(TRACE_ASSET)], labels
    assert {
        "dagster/row_count",
        "dagster/column_schema",
        "dagster/uri",
        "dagster/column_lineage",
        "dobo/run_id",
        "dagster_run",
    } <= labels[outputs[0]], labels


def test_jobs_for_every_example_project(server) -> None:
    assert {"prj_fx_usd", "prj_monthly_summary", "prj_budget_vs_actual", "prj_review_flags"} <= set(server.jobs())


def test_partition_run_and_backfill(server) -> None:
    launched = server.launch_partition_run(JOB, "2026-03")
    assert launched["__typename"] == "LaunchRunSuccess", launched
    single = launched["run"]["runId"]

    backfill_id = server.launch_backfill(JOB, BACKFILL)
    backfill_runs = server.wait_until(
        "the backfill's runs",
        lambda: (lambda runs: runs if len(runs) == len(BACKFILL) else None)(
            server.runs({"dagster/backfill": backfill_id})
        ),
        timeout=180,
    )

    runs = server.wait_for_runs([single, *(r["runId"] for r in backfill_runs)])
    partitions = [next(t["value"] for t in r["tags"] if t["key"] == "dagster/partition") for r in runs]
    assert sorted(partitions) == sorted(["2026-03", *BACKFILL])
    by_partition = dict(zip(partitions, runs))
    for partition, run in zip(partitions, runs):
        _check_run_left_its_traces(server, run, partition)

    # The output files, one set per Period, under the output (or, for drafts, sandbox) root.
    written = [p for root in ("outputs", "sandbox") for p in (server.dobo_home / root).rglob("*.parquet")]
    for partition in by_partition:
        assert any(partition in p.parts for p in written), (partition, written)


def test_a_dobo_run_made_outside_dagster_is_reported_once(server) -> None:
    """`dobo run` against the server's store: the sensor `dobo_cli_runs` reports it once."""
    done = server.dobo("run", PROJECT, "--period", "2026-02", "--json")
    run_id = json.loads(done)["run_id"]

    def reported() -> list[dict] | None:
        found = server.materializations(TRACE_ASSET, "2026-02")
        mine = [m for m in found if m["dobo_run_id"] == run_id]
        return mine or None

    mine = server.wait_until("the dobo run reported", reported, timeout=120)
    time.sleep(20)  # another sensor tick or two: still once
    assert len([m for m in server.materializations(TRACE_ASSET, "2026-02") if m["dobo_run_id"] == run_id]) == 1
    assert mine[0]["runId"] == ""  # reported, not made by a Dagster run
    output = server.materializations(["dobo", "output", JOB, "default", "write_usd_lines"], "2026-02")
    assert [m["dobo_run_id"] for m in output].count(run_id) == 1


def _launch_at_once(server, job: str, partition: str, count: int = 2) -> list[dict]:
    """`count` launches of one partition released at the same instant (threads behind a barrier)."""
    config, tags = server.partition_config_and_tags(job, partition)
    barrier = threading.Barrier(count)

    def launch() -> dict:
        barrier.wait()
        return server.query(LAUNCH, _launch_params(server, job, config, tags))["launchRun"]

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: launch(), range(count)))


LAUNCH = (
    "mutation($params: ExecutionParams!) { launchRun(executionParams: $params) { __typename"
    " ... on LaunchRunSuccess { run { runId status } } ... on PythonError { message } ... on Error { message } } }"
)


def _launch_params(server, job: str, config: dict, tags: dict[str, str]) -> dict:
    return {
        "params": {
            "selector": {**server.repository_selector(), "jobName": job},
            "runConfigData": config,
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        }
    }


def _holding(server, period: str) -> list:
    return [r for r in server.dobo_runs(PROJECT, period) if r.status in ("queued", "running")]


def test_two_launches_of_one_partition_at_the_same_instant_run_one_at_a_time(server) -> None:
    """D15 in Dagster: both launches succeed (no HTTP 500), one runs, the other waits in the queue."""
    period = "2026-02"
    before = {r.id for r in server.dobo_runs(PROJECT, period)}
    with server.runs_held_after_load():
        launched = _launch_at_once(server, JOB, period)
        assert [r["__typename"] for r in launched] == ["LaunchRunSuccess"] * 2, launched
        ids = [r["run"]["runId"] for r in launched]
        # One run reaches its (held) load; the other stays queued behind it, with no dobo Run.
        running = server.wait_until(
            "one of the two runs to hold its Period", lambda: _holding(server, period), timeout=120
        )
        time.sleep(5)  # several dequeue intervals: the second run must still wait
        statuses = {r: server.run(r)["status"] for r in ids}
        assert sorted(statuses.values()) == ["QUEUED", "STARTED"], statuses
        held = _holding(server, period)
        assert len(held) == 1 and held[0].id == running[0].id and held[0].status == "running", held
        assert held[0].id == next(r for r, s in statuses.items() if s == "STARTED")
    runs = server.wait_for_runs(ids)  # both succeed: no failed run
    assert [r["status"] for r in runs] == ["SUCCESS", "SUCCESS"]
    new = sorted((r for r in server.dobo_runs(PROJECT, period) if r.id not in before), key=lambda r: r.started_at)
    assert [r.status for r in new] == ["completed", "completed"] and {r.id for r in new} == set(ids)
    assert new[0].completed_at <= new[1].started_at  # one after the other, never together


def test_terminate_during_a_run_then_launch_again_it_runs(server) -> None:
    period = "2026-03"
    with server.runs_held_after_load():
        launched = server.launch_partition_run(JOB, period)
        assert launched["__typename"] == "LaunchRunSuccess", launched
        first = launched["run"]["runId"]
        server.wait_until("the run to be busy", lambda: _holding(server, period), timeout=120)
        terminated = server.terminate(first)
        assert terminated["__typename"] == "TerminateRunSuccess", terminated
        server.wait_until("the run to be canceled", lambda: server.run(first)["status"] == "CANCELED", timeout=120)
    # Launched again at once: the new run ends the abandoned dobo Run itself if the run-status
    # sensor has not yet, and runs.
    again = server.launch_partition_run(JOB, period)
    assert again["__typename"] == "LaunchRunSuccess", again
    (done,) = server.wait_for_runs([again["run"]["runId"]])
    assert done["status"] == "SUCCESS"
    records = {r.id: r for r in server.dobo_runs(PROJECT, period)}
    assert records[done["runId"]].status == "completed"
    assert records[first].status == "cancelled"  # not failed, not left running (RUN-8)


def _launch_with(server, job: str, config: dict, tags: dict[str, str]) -> dict:
    return server.query(
        LAUNCH.replace("... on Error", "... on RunConfigValidationInvalid { errors { message } } ... on Error"),
        _launch_params(server, job, config, tags),
    )["launchRun"]


def test_an_edited_launch_is_refused_and_one_without_a_partition_never_starts(server) -> None:
    draft_job, draft = "prj_review_flags", "prj-review-flags"
    before = {r["runId"] for r in server.runs({"dobo/project_id": draft})}
    config, tags = server.partition_config_and_tags(draft_job, "2026-01")
    assert config == {}  # the Project is the job's, the Period the partition: nothing to edit (D13)
    for edit in ({"sandbox": False}, {"snapshot": '{"sandbox": false}'}, {"project": "prj-fx-usd"}):
        edited = {"resources": {"dobo": {"config": edit}}}
        refused = _launch_with(server, draft_job, edited, tags)
        assert refused["__typename"] == "RunConfigValidationInvalid", refused
        assert any(next(iter(edit)) in e["message"] for e in refused["errors"]), refused
    assert {r["runId"] for r in server.runs({"dobo/project_id": draft})} == before
    # No partition: the launch itself succeeds (no error page), the run queue fails it before it starts.
    no_partition = _launch_with(server, draft_job, {}, {})
    assert no_partition["__typename"] == "LaunchRunSuccess", no_partition
    run_id = no_partition["run"]["runId"]
    assert server.run(run_id)["status"] == "FAILURE"
    assert any("launch it for one partition" in m for m in server.run_messages(run_id))
    assert not [r for r in server.dobo_runs(draft, "2026-01") if r.id == run_id]
    assert not list((server.dobo_home / "outputs").glob(f"{draft}/**/*.parquet"))


def test_materializing_one_output_asset_from_the_asset_graph_runs_the_whole_project(server) -> None:
    """The asset graph's Materialize on one output asset and Period: the Project runs whole, as one dobo Run."""
    project, job, period = "prj-monthly-summary", "prj_monthly_summary", "2026-02"
    output = ["dobo", "output", job, "finance_reports", "monthly_summary"]
    launched = server.materialize(output, period)
    assert launched["__typename"] == "LaunchRunSuccess", launched
    assert launched["run"]["jobName"] == "__ASSET_JOB"
    (run,) = server.wait_for_runs([launched["run"]["runId"]])
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags["dobo/project-period"] == f"{job}:{period}" and tags["dobo/project_id"] == project
    materialized = _materialised(run)
    assert materialized == {
        ("dobo", "trace", job): {period},
        ("dobo", "output", job, "default", "write_summary"): {period},
        tuple(output): {period},
    }, materialized
    (record,) = [r for r in server.dobo_runs(project, period) if r.id == run["runId"]]
    assert record.status == "completed"
    trace_files = {p.name for p in (server.dobo_home / "trace" / f"run_id={run['runId']}").glob("*.parquet")}
    assert trace_files, "the whole Project ran: its trace is written"
    assert period in server.partition_statuses(output)["materializedPartitions"]


def test_a_backfill_with_a_locked_period_fails_only_that_period(server) -> None:
    from dobo_engine.store.api import open_store

    periods, locked = ["2026-01", "2025-11", "2026-02"], "2025-11"  # (the example data covers 2026-01..03)
    store = open_store(f"sqlite:///{server.dobo_home / 'metadata.db'}")
    try:
        store.set_period_status("finance", locked, "closed")
        store.set_period_status("finance", locked, "locked")
    finally:
        store.close()
    backfill_id = server.launch_backfill(JOB, periods)
    runs = server.wait_until(
        "the backfill's runs to end",
        lambda: (lambda rs: rs if len(rs) == 3 and all(r["status"] in {"SUCCESS", "FAILURE"} for r in rs) else None)(
            server.runs({"dagster/backfill": backfill_id})
        ),
        timeout=300,
    )
    by_period = {next(t["value"] for t in r["tags"] if t["key"] == "dagster/partition"): r for r in runs}
    assert {p: r["status"] for p, r in by_period.items()} == {
        "2026-01": "SUCCESS",
        locked: "FAILURE",
        "2026-02": "SUCCESS",
    }
    messages = server.run_messages(by_period[locked]["runId"])
    assert any(f"Period {locked} of Calendar finance is locked" in m for m in messages), messages[-10:]
    assert [r.status for r in server.dobo_runs(PROJECT, locked)] == []  # refused before any dobo Run
    # The assets' partition status is true: the locked Period failed, the others are materialized.
    for key in (TRACE_ASSET, ["dobo", "output", JOB, "default", "write_usd_lines"]):
        statuses = server.partition_statuses(key)
        assert locked in statuses["failedPartitions"], (key, statuses)
        assert {"2026-01", "2026-02"} <= set(statuses["materializedPartitions"]), (key, statuses)


def test_the_location_is_dobo_and_dagster_dev_logs_no_warning_from_dobo_code(server) -> None:
    server.jobs()
    assert server.location == "dobo"
    log = server.log.read_text(errors="replace").splitlines()
    ours = [line for line in log if re.search(r"/dobo_(dagster|engine)/\S+\.py:\d+: \w*Warning", line)]
    assert ours == [], ours
