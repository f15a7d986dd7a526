"""Runs that survive kills and cancels, on SQLite and PostgreSQL (RUN-4, RUN-5, RUN-7, RUN-8, D14, D15, D36).

Each Run under test executes in a real `dobo run` process that stops itself
at a named point (DOBO_FAULT_AT / DOBO_FAULT_HOLD, see
`dobo_engine.runner.faults`): SIGKILLed at every operation boundary and
inside output writes, or held while the test cancels it. The lease is 2
seconds (tests/faults/conftest.py), so a killed Run is reaped quickly.
Runs use `checkpoints: operations` (set in conftest) unless a test says
otherwise; the kill test runs under both policies.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result
from polars.testing import assert_frame_equal

from dobo_engine.cli.main import cli
from dobo_engine.errors import InvalidResumePoint, Location
from dobo_engine.runner.service import RunService, failure_summary
from dobo_engine.settings import Settings
from dobo_engine.store import open_store
from tests.faults.conftest import LEASE_SECONDS, ROOT

PROJECT = "prj-fault-steps"
PERIOD = "2026-02"
DOBO = str(Path(sys.executable).parent / "dobo")
OUTPUTS = ("operation=20.parquet", "operation=40.parquet", "operation=70.parquet")

pytestmark = pytest.mark.slow


def dobo(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def spawn(env: dict[str, str], faults: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """A real `dobo` process with the fault points given in its environment."""
    return subprocess.Popen(
        [DOBO, *args], env={**env, **faults}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def runs() -> list[dict[str, Any]]:
    result = dobo("runs", "--project", PROJECT, "--json")
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def only_run() -> dict[str, Any]:
    (record,) = runs()
    return record


def wait_for(condition: Callable[[], dict[str, Any] | None], seconds: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError("the Run never reached the expected state")


def reaped(run_id: str) -> Callable[[], dict[str, Any] | None]:
    def check() -> dict[str, Any] | None:
        record = next(r for r in runs() if r["run_id"] == run_id)
        return record if record["status"] != "running" else None

    return check


def output_frames(root: Path) -> dict[str, pl.DataFrame]:
    """Each output of the Period; an append output is the folder of its per-Run files, read whole."""
    folder = root / PROJECT / PERIOD
    frames = {}
    for name in OUTPUTS:
        path = folder / name
        if path.is_dir():
            frames[name] = pl.read_parquet(sorted(path.glob("*.parquet")))
        elif path.exists():
            frames[name] = pl.read_parquet(path)
    return frames


def trace_frames(folder: Path) -> dict[str, pl.DataFrame]:
    return {p.name: pl.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}


def temporary_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if ".dobo-tmp." in p.name]


def file_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}


def assert_same_frames(got: dict[str, pl.DataFrame], expected: dict[str, pl.DataFrame]) -> None:
    assert sorted(got) == sorted(expected)
    for name, frame in expected.items():
        assert_frame_equal(got[name], frame, check_exact=True)


def uninterrupted(store_url: str, run_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The same Run (id, snapshot clock) executed start to end in a home of its own; that home.

    Row ids and trace rows derive from the Run's id and clock, so only the
    same id and clock make two executions comparable value for value.
    """
    with open_store(store_url) as store:
        clock = datetime.fromisoformat(store.get_run(run_id).snapshot["clock"].replace("Z", "+00:00"))
    home = tmp_path / "reference-home"
    with monkeypatch.context() as env:
        env.setenv("DOBO_HOME", str(home))
        env.delenv("DOBO_METADATA_URL")
        for args in (
            ["apply", str(ROOT / "examples/finance/catalog")],
            ["apply", str(ROOT / "tests/faults/catalog")],
            ["periods", "generate", "finance", "--from-year", "2026", "--to-year", "2026"],
        ):
            assert dobo(*args).exit_code == 0
        settings = Settings.from_env()
        with open_store(settings.metadata_url) as store:
            service = RunService(store, settings)
            reference = service.execute(service.create_run(PROJECT, PERIOD, clock=clock, run_id=run_id).id)
    assert reference.status == "completed", reference.error
    return home


