"""End to end on the embedded default: `dagster dev` with the example catalog, driven through GraphQL.

A partition run and a 3-Period backfill of an example Project run to success
and leave their outputs, trace files and asset materialisations; a second run
of a Project+Period that is already queued or running is refused (D15).
"""

from __future__ import annotations

import pytest
from dagster_dev_server import GraphQLError

pytestmark = pytest.mark.slow

JOB = "prj_fx_usd"
PROJECT = "prj-fx-usd"
TRACE_ASSET = ["dobo", "trace", JOB]
BACKFILL = ["2026-01", "2026-02", "2026-03"]


@pytest.fixture(scope="module")
def server(dagster_dev_server):
    server = dagster_dev_server
    # Periods become partitions once the code location's sync sensor has run.
    server.wait_until(
        "the example Periods as partitions",
        lambda: set(BACKFILL + ["2026-Q1"]) <= set(server.partition_names(JOB)),
        timeout=180,
    )
    return server


def _materialised(run: dict) -> dict[tuple[str, ...], set[str]]:
    found: dict[tuple[str, ...], set[str]] = {}
    for m in run["assetMaterializations"]:
        found.setdefault(tuple(m["assetKey"]["path"]), set()).add(m["partition"])
    return found


def _check_run_left_its_traces(server, run: dict, partition: str) -> None:
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags["dagster/partition"] == partition
    assert tags["dobo/project-period"].startswith(PROJECT) and tags["dobo/project-period"].endswith(partition)
    # One pod (here: one process) per Run, the operations in it.
    messages = server.run_messages(run["runId"])
    assert any("in process" in m.lower() for m in messages), messages[:20]
    # Trace: one file per (run, operation) under the run's trace location (D17); the output
    # operation (order 20) writes none.
    trace_dir = server.dobo_home / "trace" / f"run_id={run['runId']}"
    names = {p.name for p in trace_dir.glob("operation=*.parquet")}
    assert "operation=10.parquet" in names and "operation=20.parquet" not in names, (trace_dir, names)
    # Assets: the trace asset and the output asset, for this partition.
    found = _materialised(run)
    assert found.get(tuple(TRACE_ASSET)) == {partition}, found
    outputs = [key for key in found if key[:2] in (("dobo", "output"), ("dobo", "dataset"))]
    assert outputs and all(found[key] == {partition} for key in outputs), found


def test_jobs_for_every_example_project(server) -> None:
    assert {"prj_fx_usd", "prj_monthly_summary", "prj_budget_vs_actual", "prj_review_flags"} <= set(server.jobs())


def test_partition_run_and_backfill(server) -> None:
    launched = server.launch_partition_run(JOB, "2026-Q1")
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
    by_partition = {next(t["value"] for t in r["tags"] if t["key"] == "dagster/partition"): r for r in runs}
    assert set(by_partition) == {"2026-Q1", *BACKFILL}
    for partition, run in by_partition.items():
        _check_run_left_its_traces(server, run, partition)

    # The output files, one set per Period, under the output (or, for drafts, sandbox) root.
    written = [p for root in ("outputs", "sandbox") for p in (server.dobo_home / root).rglob("*.parquet")]
    for partition in by_partition:
        assert any(partition in p.parts for p in written), (partition, written)


def test_duplicate_project_period_is_refused(server) -> None:
    first = server.launch_partition_run(JOB, "2026-02")
    assert first["__typename"] == "LaunchRunSuccess", first
    with pytest.raises(GraphQLError) as refused:
        server.launch_partition_run(JOB, "2026-02")
    holder = server.run(first["run"]["runId"])
    assert holder["status"] in {"QUEUED", "STARTING", "STARTED"}, (
        "the first run ended before the duplicate was launched"
    )

    message = str(refused.value)
    assert "ConcurrentRunConflict" in message and "already has a queued or running Run" in message, message
    assert f"Project '{PROJECT}'" in message and "Period '2026-02'" in message
    assert first["run"]["runId"] in message

    # The first run is untouched and completes; only one run of the pair succeeded.
    (done,) = server.wait_for_runs([first["run"]["runId"]])
    assert done["status"] == "SUCCESS"
    partition_runs = server.runs({"dagster/partition": "2026-02", "dobo/project_id": PROJECT})
    assert sum(r["status"] == "SUCCESS" for r in partition_runs if r["runId"] != done["runId"]) <= 1  # the backfill's
