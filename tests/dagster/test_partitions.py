"""Partitions per Calendar level: a Project runs at one level (`dagster.partition_level`, default the leaf).

One partitions definition per (Calendar, level) in use, named
`dobo_periods_<calendar>_<level>`, kept equal to the store's Periods of that
level by the `dobo_period_sync` sensor; a Project's job uses its level's.
"""

from __future__ import annotations

from click.testing import CliRunner
from dagster import DynamicPartitionsDefinition, build_sensor_context

from dobo_dagster.definitions import build_definitions
from dobo_dagster.translator import DoboTranslator
from dobo_engine.cli.main import cli
from tests.dagster.conftest import sync_partitions
from tests.dagster.helpers import assert_same_as_dobo_run, service

QUARTERLY = "prj-budget-vs-actual"
MONTHS_2026 = [f"2026-{m:02d}" for m in range(1, 13)]


def set_dagster(project_id: str, settings: dict) -> None:
    """A new version of the Project declaring `settings` under its `dagster:` key."""
    store = service().store
    content = store.get_entity("project", project_id).content
    store.put_entity("project", project_id, {**content, "dagster": settings})


def partitions_of(defs, job: str) -> DynamicPartitionsDefinition:
    partitions = defs.resolve_job_def(job).partitions_def
    assert isinstance(partitions, DynamicPartitionsDefinition)
    return partitions


def test_partitions_are_named_per_calendar_and_level():
    t = DoboTranslator()
    assert t.partitions_name("finance", "month") == "dobo_periods_finance_month"
    assert t.partitions_name("finance", "quarter") == "dobo_periods_finance_quarter"
    assert t.partitions_name("retail-4-4-5", "week") == "dobo_periods_retail_4_4_5_week"


def test_default_is_the_calendars_leaf_level(location, instance):
    for job in ("prj_fx_usd", "prj_budget_vs_actual", "prj_monthly_summary", "prj_review_flags"):
        assert partitions_of(location, job).name == "dobo_periods_finance_month"
    month = instance.get_dynamic_partitions("dobo_periods_finance_month")
    assert month[-12:] == MONTHS_2026 and len(month) == 24  # months only: no year or quarter interleaved
    assert instance.get_dynamic_partitions("dobo_periods_finance_quarter") == []


def test_a_project_at_quarter_runs_quarters(finance, instance):
    set_dagster(QUARTERLY, {"partition_level": "quarter"})
    defs = build_definitions()
    sync_partitions(defs, instance)
    assert partitions_of(defs, "prj_budget_vs_actual").name == "dobo_periods_finance_quarter"
    assert partitions_of(defs, "prj_fx_usd").name == "dobo_periods_finance_month"
    assert instance.get_dynamic_partitions("dobo_periods_finance_quarter") == [
        f"{y}-Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)
    ]
    assert "2026-Q1" not in instance.get_dynamic_partitions("dobo_periods_finance_month")

    result = defs.resolve_job_def("prj_budget_vs_actual").execute_in_process(partition_key="2026-Q1", instance=instance)
    assert result.success
    record = service().store.get_run(result.run_id)
    assert record.period_identifier == "2026-Q1" and record.status == "completed"
    assert_same_as_dobo_run(result.run_id, QUARTERLY, "2026-Q1")


def test_an_unknown_level_or_a_schedule_at_another_level_leaves_only_that_project_out(finance):
    set_dagster(QUARTERLY, {"partition_level": "week"})
    set_dagster("prj-fx-usd", {"partition_level": "quarter", "schedule": {"level": "month"}})
    defs = build_definitions()
    jobs = {j.name for j in defs.resolve_all_job_defs()}
    assert "prj_budget_vs_actual" not in jobs and "prj_fx_usd" not in jobs and "prj_monthly_summary" in jobs
    checks = {c.asset_key.to_user_string() for c in defs.resolve_asset_graph().asset_check_keys}
    assert {"dobo/trace/prj_budget_vs_actual", "dobo/trace/prj_fx_usd"} <= checks


def test_sync_keeps_each_level_equal_to_the_stores_periods(finance, instance):
    set_dagster(QUARTERLY, {"partition_level": "quarter"})
    defs = build_definitions()
    sync_partitions(defs, instance)
    generated = CliRunner().invoke(cli, ["periods", "generate", "finance", "--from-year", "2027", "--to-year", "2027"])
    assert generated.exit_code == 0, generated.output
    sync_partitions(defs, instance)  # same definitions: no redeploy
    assert instance.get_dynamic_partitions("dobo_periods_finance_quarter")[-4:] == [f"2027-Q{q}" for q in (1, 2, 3, 4)]
    month = instance.get_dynamic_partitions("dobo_periods_finance_month")
    assert month[-12:] == [f"2027-{m:02d}" for m in range(1, 13)] and not [k for k in month if "Q" in k]
    tick = defs.get_sensor_def("dobo_period_sync").evaluate_tick(
        build_sensor_context(instance=instance, definitions=defs)
    )
    assert not tick.dynamic_partitions_requests  # both levels in sync
