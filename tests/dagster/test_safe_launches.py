"""Safe launches (D13, D16): run config holds only the trace and checkpoint switches; the snapshot is the store's.

The Project and version are the job's, the Period is the partition. A launch
cannot smuggle a snapshot, another Project or `sandbox: false` into a Run:
such config is refused before a run exists, and whatever a launcher may
choose, a draft Project writes to the sandbox only. A launch without a
partition runs nothing (the run queue refuses it before it starts,
`tests/dagster/deploy/test_deploy_run_coordinator.py`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInvalidConfigError

from dobo_engine.settings import Settings
from tests.dagster.helpers import service

DRAFT_JOB, DRAFT = "prj_review_flags", "prj-review-flags"


def _files(root: str) -> list[Path]:
    return sorted(Path(root).rglob("*.parquet")) if Path(root).exists() else []


def _config(location, job: str, period: str) -> dict:
    return location.resolve_job_def(job).partitioned_config.get_run_config_for_partition_key(period)


def _choices(**chosen: object) -> dict:
    return {"resources": {"dobo": {"config": chosen}}}


def test_run_config_carries_only_the_launchers_choices(location):
    assert _config(location, DRAFT_JOB, "2026-01") == {}  # the Period is the partition, the Project the job's
    job = location.resolve_job_def(DRAFT_JOB)
    fields = job.run_config_schema.config_type.fields["resources"].config_type.fields["dobo"]
    assert set(fields.config_type.fields["config"].config_type.fields) == {"trace", "checkpoints"}


def test_a_launch_without_a_partition_runs_nothing_and_says_so(location, instance):
    """Outside the run queue (which refuses it first, with dobo's message): the load step fails before
    any dobo Run exists, as Dagster cannot pick the partition of the Datasets the Project reads (their
    assets are partitioned like the Project's)."""
    result = location.resolve_job_def("prj_fx_usd").execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    assert "non-partitioned run" in str(result.failure_data_for_node("prj_fx_usd_ops.load").error)
    assert service().store.list_runs() == []


@pytest.mark.parametrize(
    "edit",
    [
        {"sandbox": False},
        {"snapshot": '{"project_id": "prj-review-flags", "sandbox": false}'},
        {"project": "prj-fx-usd"},
        {"version": 2},
        {"period": "2026-02"},
    ],
)
def test_an_edited_snapshot_project_or_sandbox_false_is_refused_before_a_run_exists_D13_D16(location, instance, edit):
    with pytest.raises(DagsterInvalidConfigError, match=next(iter(edit))):
        location.resolve_job_def(DRAFT_JOB).execute_in_process(
            run_config=_choices(**edit), partition_key="2026-01", instance=instance
        )
    assert instance.get_runs() == [] and service().store.list_runs() == []
    assert _files(Settings.from_env().output_root) == [] and _files(Settings.from_env().sandbox_root) == []


def test_a_draft_project_writes_to_the_sandbox_only_whatever_is_chosen(location, instance):
    result = location.resolve_job_def(DRAFT_JOB).execute_in_process(
        run_config=_choices(trace=True, checkpoints="none"), partition_key="2026-01", instance=instance
    )
    assert result.success
    record = service().store.get_run(result.run_id)
    assert record.status == "completed" and record.sandbox and record.snapshot["sandbox"] is True
    settings = Settings.from_env()
    assert _files(settings.output_root) == []  # nothing at the production destinations (D16)
    assert _files(settings.sandbox_root) and all(result.run_id in str(p) for p in _files(settings.sandbox_root))
    outputs = [m for m in result.get_asset_materialization_events() if m.asset_key.path[1] != "trace"]
    assert outputs == []  # no production materialisation


def test_checkpoints_is_a_choice_of_two_policies(location, instance):
    with pytest.raises(DagsterInvalidConfigError, match="checkpoints"):
        location.resolve_job_def("prj_fx_usd").execute_in_process(
            run_config=_choices(checkpoints="sometimes"), partition_key="2026-01", instance=instance
        )
    tagged = location.resolve_job_def("prj_fx_usd").execute_in_process(
        partition_key="2026-01", instance=instance, tags={"dobo/checkpoints": "sometimes"}, raise_on_error=False
    )
    assert not tagged.success and "dobo/checkpoints must be" in str(
        tagged.failure_data_for_node("prj_fx_usd_ops.load").error
    )
    assert service().store.list_runs() == []
