"""`make run`: the example Runs are made once; a warm start skips them (scripts/dagster_dev.py --run-example)."""

from __future__ import annotations

import os
import subprocess
import sys
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
