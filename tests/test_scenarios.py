"""Every scenario file under tests/scenarios/ is its own pytest item, run by `dobo test` (scenarios.md §8).

Each scenario is executed once per pytest session, and through the command
users and CI run: one `dobo test tests/scenarios --format json` in a
subprocess produces every TestResult; each per-scenario item then passes or
fails with the same text `dobo test` prints for it. Running the scenarios
in-process per item as well would execute the suite twice for no new
evidence. When only some scenario items are selected (`-k`, a node id), the
command runs just those files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from dobo_engine.harness.discovery import discover
from dobo_engine.harness.report import render_result
from dobo_engine.harness.result import TestResult

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "scenarios"
FILES = discover([SCENARIOS])
FOLDER = str(SCENARIOS.relative_to(ROOT))


@dataclass(frozen=True)
class SuiteRun:
    """One `dobo test` invocation: what was asked, its exit code, summary and results by file."""

    args: list[str]
    exit_code: int
    summary: dict[str, int]
    results: dict[str, TestResult]
    stderr: str


def _selected_files(session: pytest.Session) -> list[Path] | None:
    """The scenario files of the selected items, or None when the whole folder is wanted."""
    here = sys.modules[__name__]
    mine = [item for item in session.items if isinstance(item, pytest.Function) and item.module is here]
    if any(item.originalname == test_dobo_test_runs_every_scenario_of_the_folder.__name__ for item in mine):
        return None
    picked = [item.callspec.params["path"] for item in mine if item.originalname == "test_scenario"]
    return None if len(picked) == len(FILES) else picked


@pytest.fixture(scope="session")
def suite_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    tmp = tmp_path_factory.mktemp("dobo-test")
    files = _selected_files(request.session)
    args = [FOLDER] if files is None else [str(f.relative_to(ROOT)) for f in files]
    report = tmp / "results.json"
    dobo = str(Path(sys.executable).parent / "dobo")
    done = subprocess.run(
        [dobo, "test", *args, "--format", "json", "--output", str(report), "--snapshot-dir", str(tmp / "snapshots")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert report.exists(), f"`dobo test` wrote no report (exit {done.returncode}):\n{done.stderr}"
    data = json.loads(report.read_text(encoding="utf-8"))
    results = {r["file"]: TestResult(**r) for r in data["results"]}
    return SuiteRun(args, done.returncode, data["summary"], results, done.stderr)


def test_dobo_test_runs_every_scenario_of_the_folder(suite_run: SuiteRun) -> None:
    """§8: `dobo test tests/scenarios` discovers every scenario file, runs each, and exits 0 when all pass."""
    assert suite_run.args == [FOLDER]
    assert suite_run.summary["total"] == len(FILES) >= 71
    assert suite_run.exit_code == 0, f"{suite_run.summary}\n{suite_run.stderr}"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SCENARIOS)) for p in FILES])
def test_scenario(path: Path, suite_run: SuiteRun) -> None:
    result = suite_run.results.get(str(path.relative_to(ROOT)))
    assert result is not None, f"`dobo test {' '.join(suite_run.args)}` did not report {path}"
    if result.status != "pass":
        pytest.fail(render_result(result, max_diffs=50), pytrace=False)
