"""D15 in the run queue: DoboRunCoordinator on a real Dagster instance configured by deploy/dagster.yaml.

The queue holds a second run of a Project and Period until the first has ended; the daemon's
dequeuing is exercised end to end in test_dagster_dev_e2e.py.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, DagsterInstance, DagsterRunStatus
from dagster._core.test_utils import instance_for_test

from dobo_dagster.run_coordinator import DoboRunCoordinator
from dobo_dagster.translator import TAG_PROJECT_PERIOD as PROJECT_PERIOD_TAG
from dobo_dagster.translator import DoboTranslator


def project_period_tags(project: str, period: str) -> dict[str, str]:
    return {**DoboTranslator().run_tags(project, "finance", period), "dagster/partition": period}


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


def test_second_run_of_a_project_period_waits_in_the_queue_without_error(instance, create_dobo_run, project) -> None:
    """D15 in Dagster: a second launch is queued behind the first (the tag limit), never refused or failed."""
    tags = project_period_tags(project, "2026-01")
    first = _submit(instance, create_dobo_run(instance, project, tags))
    second = _submit(instance, create_dobo_run(instance, project, tags))
    assert first.status == second.status == DagsterRunStatus.QUEUED
    for run in (first, second):
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.QUEUED


@pytest.mark.parametrize("status", [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING])
def test_a_launch_behind_a_started_run_is_queued(instance, create_dobo_run, project, status) -> None:
    tags = project_period_tags(project, "2026-Q1")
    create_dobo_run(instance, project, tags, status=status)
    assert _submit(instance, create_dobo_run(instance, project, tags)).status == DagsterRunStatus.QUEUED


@pytest.mark.parametrize(
    "limits",
    [
        None,
        [],
        [{"key": "team", "limit": 3}],
        [{"key": PROJECT_PERIOD_TAG, "limit": 5}],
    ],
)
def test_the_project_period_limit_is_always_in_force(limits) -> None:
    coordinator = DoboRunCoordinator(tag_concurrency_limits=limits)
    queue = coordinator.get_run_queue_config()
    held = [limit for limit in queue.tag_concurrency_limits if limit["key"] == PROJECT_PERIOD_TAG]
    assert held == [{"key": PROJECT_PERIOD_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]
    assert [limit for limit in queue.tag_concurrency_limits if limit["key"] == "team"] == [
        limit for limit in limits or [] if limit["key"] == "team"
    ]


def _trace_key(project: str) -> AssetKey:
    return DoboTranslator().trace_asset_key(project)


def test_an_asset_graph_launch_gets_the_jobs_queue_key_and_waits_behind_it_D15(
    instance, create_dobo_run, project
) -> None:
    job_launch = _submit(instance, create_dobo_run(instance, project, project_period_tags(project, "2026-02")))
    from_assets = create_dobo_run(
        instance, "__ASSET_JOB", {"dagster/partition": "2026-02"}, asset_selection={_trace_key(project)}
    )
    queued = _submit(instance, from_assets)
    assert queued.status == DagsterRunStatus.QUEUED
    assert queued.tags[PROJECT_PERIOD_TAG] == job_launch.tags[PROJECT_PERIOD_TAG]


def test_a_dobo_launch_without_a_partition_is_failed_before_it_starts_with_a_message(
    instance, create_dobo_run, project
):
    tags = {k: v for k, v in project_period_tags(project, "2026-03").items() if k != "dagster/partition"}
    refused = _submit(instance, create_dobo_run(instance, project, tags))
    assert refused.status == DagsterRunStatus.FAILURE
    messages = [e.message or "" for e in instance.all_logs(refused.run_id)]
    assert any("launch it for one partition" in m for m in messages), messages


def test_a_run_of_two_projects_assets_is_failed_before_it_starts_D21(instance, create_dobo_run, project) -> None:
    both = {_trace_key(project), _trace_key(project + "-other")}
    refused = _submit(
        instance, create_dobo_run(instance, "__ASSET_JOB", {"dagster/partition": "2026-01"}, asset_selection=both)
    )
    assert refused.status == DagsterRunStatus.FAILURE
    assert any("2 dobo Projects" in (e.message or "") for e in instance.all_logs(refused.run_id))


def test_a_run_of_other_assets_is_queued_untouched(instance, create_dobo_run) -> None:
    other = _submit(instance, create_dobo_run(instance, "__ASSET_JOB", {}, asset_selection={AssetKey(["elsewhere"])}))
    assert other.status == DagsterRunStatus.QUEUED and PROJECT_PERIOD_TAG not in other.tags
