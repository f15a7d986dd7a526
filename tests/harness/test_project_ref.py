"""A scenario may test a stored Project instead of an inline one: `project: {ref: {id, version}}` (scenarios.md §1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from dobo_engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
WORKED = ROOT / "tests" / "scenarios" / "finance" / "fx_conversion_worked.yaml"


@pytest.fixture
def stored_catalog(dobo_home: Path) -> Path:
    """The example finance catalog applied to an isolated store; prj-fx-usd is version 1."""
    result = CliRunner().invoke(cli, ["apply", str(ROOT / "examples" / "finance" / "catalog")])
    assert result.exit_code == 0, result.output
    return dobo_home


def scenario_for(ref: dict[str, Any], tmp_path: Path) -> Path:
    """The worked FX scenario, pointed at the stored prj-fx-usd instead of its inline Project.

    The stored Project outputs two more columns (posting_date, account_code), so
    the input Dataset gains them and the comparison is subset; its operations
    are numbered 10 and 20.
    """
    data = yaml.safe_load(WORKED.read_text(encoding="utf-8"))
    data["project"] = {"ref": ref}
    data["input"]["dataset"]["main_table"]["columns"] += [
        {"name": "posting_date", "type": "date"},
        {"name": "account_code", "type": "string"},
    ]
    for event in data["expected_trace"]:
        event["operation_order"] = 10
    data["config"]["match_mode"] = "subset"
    path = tmp_path / "stored_fx.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run(path: Path, tmp_path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["test", str(path), "--snapshot-dir", str(tmp_path / "snaps")])
    return result.exit_code, result.output


def test_a_stored_project_runs_on_the_scenario_data_sc_1(stored_catalog: Path, tmp_path: Path) -> None:
    code, out = run(scenario_for({"id": "prj-fx-usd", "version": 1}, tmp_path), tmp_path)
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "1 passed, 0 failed, 0 errors"


def test_a_stored_project_gives_the_stored_numbers_sc_1(stored_catalog: Path, tmp_path: Path) -> None:
    path = scenario_for({"id": "prj-fx-usd"}, tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("9282.0", "9282.01", 1), encoding="utf-8")
    code, out = run(path, tmp_path)
    assert code == 1, out
    assert "value_mismatch" in out and "JE-002" in out


def test_an_unknown_stored_project_is_a_located_error_sc_1(stored_catalog: Path, tmp_path: Path) -> None:
    code, out = run(scenario_for({"id": "prj-nope"}, tmp_path), tmp_path)
    assert code == 2, out
    assert "ProjectNotFound" in out and "prj-nope" in out and "project.ref" in out


def test_a_pinned_version_that_does_not_exist_is_a_located_error_sc_1(stored_catalog: Path, tmp_path: Path) -> None:
    code, out = run(scenario_for({"id": "prj-fx-usd", "version": 7}, tmp_path), tmp_path)
    assert code == 2, out
    assert "ProjectNotFound" in out and "version 7" in out
