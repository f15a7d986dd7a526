"""Safe launches (D13, D16): run config names only the Project version and Period; the snapshot is the store's.

A launch cannot smuggle a snapshot or `sandbox: false` into a Run: such config
is refused before a run exists, and whatever a launcher may choose, a draft
Project writes to the sandbox only. A launch without a partition is refused
before a run exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInvalidConfigError, DagsterRunStatus

from dobo_engine.settings import Settings
from tests.dagster.helpers import service

DRAFT_JOB, DRAFT = "prj_review_flags", "prj-review-flags"


def _files(root: str) -> list[Path]:
    return sorted(Path(root).rglob("*.parquet")) if Path(root).exists() else []


def _config(location, job: str, period: str) -> dict:
    return location.get_job_def(job).partitioned_config.get_run_config_for_partition_key(period)


def test_run_config_carries_only_the_launchers_choices(location):
    config = _config(location, DRAFT_JOB, "2026-01")
    assert config == {"resources": {"dobo": {"config": {"project": DRAFT, "version": 1, "period": "2026-01"}}}}


def test_a_launch_without_a_partition_is_refused_before_a_run_exists(location, instance):
    with pytest.raises(DagsterInvalidConfigError, match="period"):
        location.get_job_def("prj_fx_usd").execute_in_process(instance=instance)
    assert instance.get_runs() == [] and service().store.list_runs() == []


@pytest.mark.parametrize(
    "edit",
    [
        {"sandbox": False},
        {"snapshot": '{"project_id": "prj-review-flags", "sandbox": false}'},
    ],
)
def test_an_edited_snapshot_or_sandbox_false_is_refused_before_a_run_exists(location, instance, edit):
    config = _config(location, DRAFT_JOB, "2026-01")
    config["resources"]["dobo"]["config"].update(edit)
    with pytest.raises(DagsterInvalidConfigError, match=next(iter(edit))):
        location.get_job_def(DRAFT_JOB).execute_in_process(
            run_config=config, partition_key="2026-01", instance=instance
        )
    assert service().store.list_runs() == []
    assert _files(Settings.from_env().output_root) == [] and _files(Settings.from_env().sandbox_root) == []


def test_a_draft_project_writes_to_the_sandbox_only_whatever_is_chosen(location, instance):
    config = _config(location, DRAFT_JOB, "2026-01")
    config["resources"]["dobo"]["config"].update({"trace": True, "checkpoints": "none"})
    result = location.get_job_def(DRAFT_JOB).execute_in_process(
        run_config=config, partition_key="2026-01", instance=instance
    )
    assert result.success
    record = service().store.get_run(result.run_id)
    assert record.status == "completed" and record.sandbox and record.snapshot["sandbox"] is True
    settings = Settings.from_env()
    assert _files(settings.output_root) == []  # nothing at the production destinations (D16)
    assert _files(settings.sandbox_root) and all(result.run_id in str(p) for p in _files(settings.sandbox_root))
    outputs = [m for m in result.get_asset_materialization_events() if m.asset_key.path[1] != "trace"]
    assert outputs == []  # no production materialisation


def test_a_draft_job_cannot_run_another_project(location, instance):
    config = _config(location, DRAFT_JOB, "2026-01")
    config["resources"]["dobo"]["config"]["project"] = "prj-fx-usd"
    result = location.get_job_def(DRAFT_JOB).execute_in_process(
        run_config=config, partition_key="2026-01", instance=instance, raise_on_error=False
    )
    assert not result.success
    assert "this job runs Project 'prj-review-flags'" in str(result.failure_data_for_node("load").error)
    assert service().store.list_runs() == [] and _files(Settings.from_env().output_root) == []


def test_the_period_must_be_the_partition(location, instance):
    config = _config(location, "prj_fx_usd", "2026-02")
    result = location.get_job_def("prj_fx_usd").execute_in_process(
        run_config=config, partition_key="2026-01", instance=instance, raise_on_error=False
    )
    assert not result.success and service().store.list_runs() == []
    assert instance.get_run_by_id(result.run_id).status == DagsterRunStatus.FAILURE


def test_checkpoints_is_a_choice_of_two_policies(location, instance):
    config = _config(location, "prj_fx_usd", "2026-01")
    config["resources"]["dobo"]["config"]["checkpoints"] = "sometimes"
    with pytest.raises(DagsterInvalidConfigError, match="checkpoints"):
        location.get_job_def("prj_fx_usd").execute_in_process(
            run_config=config, partition_key="2026-01", instance=instance
        )
    tagged = location.get_job_def("prj_fx_usd").execute_in_process(
        partition_key="2026-01", instance=instance, tags={"dobo/checkpoints": "sometimes"}, raise_on_error=False
    )
    assert not tagged.success and "dobo/checkpoints must be" in str(tagged.failure_data_for_node("load").error)
    assert service().store.list_runs() == []
