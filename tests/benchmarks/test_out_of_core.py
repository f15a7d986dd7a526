"""The out-of-core benchmark: the capped run's summary is compared with the uncapped one's (issue #13 item 6)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from benchmarks import out_of_core

pytestmark = pytest.mark.slow


def _cgroups_writable() -> bool:
    try:
        group, _ = out_of_core.make_cgroup(f"dobo-probe-{uuid.uuid4().hex[:8]}", 2**30)
    except OSError:
        return False
    group.rmdir()
    return True


@pytest.mark.skipif(os.geteuid() != 0 or not _cgroups_writable(), reason="needs a writable memory cgroup")
def test_a_capped_run_finishes_with_the_summary_of_an_uncapped_one(tmp_path: Path, capsys) -> None:
    assert out_of_core.main(["--rows", "200000", "--cap-gib", "1", "--data", str(tmp_path / "data")]) == 0
    printed = capsys.readouterr().out
    assert "trace off, capped at 1.0 GiB" in printed and "summaries equal value for value (2,000 rows)" in printed


def test_a_capped_run_that_goes_over_its_cap_is_reported_as_failed(tmp_path: Path, monkeypatch, capsys) -> None:
    def killed(data: Path, work: Path, group: Path | None, trace: bool = False) -> dict[str, object]:
        return {"exit": -9, "wall_s": 1.0, "stderr": "Killed"} if group is not None else {"exit": 0}

    monkeypatch.setattr(out_of_core, "run_dobo", killed)
    monkeypatch.setattr(out_of_core, "make_cgroup", lambda name, cap: (tmp_path / "group", "v1"))
    (tmp_path / "group").mkdir()
    assert out_of_core.main(["--rows", "1000", "--data", str(tmp_path / "data")]) == 1
