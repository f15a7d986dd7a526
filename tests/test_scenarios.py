"""Every scenario file under tests/scenarios/ is its own pytest item (scenarios.md §8).

A scenario that does not pass fails its item with the same text `dobo test` prints.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dobo_engine.harness.discovery import discover
from dobo_engine.harness.report import render_result
from dobo_engine.harness.runner import run_scenario

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
FILES = discover([SCENARIOS])


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SCENARIOS)) for p in FILES])
def test_scenario(path: Path, tmp_path: Path) -> None:
    result = run_scenario(path, snapshot_dir=tmp_path / "snapshots")
    if result.status != "pass":
        pytest.fail(render_result(result, max_diffs=50), pytrace=False)