# Every operation boundary (after operation n is durable: its trace, checkpoint and
# last_completed_operation, RUN-4; 0 is the load), each output write done but its step
# not durable yet, and the inside of each output file write (data in the temporary file,
# not renamed yet); each with the step a resume continues after under `checkpoints:
# operations`. Under `none` nothing is durable: every resume starts from resolution (D36).
# 20 and 70 overwrite, 40 appends.
KILL_POINTS = [
    ("after-operation:0", 0),
    ("after-operation:10", 10),
    ("after-operation:20", 20),
    ("after-operation:30", 30),
    ("after-operation:40", 40),
    ("after-operation:50", 50),
    ("after-operation:60", 60),
    ("after-operation:70", 70),
    ("output-written:20", 10),
    ("output-written:40", 30),
    ("output-written:70", 60),
    ("output-writing:20", 10),
    ("output-writing:40", 30),
    ("output-writing:70", 60),
]


@pytest.mark.parametrize("policy", ["operations", "none"])
@pytest.mark.parametrize(("point", "last_completed"), KILL_POINTS)
def test_a_killed_run_is_failed_as_worker_lost_and_resumes_to_an_uninterrupted_runs_result_RUN_7_D14_D36(
    catalog: dict[str, str],
    store_url: str,
    dobo_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    point: str,
    last_completed: int,
    policy: str,
) -> None:
    killed = spawn(catalog, {"DOBO_FAULT_AT": point}, "run", PROJECT, "--period", PERIOD, "--checkpoints", policy)
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL

    record = wait_for(reaped(only_run()["run_id"]), seconds=LEASE_SECONDS * 10)
    assert record["status"] == "failed" and record["error"]["code"] == "WorkerLost"
    assert record["error"]["rule"] == "RUN-5" and "worker lost" in record["error"]["message"]
    if policy == "operations":
        assert record["last_completed_operation"] == last_completed  # the checkpoints are kept for the resume
    else:  # nothing persisted before the end: no checkpoint, no trace file, resume from resolution (D36)
        assert record["last_completed_operation"] is None
        assert not (dobo_home / "checkpoints").exists()
        assert not (dobo_home / "trace" / f"run_id={record['run_id']}").exists()
    if point.startswith("output-writing"):  # killed inside the write: its temporary file is left behind
        assert temporary_files(dobo_home / "outputs")

    resumed = dobo("run", PROJECT, "--period", PERIOD, "--resume", record["run_id"], "--json")
    assert resumed.exit_code == 0, resumed.output
    final = json.loads(resumed.stdout)
    assert final["status"] == "completed" and final["attempt"] == 2

    reference = uninterrupted(store_url, final["run_id"], tmp_path, monkeypatch)  # under `operations`
    assert_same_frames(output_frames(dobo_home / "outputs"), output_frames(reference / "outputs"))
    run_trace = f"trace/run_id={final['run_id']}"
    assert_same_frames(trace_frames(dobo_home / run_trace), trace_frames(reference / run_trace))
    assert file_bytes(dobo_home / run_trace) == file_bytes(reference / run_trace)
    assert temporary_files(dobo_home / "outputs") == []  # swept by the rewrite


