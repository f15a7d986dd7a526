"""D15 in the run queue: DoboRunCoordinator on a real Dagster instance configured by deploy/dagster.yaml."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.test_utils import instance_for_test

from dobo_dagster.run_coordinator import DoboRunCoordinator
from dobo_dagster.translator import TAG_PROJECT_PERIOD as PROJECT_PERIOD_TAG
from dobo_dagster.translator import DoboTranslator
from dobo_engine.errors import ConcurrentRunConflict


def project_period_tags(project: str, period: str) -> dict[str, str]:
    return DoboTranslator().run_tags(project, "finance", period)


@pytest.fixture(scope="module")
def instance():
    overrides = yaml.safe_load((Path(__file__).resolve().parents[3] / "deploy" / "dagster.yaml").read_text())
    with instance_for_test(overrides=overrides) as instance:
        yield instance


@pytest.fixture
def project() -> str:
    """A Project id of its own per test, so tests sharing the instance do not hold each other's Periods."""
    return f"prj-{uuid.uuid4().hex[:8]}"


def _submit(instance: DagsterInstance, run):
    return instance.submit_run(run.run_id, workspace=None)


def test_instance_uses_the_dobo_coordinator_with_the_tag_limit(instance: DagsterInstance) -> None:
    assert isinstance(instance.run_coordinator, DoboRunCoordinator)
    queue = instance.get_concurrency_config().run_queue_config
    assert queue is not None
    assert {"key": PROJECT_PERIOD_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in list(
        queue.tag_concurrency_limits
    )


def test_second_run_of_a_queued_project_period_is_refused(instance, create_dobo_run, project) -> None:
    tags = project_period_tags(project, "2026-01")
    first = _submit(instance, create_dobo_run(instance, project, tags))
    assert first.status == DagsterRunStatus.QUEUED

    second = create_dobo_run(instance, project, tags)
    with pytest.raises(ConcurrentRunConflict) as refused:
        _submit(instance, second)
    message = str(refused.value)
    assert f"Project '{project}'" in message and "Period '2026-01' of Calendar 'finance'" in message
    assert first.run_id in message
    assert refused.value.code == "ConcurrentRunConflict"
    assert refused.value.payload["run_id"] == first.run_id
    # Dagster records the refusal on the run itself: failed, with the reason in its event log.
    assert instance.get_run_by_id(second.run_id).status == DagsterRunStatus.FAILURE
    logged = [e.message for e in instance.all_logs(second.run_id)]
    assert any("already has a queued or running Run" in (m or "") for m in logged)
    assert instance.get_run_by_id(first.run_id).status == DagsterRunStatus.QUEUED


@pytest.mark.parametrize("status", [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING])
def test_a_started_run_holds_its_project_period(instance, create_dobo_run, project, status) -> None:
    tags = project_period_tags(project, "2026-Q1")
    holder = create_dobo_run(instance, project, tags, status=status)
    with pytest.raises(ConcurrentRunConflict, match=holder.run_id):
        _submit(instance, create_dobo_run(instance, project, tags))


def test_other_periods_projects_and_untagged_runs_are_not_held(instance, create_dobo_run, project) -> None:
    _submit(instance, create_dobo_run(instance, project, project_period_tags(project, "2026-01")))
    for other, period in [(project, "2026-02"), (f"{project}-b", "2026-01")]:
        run = _submit(instance, create_dobo_run(instance, other, project_period_tags(other, period)))
        assert run.status == DagsterRunStatus.QUEUED
    for _ in range(2):
        untagged = create_dobo_run(instance, f"{project}-untagged", {})
        assert _submit(instance, untagged).status == DagsterRunStatus.QUEUED


def test_a_finished_or_cancelled_run_frees_its_project_period(instance, create_dobo_run, project) -> None:
    tags = project_period_tags(project, "2026-01")
    first = _submit(instance, create_dobo_run(instance, project, tags))
    assert instance.run_coordinator.cancel_run(first.run_id)
    assert instance.get_run_by_id(first.run_id).status == DagsterRunStatus.CANCELED
    second = _submit(instance, create_dobo_run(instance, project, tags))
    assert second.status == DagsterRunStatus.QUEUED
    done = create_dobo_run(instance, project, project_period_tags(project, "2026-03"))
    instance.report_run_failed(done)
    assert _submit(instance, create_dobo_run(instance, project, project_period_tags(project, "2026-03")))


def test_message_falls_back_to_job_name_and_partition(instance, create_dobo_run, project) -> None:
    tags = {PROJECT_PERIOD_TAG: f"{project}|2025-12", "dagster/partition": "2025-12"}
    _submit(instance, create_dobo_run(instance, project, tags))
    with pytest.raises(ConcurrentRunConflict, match=rf"Project '{project}' .* Period '2025-12'"):
        _submit(instance, create_dobo_run(instance, project, tags))
