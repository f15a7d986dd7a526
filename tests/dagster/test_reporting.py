"""Runs made with `dobo run` are reported to Dagster once, as materializations of the same assets,
and as observations of the source Datasets they read (their data version for the Period)."""

from __future__ import annotations

from dagster import AssetKey, AssetMaterialization, AssetObservation, build_sensor_context

from tests.dagster.helpers import dobo_run
from tests.dagster.test_dataset_observations import GL, fingerprint, touch

PROJECT, JOB = "prj-monthly-summary", "prj_monthly_summary"
TRACE = AssetKey(["dobo", "trace", JOB])
OUTPUTS = {
    AssetKey(["dobo", "output", JOB, "default", "write_summary"]),
    AssetKey(["dobo", "output", JOB, "finance_reports", "monthly_summary"]),
}


def tick(defs, instance, cursor: str | None):
    """One tick of `dobo_cli_runs`, its events stored as the sensor daemon stores them."""
    sensor = defs.get_sensor_def("dobo_cli_runs")
    result = sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs, cursor=cursor))
    for event in result.asset_events:
        instance.report_runless_asset_event(event)
    return result.asset_events, result.cursor


def materialized(events) -> list[AssetMaterialization]:  # type: ignore[no-untyped-def]
    return [e for e in events if isinstance(e, AssetMaterialization)]


def observed(events) -> list[AssetObservation]:  # type: ignore[no-untyped-def]
    return [e for e in events if isinstance(e, AssetObservation)]


def test_a_dobo_run_is_reported_exactly_once_and_dagster_runs_are_not(location, instance):
    made_in_dagster = location.resolve_job_def(JOB).execute_in_process(partition_key="2026-02", instance=instance)
    cli_run = dobo_run(PROJECT, "2026-01")

    events, cursor = tick(location, instance, None)
    assert {e.asset_key for e in materialized(events)} == {TRACE, *OUTPUTS} and len(materialized(events)) == 3
    assert [e.asset_key for e in observed(events)] == [GL]  # the Dataset it read
    assert {e.partition for e in events} == {"2026-01"}
    assert {e.metadata["dobo/run_id"].value for e in events} == {cli_run}
    assert {e.metadata["dobo/made_by"].value for e in events} == {"dobo run"}
    (trace,) = [e for e in events if e.asset_key == TRACE]
    assert trace.metadata["dagster/uri"].value.endswith(f"run_id={cli_run}")
    (default,) = [e for e in events if e.asset_key.path[-2:] == ["default", "write_summary"]]
    assert default.metadata["dagster/row_count"].value > 0
    assert [c.name for c in default.metadata["dagster/column_schema"].value.columns][:2] == ["_period", "account_type"]
    assert default.metadata["dagster/column_lineage"].value.deps_by_column["total_local"]

    # the instance now shows the Period materialized by that Run, and the Dagster run's own events only once
    latest = instance.get_latest_materialization_event(TRACE)
    assert latest.asset_materialization.metadata["dobo/run_id"].value == cli_run
    assert set(instance.get_materialized_partitions(TRACE)) == {"2026-01", "2026-02"}
    assert made_in_dagster.success

    again, cursor = tick(location, instance, cursor)  # nothing new: nothing reported twice
    assert again == []
    second = dobo_run(PROJECT, "2026-03")
    events, cursor = tick(location, instance, cursor)
    assert {e.metadata["dobo/run_id"].value for e in events} == {second} and len(materialized(events)) == 3
    assert tick(location, instance, cursor)[0] == []


def test_a_dobo_run_of_a_period_outside_the_projects_partition_level_is_not_reported(location, instance):
    dobo_run(PROJECT, "2026-Q1")  # `dobo run` takes any Period; the Project's partitions are months
    month = dobo_run(PROJECT, "2026-01")
    events, _ = tick(location, instance, None)
    assert {e.partition for e in events} == {"2026-01"}
    assert {e.metadata["dobo/run_id"].value for e in events} == {month}


def test_a_dobo_run_shows_the_data_version_of_the_files_it_read_if_unchanged(location, instance, finance):
    january = dobo_run(PROJECT, "2026-01")
    events, cursor = tick(location, instance, None)
    [seen] = observed(events)
    assert (seen.asset_key, seen.partition) == (GL, "2026-01")
    assert seen.data_version == fingerprint(PROJECT, "ds-gl", "2026-01")  # as a Run made in Dagster shows it
    assert seen.metadata["dobo/run_id"].value == january and seen.metadata["dobo/made_by"].value == "dobo run"
    # Files written after the Run started are not what it read: left to the sensor and the next Run.
    dobo_run(PROJECT, "2026-02")
    touch(finance / "2026/02/transactions.parquet")
    events, _ = tick(location, instance, cursor)
    assert observed(events) == [] and len(materialized(events)) == 3