def test_a_killed_run_keeps_its_period_until_its_lease_expires_then_its_trace_reads_D15_RUN_5(
    catalog: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOBO_RUN_LEASE_SECONDS", "8")  # long enough to be observed before it expires
    env = {**catalog, "DOBO_RUN_LEASE_SECONDS": "8"}
    killed = spawn(env, {"DOBO_FAULT_AT": "after-operation:10"}, "run", PROJECT, "--period", PERIOD)
    killed.communicate(timeout=120)
    run_id = only_run()["run_id"]

    refused = dobo("run", PROJECT, "--period", PERIOD)
    assert refused.exit_code == 1 and "ConcurrentRunConflict" in refused.output
    assert only_run()["status"] == "running"

    record = wait_for(reaped(run_id), seconds=60)
    assert record["status"] == "failed" and record["error"]["operation_order"] == 20
    trace = dobo("trace", run_id, "--operation", "10", "--json")
    assert trace.exit_code == 0, trace.output
    assert len(json.loads(trace.stdout)) > 0
    assert dobo("run", PROJECT, "--period", PERIOD).exit_code == 0  # a new Run is let in (D15)


def test_cancelling_a_running_run_stops_it_at_the_next_boundary_and_keeps_the_period_busy_until_then_RUN_8_D15(
    catalog: dict[str, str], dobo_home: Path, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    held = spawn(
        catalog,
        {"DOBO_FAULT_HOLD": "after-operation:30", "DOBO_FAULT_RELEASE": str(release)},
        "run",
        PROJECT,
        "--period",
        PERIOD,
    )
    try:
        record = wait_for(lambda: next((r for r in runs() if r["last_completed_operation"] == 30), None))
        run_id = record["run_id"]

        asked = dobo("cancel", run_id)
        assert asked.exit_code == 0 and "cancel requested" in asked.output
        time.sleep(LEASE_SECONDS * 1.5)  # the process is alive: its heartbeat keeps the Run running
        record = only_run()
        assert record["status"] == "running" and record["cancel_requested"] is True
        refused = dobo("run", PROJECT, "--period", PERIOD)
        assert refused.exit_code == 1 and "ConcurrentRunConflict" in refused.output
    finally:
        release.touch()
    _, err = held.communicate(timeout=120)
    assert held.returncode == 1, err
    assert "cancelled after operation 30" in err

    record = only_run()
    assert record["status"] == "cancelled" and record["last_completed_operation"] == 30  # never completed
    assert not (dobo_home / "outputs" / PROJECT / PERIOD / "operation=70.parquet").exists()  # 40-70 never ran
    assert not (dobo_home / "checkpoints" / f"run_id={run_id}").exists()  # RUN-8: checkpoints discarded
    assert dobo("run", PROJECT, "--period", PERIOD).exit_code == 0  # the process has stopped: D15 lets a Run in


def test_cancelling_a_run_whose_process_is_gone_is_immediate_RUN_8(catalog: dict[str, str]) -> None:
    killed = spawn(catalog, {"DOBO_FAULT_AT": "after-operation:10"}, "run", PROJECT, "--period", PERIOD)
    killed.communicate(timeout=120)
    run_id = only_run()["run_id"]
    time.sleep(LEASE_SECONDS + 0.5)
    cancelled = dobo("cancel", run_id)
    assert cancelled.exit_code == 0 and f"Run {run_id} cancelled" in cancelled.output
    assert only_run()["status"] == "cancelled"


def _killed_and_reaped(catalog: dict[str, str], point: str) -> dict[str, Any]:
    killed = spawn(catalog, {"DOBO_FAULT_AT": point}, "run", PROJECT, "--period", PERIOD)
    killed.communicate(timeout=120)
    return wait_for(reaped(only_run()["run_id"]), seconds=LEASE_SECONDS * 10)


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_resume_refuses_a_missing_or_damaged_checkpoint_with_invalid_resume_point_RUN_7(
    catalog: dict[str, str], dobo_home: Path, damage: str
) -> None:
    record = _killed_and_reaped(catalog, "after-operation:30")
    checkpoint = dobo_home / "checkpoints" / f"run_id={record['run_id']}" / "operation=30.arrow"
    if damage == "missing":
        checkpoint.unlink()  # the checkpoint of operation 10 is still there: no silent resume from it
    else:
        checkpoint.write_bytes(checkpoint.read_bytes()[:100])

    refused = dobo("run", PROJECT, "--period", PERIOD, "--resume", record["run_id"])
    assert refused.exit_code == 2
    assert "InvalidResumePoint [RUN-7]" in refused.output and "after operation 30" in refused.output
    assert "Traceback" not in refused.output
    assert only_run()["status"] == "failed"


def test_a_failure_names_the_operation_its_type_and_name_RUN_5(catalog: dict[str, str]) -> None:
    rates = Path(catalog["DOBO_DATA_ROOT"]) / "examples/finance/data/reference/exchange_rates.parquet"
    rates.rename(rates.with_suffix(".gone"))
    failed = dobo("run", PROJECT, "--period", PERIOD)
    assert failed.exit_code == 1
    assert "failed at operation 10 (update 'convert to USD'): DataNotFound [RES-8]" in failed.output


def test_a_failure_before_the_first_operation_says_so_and_carries_the_rule_and_file_RUN_5(
    catalog: dict[str, str], store_url: str
) -> None:
    with open_store(store_url) as store:
        service = RunService(store, Settings.from_env())
        record = service.create_run(PROJECT, PERIOD)
        service.start(record.id)
        err = InvalidResumePoint("the checkpoint is damaged", rule="RUN-7", location=Location(file="/ck/op=0.arrow"))
        failed = service.fail(record.id, err)
    assert failed.error is not None and failed.error["rule"] == "RUN-7" and failed.error["file"] == "/ck/op=0.arrow"
    assert failure_summary(failed) == (
        f"Run {record.id} failed during load (before the first operation): "
        "InvalidResumePoint [RUN-7]: the checkpoint is damaged (/ck/op=0.arrow)"
    )
