"""`make run`: the example Runs are made once, in Dagster; a warm start skips them (scripts/dagster_dev.py --run-example)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))

from run_example import PERIODS, pending_runs  # noqa: E402


def prepare(home: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOBO_", "DAGSTER_"))}
    env |= {"DOBO_HOME": str(home), "DOBO_DATA_ROOT": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dagster_dev.py"), "--run-example", "--no-serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_pending_runs_are_those_without_a_completed_run_of_the_current_version() -> None:
    projects = [{"id": "a", "version": 2}, {"id": "b", "version": 1}]
    completed = [
        {"project_id": "a", "project_version": 1, "period": PERIODS[0]},  # an older version: run again
        {"project_id": "b", "project_version": 1, "period": PERIODS[0]},
    ]
    todo = pending_runs(projects, completed)
    assert ("a", PERIODS[0]) in todo and ("b", PERIODS[0]) not in todo
    assert len(todo) == 2 * len(PERIODS) - 1


def test_example_runs_are_made_once_and_skipped_when_done(tmp_path) -> None:
    home = tmp_path / "dobo-home"
    cold = prepare(home)
    assert cold.count("$ dobo run ") == 4 * len(PERIODS), cold
    warm = prepare(home)
    assert "$ dobo run " not in warm and f"{4 * len(PERIODS)} example Runs already done" in warm, warm


def _serve(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOBO_", "DAGSTER_"))}
    env |= {"DOBO_HOME": str(home), "DOBO_DATA_ROOT": str(ROOT)}
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "dagster_dev.py"), "--run-example", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


MONTHS = [p for p in PERIODS if "Q" not in p]  # the jobs' partitions; quarters run with `dobo run`


def _one_start(home: Path, log: Path, cold: bool) -> None:
    from dagster_dev_server import DagsterDev, free_port, script

    port = free_port()
    began = time.monotonic()
    proc = _serve(home, port, log)
    server = DagsterDev(url=f"http://127.0.0.1:{port}", dobo_home=home, dagster_home=home / "dagster", log=log)
    try:
        server.wait_until("the UI", lambda: server.query("{ version }").get("version"), 300)
        print(f"{'cold' if cold else 'warm'} start: the UI answered after {time.monotonic() - began:.1f} s")
        if not cold:
            time.sleep(20)  # a launcher would have launched by now
            assert f"{4 * len(PERIODS)} example Runs already done" in log.read_text(errors="replace")
            assert len(server.runs({})) == 4 * len(MONTHS)  # the cold start's runs only: nothing new
            return
        runs = server.wait_until(
            "the example runs in Dagster",
            lambda: (lambda rs: rs if len(rs) == 4 * len(MONTHS) else None)(server.runs({})),
            timeout=300,
        )
        done = server.wait_for_runs([r["runId"] for r in runs], timeout=600)
        assert {r["jobName"] for r in done} == {
            "prj_fx_usd",
            "prj_monthly_summary",
            "prj_budget_vs_actual",
            "prj_review_flags",
        }
        server.wait_until(
            "the quarter Runs made with dobo run",
            lambda: (
                log.read_text(errors="replace").count("$ dobo run ") == 4 * (len(PERIODS) - len(MONTHS))
                and len(_completed(home)) == 4 * len(PERIODS)
            ),
            timeout=300,
        )
    finally:
        script.stop(proc)


def test_make_run_launches_the_example_runs_in_dagster_once_and_a_warm_start_launches_none(tmp_path) -> None:
    """`make run PORT=…`: the example Runs are Dagster runs (the Runs page shows them); a second start skips them."""
    home, log = tmp_path / "dobo-home", tmp_path / "make-run.log"
    _one_start(home, log, cold=True)
    _one_start(home, log, cold=False)


def _completed(home: Path) -> list[object]:
    from dobo_engine.store.api import open_store

    store = open_store(f"sqlite:///{home / 'metadata.db'}")
    try:
        return store.list_runs(status="completed")
    finally:
        store.close()
