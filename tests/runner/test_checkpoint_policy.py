"""The durability policy of a Run (D36): chosen by setting or flag, recorded in the snapshot, same results."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result
from polars.testing import assert_frame_equal

from dobo_engine.cli.main import cli
from dobo_engine.errors import InvalidField
from dobo_engine.model.run import ProjectSnapshot
from dobo_engine.runner.service import RunService
from dobo_engine.settings import Settings
from dobo_engine.store.api import open_store

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2026-01"
CLOCK = datetime(2026, 2, 1, 6, 0, tzinfo=UTC)
# Every example Project, active or draft (a draft writes to the sandbox, D16).
PROJECTS = ("prj-fx-usd", "prj-budget-vs-actual", "prj-monthly-summary", "prj-review-flags")


def dobo(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def stored_snapshot(run_id: str) -> ProjectSnapshot:
    with open_store(Settings.from_env().metadata_url) as store:
        return ProjectSnapshot.model_validate(store.get_run(run_id).snapshot)


def test_the_setting_defaults_to_none_and_accepts_only_the_two_policies_D36(tmp_path: Path) -> None:
    assert Settings.from_env({"DOBO_HOME": str(tmp_path)}).checkpoints == "none"
    chosen = Settings.from_env({"DOBO_HOME": str(tmp_path), "DOBO_CHECKPOINTS": "Operations"})
    assert chosen.checkpoints == "operations"
    with pytest.raises(InvalidField, match="DOBO_CHECKPOINTS must be one of none, operations"):
        Settings.from_env({"DOBO_HOME": str(tmp_path), "DOBO_CHECKPOINTS": "steps"})


def test_a_snapshot_recorded_before_the_policy_keeps_a_checkpoint_per_operation_D36() -> None:
    old = ProjectSnapshot.model_validate(
        {
            "project_id": "prj",
            "project_version": 1,
            "input_dataset_id": "ds",
            "input_dataset_version": 1,
            "materialization": "eager",
            "operations": [],
            "period": {
                "identifier": "2026-01",
                "level": "month",
                "year": 2026,
                "sequence": 1,
                "start_date": "2026-01-01",
                "end_date": "2026-01-31",
            },
            "clock": "2026-02-01T06:00:00Z",
            "today": "2026-02-01",
        }
    )
    assert old.checkpoints == "operations"


def test_the_flag_then_the_setting_choose_the_policy_and_the_snapshot_records_it_D36(
    finance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = json.loads(dobo("run", "prj-fx-usd", "--period", PERIOD, "--json").stdout)
    assert stored_snapshot(default["run_id"]).checkpoints == "none"
    monkeypatch.setenv("DOBO_CHECKPOINTS", "operations")
    by_setting = json.loads(dobo("run", "prj-fx-usd", "--period", PERIOD, "--json").stdout)
    assert stored_snapshot(by_setting["run_id"]).checkpoints == "operations"
    by_flag = json.loads(dobo("run", "prj-fx-usd", "--period", PERIOD, "--checkpoints", "none", "--json").stdout)
    assert stored_snapshot(by_flag["run_id"]).checkpoints == "none"
    assert dobo("run", "prj-fx-usd", "--period", PERIOD, "--checkpoints", "steps").exit_code == 2


def test_progress_reports_every_operation_under_none_D36(finance: Path) -> None:
    result = dobo("run", "prj-budget-vs-actual", "--period", PERIOD, "--checkpoints", "none")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("  [")]
    orders = [int(line.split("]")[0].strip(" [")) for line in lines]
    assert orders == [0, 10, 20, 30, 40, 50] and all(" rows in" in line for line in lines)


def test_a_run_under_none_writes_no_checkpoint_and_its_whole_trace_at_the_end_D36(
    finance: Path, dobo_home: Path
) -> None:
    done = json.loads(dobo("run", "prj-budget-vs-actual", "--period", PERIOD, "--json").stdout)
    assert done["status"] == "completed" and done["last_completed_operation"] == 50
    assert not (dobo_home / "checkpoints").exists()
    trace = sorted(p.name for p in (dobo_home / "trace" / f"run_id={done['run_id']}").iterdir())
    assert trace == [f"operation={n}.parquet" for n in (0, 10, 20, 30, 40)]  # 50 is the output
    shown = dobo("trace", done["run_id"], "--operation", "30", "--json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)


def test_a_failed_run_under_none_leaves_no_checkpoint_nor_trace_and_resumes_from_resolution_D36_RUN_7(
    finance: Path, dobo_home: Path
) -> None:
    rates = finance / "reference/exchange_rates.parquet"
    rates.rename(rates.with_suffix(".gone"))
    failed = dobo("run", "prj-fx-usd", "--period", PERIOD, "--json")
    assert failed.exit_code == 1
    record = json.loads(failed.stdout)
    assert record["error"]["code"] == "DataNotFound" and record["error"]["operation_order"] == 10
    assert record["last_completed_operation"] is None  # nothing of the Run is durable
    assert not (dobo_home / "checkpoints").exists()
    assert not (dobo_home / "trace" / f"run_id={record['run_id']}").exists()

    rates.with_suffix(".gone").rename(rates)
    resumed = dobo("run", "prj-fx-usd", "--period", PERIOD, "--resume", record["run_id"])
    assert resumed.exit_code == 0, resumed.output
    assert "from resolution" in resumed.output and "[   0] load" in resumed.output  # the load runs again
    assert (dobo_home / "trace" / f"run_id={record['run_id']}" / "operation=10.parquet").exists()


def _run_every_project(home: Path, policy: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Each example Project run for the Period in a home of its own under `policy`; their run ids."""
    monkeypatch.setenv("DOBO_HOME", str(home))
    for args in (
        ["apply", str(ROOT / "examples/finance/catalog")],
        ["periods", "generate", "finance", "--from-year", "2026", "--to-year", "2026"],
    ):
        assert dobo(*args).exit_code == 0
    settings = Settings.from_env()
    ids = {}
    with open_store(settings.metadata_url) as store:
        service = RunService(store, settings)
        for n, project in enumerate(PROJECTS):
            # Row ids and trace rows derive from the Run id and clock (D26): the same in both homes.
            run_id = f"0196f0a2-6c1e-7d40-9a51-3b2f0c8e4d1{n}"
            created = service.create_run(project, PERIOD, clock=CLOCK, run_id=run_id, checkpoints=policy)  # type: ignore[arg-type]
            final = service.execute(created.id)
            assert final.status == "completed", final.error
            ids[project] = run_id
    return ids


def _files(home: Path) -> dict[str, Any]:
    return {
        str(p.relative_to(home)): p
        for folder in ("outputs", "sandbox", "trace")
        for p in sorted((home / folder).rglob("*.parquet"))
    }


def test_both_policies_give_the_same_outputs_and_trace_files_on_the_example_catalog_D36_D14(
    finance: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_every_project(tmp_path / "none", "none", monkeypatch)
    _run_every_project(tmp_path / "operations", "operations", monkeypatch)
    lean, durable = _files(tmp_path / "none"), _files(tmp_path / "operations")
    assert sorted(lean) == sorted(durable) and any(name.startswith("trace/") for name in lean)
    for name, path in lean.items():
        assert_frame_equal(pl.read_parquet(path), pl.read_parquet(durable[name]), check_exact=True)
        if name.startswith("trace/"):
            assert path.read_bytes() == durable[name].read_bytes(), name
    assert not (tmp_path / "none" / "checkpoints").exists()
