"""Partitions sync, schedules, sensors and per-project error isolation, with Dagster's test contexts."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from dagster import build_schedule_context, build_sensor_context, instance_for_test

from dobo_dagster import DagsterSettings, DoboTranslator
from dobo_dagster.definitions import build_definitions
from dobo_dagster.settings import settings_of
from tests.dagster.conftest import sync_partitions
from tests.dagster.helpers import service

WATCHED = "prj-fx-usd"


class Declared(DoboTranslator):
    """Declares schedule, sensor and pod settings for one watched Project only."""

    def dagster_settings(self, project):  # type: ignore[no-untyped-def]
        if project.id != WATCHED:
            return DagsterSettings()
        return settings_of(
            {
                "schedule": {"level": "month", "offset_days": 3, "not_before": "2025-12-01"},
                "sensor": {"level": "month"},
                "pod": {"memory_limit": "2Gi"},
            }
        )


def activate(project_id: str) -> None:
    service().store.set_status("project", project_id, "active")


def keys(requests) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.partition_key for r in requests]


def test_new_periods_become_partitions_after_the_sync_sensor_ticks(location, instance):
    assert "2026-Q1" in instance.get_dynamic_partitions("dobo_periods_finance")
    assert len(instance.get_dynamic_partitions("dobo_periods_finance")) == 2 * (1 + 4 + 12)
    from click.testing import CliRunner

    from dobo_engine.cli.main import cli

    assert (
        CliRunner()
        .invoke(cli, ["periods", "generate", "finance", "--from-year", "2027", "--to-year", "2027"])
        .exit_code
        == 0
    )
    sync_partitions(location, instance)  # same definitions: no redeploy
    assert "2027-12" in instance.get_dynamic_partitions("dobo_periods_finance")
    tick = location.get_sensor_def("dobo_period_sync").evaluate_tick(
        build_sensor_context(instance=instance, definitions=location)
    )
    assert not tick.dynamic_partitions_requests  # nothing left to add


def test_schedules_and_sensors_are_off_unless_declared_and_never_for_drafts(location, finance, instance):
    # Always on: the Period sync and the two run-end sensors (nothing wedges); they launch nothing.
    always = ["dobo_period_sync", "dobo_run_canceled", "dobo_run_failed"]
    assert [s.name for s in location.sensors] == always and not location.schedules
    service().store.set_status("project", WATCHED, "draft")
    defs = build_definitions(Declared())  # declared, but the Project is a draft
    assert not defs.schedules and [s.name for s in defs.sensors] == always


def test_schedule_requests_each_ended_period_once_with_offset(finance):
    with instance_for_test() as instance:  # a schedule context needs an instance with a ref
        _check_schedule(instance)


def _check_schedule(instance) -> None:  # type: ignore[no-untyped-def]
    activate(WATCHED)
    defs = build_definitions(Declared())
    sync_partitions(defs, instance)
    schedule = defs.get_schedule_def("prj_fx_usd_schedule")
    assert defs.get_job_def("prj_fx_usd").tags["dagster-k8s/config"].count("2Gi") == 1
    when = datetime(2026, 3, 3, 6, tzinfo=UTC)  # February ended 2 days ago: offset 3 not reached
    ctx = build_schedule_context(
        instance=instance, scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    requests = list(schedule(ctx))  # direct invocation keeps the ephemeral instance
    assert keys(requests) == ["2025-12", "2026-01"]
    assert [r.run_key for r in requests] == ["prj-fx-usd:2025-12", "prj-fx-usd:2026-01"]
    service().store.set_period_status("finance", "2026-01", "closed")
    service().store.set_period_status("finance", "2026-01", "locked")  # locked Periods never run
    later = build_schedule_context(
        instance=instance,
        repository_def=defs.get_repository_def(),
        scheduled_execution_time=datetime(2026, 3, 4, 6, tzinfo=UTC),
    )
    assert keys(list(schedule(later))) == ["2025-12", "2026-02"]


def test_upstream_data_sensor_requests_changed_periods_only(finance, instance):
    activate(WATCHED)
    defs = build_definitions(Declared())
    sync_partitions(defs, instance)
    sensor = defs.get_sensor_def("prj_fx_usd_upstream_data")
    first = sensor(build_sensor_context(instance=instance, definitions=defs))
    assert keys(first.run_requests) == ["2026-01", "2026-02", "2026-03"]  # the months with files
    second = sensor(build_sensor_context(instance=instance, definitions=defs, cursor=first.cursor))
    assert second.run_requests == []
    changed = finance / "2026/02/transactions.parquet"
    os.utime(changed, (changed.stat().st_atime, changed.stat().st_mtime + 60))
    third = sensor(build_sensor_context(instance=instance, definitions=defs, cursor=second.cursor))
    assert keys(third.run_requests) == ["2026-02"]
    assert third.run_requests[0].run_key != first.run_requests[1].run_key


def test_a_broken_project_does_not_break_the_location(finance, instance):
    store = service().store
    content = store.get_entity("project", "prj-fx-usd").content
    store.put_entity("project", "prj-broken", {**content, "id": "prj-broken", "calendar_id": "no-such-calendar"})

    class Broken(DoboTranslator):
        def job_name(self, project_id: str) -> str:
            if project_id == "prj-monthly-summary":
                raise RuntimeError("cannot name this job")
            return super().job_name(project_id)

    defs = build_definitions(Broken())
    names = {j.name for j in defs.resolve_all_job_defs()}
    assert {"prj_fx_usd", "prj_budget_vs_actual", "prj_review_flags"} <= names
    assert "prj_monthly_summary" not in names
    checks = {c.asset_key.to_user_string() for c in defs.resolve_asset_graph().asset_check_keys}
    assert "dobo/trace/prj_monthly_summary" in checks
