"""Partitions sync, schedules, sensors and per-project error isolation, with Dagster's test contexts."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from dagster import DagsterRunStatus, build_schedule_context, build_sensor_context, instance_for_test

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
    # every example Project runs at the Calendar's leaf level: the months of 2025 and 2026
    assert instance.get_dynamic_partitions("dobo_periods_finance_month")[:2] == ["2025-01", "2025-02"]
    assert len(instance.get_dynamic_partitions("dobo_periods_finance_month")) == 2 * 12
    from click.testing import CliRunner

    from dobo_engine.cli.main import cli

    assert (
        CliRunner()
        .invoke(cli, ["periods", "generate", "finance", "--from-year", "2027", "--to-year", "2027"])
        .exit_code
        == 0
    )
    sync_partitions(location, instance)  # same definitions: no redeploy
    assert "2027-12" in instance.get_dynamic_partitions("dobo_periods_finance_month")
    tick = location.get_sensor_def("dobo_period_sync").evaluate_tick(
        build_sensor_context(instance=instance, definitions=location)
    )
    assert not tick.dynamic_partitions_requests  # nothing left to add


def test_schedules_and_sensors_are_off_unless_declared_and_never_for_drafts(location, finance, instance):
    # Always on: the Period sync, the two run-end sensors (nothing wedges) and the `dobo run` reporting;
    # they launch nothing.
    always = ["dobo_period_sync", "dobo_run_canceled", "dobo_run_failed", "dobo_cli_runs"]
    assert [s.name for s in location.sensors] == always and not location.schedules
    service().store.set_status("project", WATCHED, "draft")
    defs = build_definitions(Declared())  # declared, but the Project is a draft
    assert not defs.schedules and [s.name for s in defs.sensors] == always


def test_schedule_runs_each_due_period_once_however_often_it_ticks(finance):
    with instance_for_test() as instance:  # a schedule context needs an instance with a ref
        _check_schedule(instance, finance)


def _tick(schedule, defs, instance, day: int) -> list:  # type: ignore[no-untyped-def]
    ctx = build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2026, 3, day, 6, tzinfo=UTC),
        repository_def=defs.get_repository_def(),
    )
    return list(schedule(ctx))  # direct invocation keeps the instance


def _run(defs, instance, requests) -> None:  # type: ignore[no-untyped-def]
    """Execute what a tick requested, as the daemon would launch it."""
    for request in requests:
        result = defs.resolve_job_def("prj_fx_usd").execute_in_process(
            partition_key=request.partition_key, tags=request.tags, instance=instance
        )
        assert result.success


def _check_schedule(instance, finance) -> None:  # type: ignore[no-untyped-def]
    activate(WATCHED)
    defs = build_definitions(Declared())
    sync_partitions(defs, instance)
    schedule = defs.get_schedule_def("prj_fx_usd_schedule")
    assert defs.resolve_job_def("prj_fx_usd").tags["dagster-k8s/config"].count("2Gi") == 1
    # 3 March: January is due (offset 3 days), February ended 2 days ago; 2025-12 is due too
    # (not_before 2025-12-01) but its input files are not there: not requested, no failing run.
    first = _tick(schedule, defs, instance, 3)
    assert keys(first) == ["2026-01"]
    _run(defs, instance, [r for r in first if r.partition_key == "2026-01"])
    # The same tick again, and the next day's: January ran once and is never requested again.
    assert keys(_tick(schedule, defs, instance, 3)) == []
    second = _tick(schedule, defs, instance, 4)
    assert keys(second) == ["2026-02"]
    # A run requested but not finished counts too: it is running, so February is not requested again.
    pending = defs.resolve_job_def("prj_fx_usd")
    instance.create_run_for_job(
        pending,
        run_config=pending.partitioned_config.get_run_config_for_partition_key("2026-02"),
        tags={**DoboTranslator().run_tags(WATCHED, "finance", "2026-02"), "dagster/partition": "2026-02"},
        status=DagsterRunStatus.STARTED,
    )
    assert keys(_tick(schedule, defs, instance, 4)) == []
    # A changed input file makes its Period due again, once.
    changed = finance / "2026/01/transactions.csv"
    os.utime(changed, (changed.stat().st_atime, time.time() + 60))  # written after the run read it
    again = _tick(schedule, defs, instance, 5)
    assert keys(again) == ["2026-01"]
    _run(defs, instance, [r for r in again if r.partition_key == "2026-01"])
    assert keys(_tick(schedule, defs, instance, 6)) == []
    assert len(service().store.list_runs(project_id=WATCHED, period_identifier="2026-01")) == 2
    # The input files of 2025-12 arrive: due at once. Locked, it never runs.
    arrived = finance / "2025/12/transactions.csv"
    arrived.parent.mkdir(parents=True)
    arrived.write_bytes((finance / "2026/01/transactions.csv").read_bytes())
    assert keys(_tick(schedule, defs, instance, 6)) == ["2025-12"]
    service().store.set_period_status("finance", "2025-12", "closed")
    service().store.set_period_status("finance", "2025-12", "locked")  # locked Periods never run
    assert keys(_tick(schedule, defs, instance, 6)) == []


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
    # Once February ran with these files, even a sensor that lost its cursor does not repeat it.
    _run(defs, instance, third.run_requests)
    lost = sensor(build_sensor_context(instance=instance, definitions=defs))
    assert keys(lost.run_requests) == ["2026-01", "2026-03"]


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


class DeclaredFromNow(DoboTranslator):
    """A schedule declared with neither `not_before` nor `catch_up`, or with `catch_up: true`."""

    catch_up = False

    def dagster_settings(self, project):  # type: ignore[no-untyped-def]
        if project.id != WATCHED:
            return DagsterSettings()
        return settings_of({"schedule": {"level": "month", "offset_days": 3, "catch_up": self.catch_up}})


class DeclaredCatchUp(DeclaredFromNow):
    catch_up = True


def test_declared_schedule_starts_from_now_unless_the_project_asks_to_catch_up(finance):
    """Periods that ended before the Project version declaring the schedule was stored are left alone."""
    stored = service().store.version_created_at("project", WATCHED, 1)
    with instance_for_test() as instance:
        activate(WATCHED)
        defs = build_definitions(DeclaredFromNow())
        sync_partitions(defs, instance)
        schedule = defs.get_schedule_def("prj_fx_usd_schedule")
        # Ticking when the version was stored: every Period that ended before is left alone.
        assert keys(_tick_on(schedule, defs, instance, stored)) == []
        caught_up = build_definitions(DeclaredCatchUp())
        ended = keys(_tick_on(caught_up.get_schedule_def("prj_fx_usd_schedule"), caught_up, instance, stored))
        assert ended == ["2026-01", "2026-02", "2026-03"]  # every ended month whose input files are there


def _tick_on(schedule, defs, instance, when: datetime) -> list:  # type: ignore[no-untyped-def]
    ctx = build_schedule_context(
        instance=instance,
        scheduled_execution_time=when.replace(tzinfo=UTC),
        repository_def=defs.get_repository_def(),
    )
    return list(schedule(ctx))


def test_a_period_done_with_dobo_run_is_not_requested_until_its_inputs_change(finance):
    """A completed `dobo run` of the same Project version after the inputs last changed counts as done."""
    from tests.dagster.helpers import dobo_run

    with instance_for_test() as instance:
        activate(WATCHED)
        defs = build_definitions(Declared())
        sync_partitions(defs, instance)
        schedule = defs.get_schedule_def("prj_fx_usd_schedule")
        assert keys(_tick(schedule, defs, instance, 3)) == ["2026-01"]
        dobo_run(WATCHED, "2026-01")  # outside Dagster
        assert keys(_tick(schedule, defs, instance, 3)) == []
        changed = finance / "2026/01/transactions.csv"
        os.utime(changed, (changed.stat().st_atime, time.time() + 60))  # written after that Run read it
        assert keys(_tick(schedule, defs, instance, 3)) == ["2026-01"]
