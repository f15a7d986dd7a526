"""Source Datasets carry a data version per partition: the fingerprint of the locations resolved for it.

Issue #14: "Source Datasets are observable source assets whose data version is the
fingerprint of the locations resolved for the partition." A Dataset no Project produces
is an external asset, partitioned like the Projects that read it when they all run at one
(Calendar, level) (D23). Its data version is the `dagster/data_version` tag of an
observation of that partition: made by every Run's load op (what it read), by the
upstream-data sensor for a Period whose files changed (before any Run), and by the report
of a `dobo run` Run. Checked against a real Dagster instance, and through the GraphQL API
the UI reads.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from dagster import AssetKey, AssetObservation, AssetRecordsFilter, build_sensor_context, instance_for_test
from dagster_graphql.test.utils import define_out_of_process_workspace, execute_dagster_graphql

from dobo_dagster.assets import datasets_read
from dobo_dagster.automation import DATA_VERSION_TAG, FINGERPRINT, fingerprint_of, resolved_dataset_files
from dobo_dagster.definitions import build_definitions
from tests.dagster.conftest import sync_partitions
from tests.dagster.helpers import service
from tests.dagster.test_automation import Declared, activate
from tests.dagster.test_partitions import set_dagster

ROOT = Path(__file__).resolve().parents[2]
WATCHED, JOB = "prj-fx-usd", "prj_fx_usd"
GL = AssetKey(["dobo", "dataset", "ds_gl"])  # prj-fx-usd's input
FX = AssetKey(["dobo", "dataset", "ds_fx"])  # its RuntimeJoin source
BUDGETS = AssetKey(["dobo", "dataset", "ds_budgets"])  # prj-budget-vs-actual's append source
TRACE = AssetKey(["dobo", "trace", JOB])


def fingerprint(project_id: str, dataset_id: str, period: str) -> str:
    """The fingerprint of the files the Dataset resolves to for the Period, as the Project reads it."""
    project = service().catalog.project(project_id)
    version = datasets_read(project)[dataset_id]
    return fingerprint_of(resolved_dataset_files(project, dataset_id, version, "finance", period).found)


def observations(instance, key: AssetKey, partition: str | None = None) -> list[AssetObservation]:  # type: ignore[no-untyped-def]
    """The asset's observations, newest first (of one partition when given)."""
    records = instance.fetch_observations(
        AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None), limit=100
    ).records
    return [r.asset_observation for r in records if r.asset_observation is not None]


def partitions_name(defs, key: AssetKey) -> str | None:  # type: ignore[no-untyped-def]
    partitions = defs.resolve_asset_graph().get(key).partitions_def
    return partitions.name if partitions is not None else None


def touch(path: Path) -> None:
    """The file is written again, now (after any Run so far started)."""
    os.utime(path, (path.stat().st_atime, time.time() + 60))


def test_source_datasets_are_partitioned_like_the_projects_that_read_them(location):
    for key in (GL, FX, BUDGETS):
        assert partitions_name(location, key) == "dobo_periods_finance_month"  # every reader runs at months
        node = location.resolve_asset_graph().get(key)
        assert node.is_external and not node.is_materializable and not node.is_observable  # a plain AssetSpec


def test_a_run_observes_each_source_dataset_it_reads_with_its_fingerprint_as_data_version(location, instance):
    result = location.resolve_job_def(JOB).execute_in_process(partition_key="2026-02", instance=instance)
    assert result.success
    for key, dataset_id in ((GL, "ds-gl"), (FX, "ds-fx")):  # the input and the RuntimeJoin source
        [observed] = observations(instance, key, "2026-02")
        expected = fingerprint(WATCHED, dataset_id, "2026-02")
        assert observed.data_version == observed.tags[DATA_VERSION_TAG] == expected != "no-files"
        assert observed.metadata["dobo/run_id"].value == result.run_id  # the dobo Run id (D21)
        assert observed.metadata["dobo/period"].value == "2026-02"
        assert observed.metadata["dobo/files"].value >= 1
    assert observations(instance, GL, "2026-01") == []  # only the partition the run read
    # The trace asset keeps the input fingerprint the automation decides on: the input Dataset's version.
    [trace] = observations(instance, TRACE, "2026-02")
    assert trace.metadata[FINGERPRINT].value == observations(instance, GL, "2026-02")[0].data_version
    # a second Period has a data version of its own (other files)
    location.resolve_job_def(JOB).execute_in_process(partition_key="2026-03", instance=instance)
    [march], [february] = observations(instance, GL, "2026-03"), observations(instance, GL, "2026-02")
    assert march.data_version == fingerprint(WATCHED, "ds-gl", "2026-03") != february.data_version


def test_the_upstream_data_sensor_shows_a_changed_input_as_a_new_data_version_before_any_run(finance, instance):
    activate(WATCHED)
    defs = build_definitions(Declared())
    sync_partitions(defs, instance)
    sensor = defs.get_sensor_def("prj_fx_usd_upstream_data")

    def tick(cursor: str | None):  # type: ignore[no-untyped-def]
        """One tick, its events stored as the sensor daemon stores them."""
        result = sensor(build_sensor_context(instance=instance, definitions=defs, cursor=cursor))
        for event in result.asset_events:
            instance.report_runless_asset_event(event)
        return result

    first = tick(None)
    months = ["2026-01", "2026-02", "2026-03"]  # the months whose files are there
    assert [(e.asset_key, e.partition) for e in first.asset_events] == [(GL, m) for m in months]
    assert [e.data_version for e in first.asset_events] == [fingerprint(WATCHED, "ds-gl", m) for m in months]
    assert tick(first.cursor).asset_events == []  # nothing changed: nothing new to show
    before = observations(instance, GL, "2026-02")[0].data_version

    touch(finance / "2026/02/transactions.parquet")
    changed = tick(first.cursor)
    [event] = changed.asset_events
    assert event.partition == "2026-02" and event.data_version == fingerprint(WATCHED, "ds-gl", "2026-02") != before
    assert observations(instance, GL, "2026-02")[0].data_version == event.data_version  # what the UI reads
    assert [r.partition_key for r in changed.run_requests] == ["2026-02"]
    # A sensor that lost its cursor shows nothing twice: the instance already has these versions.
    assert tick(None).asset_events == []


def test_a_dataset_read_at_different_levels_stays_unpartitioned_and_runs_still_observe_it(finance, instance):
    set_dagster("prj-budget-vs-actual", {"partition_level": "quarter"})  # ds-gl: read by months and a quarter
    defs = build_definitions()
    sync_partitions(defs, instance)
    assert partitions_name(defs, GL) is None
    assert partitions_name(defs, BUDGETS) == "dobo_periods_finance_quarter"  # its one reader runs at quarters
    assert partitions_name(defs, FX) == "dobo_periods_finance_month"

    quarterly = defs.resolve_job_def("prj_budget_vs_actual")
    quarter = quarterly.execute_in_process(partition_key="2026-Q1", instance=instance)
    month = defs.resolve_job_def(JOB).execute_in_process(partition_key="2026-02", instance=instance)
    assert quarter.success and month.success
    [budgets] = observations(instance, BUDGETS, "2026-Q1")
    assert budgets.data_version == fingerprint("prj-budget-vs-actual", "ds-budgets", "2026-Q1")
    # ds-gl: one observation per Run, no partition; the fingerprint says which Period it resolved, and is
    # no data version of the asset (one version cannot describe a month and a quarter).
    newest, oldest = observations(instance, GL)
    assert (newest.partition, newest.metadata["dobo/period"].value) == (None, "2026-02")
    assert newest.metadata[FINGERPRINT].value == fingerprint(WATCHED, "ds-gl", "2026-02")
    assert oldest.metadata["dobo/period"].value == "2026-Q1" and oldest.metadata["dobo/run_id"].value == quarter.run_id
    assert newest.data_version is None and DATA_VERSION_TAG not in newest.tags


# What the UI reads: the observation's tags (its "Data version"), and the staleness of the readers.
QUERY = """
query ($key: AssetKeyInput!, $partition: String!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode {
      staleStatus(partition: $partition)
      staleCauses(partition: $partition) { key { path } reason }
      assetObservations(partitions: [$partition], limit: 1) { partition tags { key value } }
    }
  }
}
"""


def test_the_ui_shows_the_data_version_and_marks_the_readers_stale_when_it_changes(finance):
    with instance_for_test() as instance:
        activate(WATCHED)
        defs = build_definitions(Declared())
        sync_partitions(defs, instance)
        assert defs.resolve_job_def(JOB).execute_in_process(partition_key="2026-02", instance=instance).success
        # the location as `dagster dev` loads it (workspace.yaml), in a code server of its own
        with define_out_of_process_workspace(str(ROOT / "workspace.yaml"), None, instance) as ui:

            def node(key: AssetKey) -> dict:  # type: ignore[type-arg]
                """One request, as the UI makes it (a request context of its own)."""
                variables = {"key": {"path": key.path}, "partition": "2026-02"}
                return execute_dagster_graphql(ui.create_request_context(), QUERY, variables).data["assetNodeOrError"]

            [seen] = node(GL)["assetObservations"]
            assert {t["key"]: t["value"] for t in seen["tags"]}[DATA_VERSION_TAG] == fingerprint(
                WATCHED, "ds-gl", "2026-02"
            )
            assert node(TRACE)["staleStatus"] == "FRESH"  # the Run read this very version

            touch(finance / "2026/02/transactions.parquet")
            tick = defs.get_sensor_def("prj_fx_usd_upstream_data")(
                build_sensor_context(instance=instance, definitions=defs)
            )
            for event in tick.asset_events:
                instance.report_runless_asset_event(event)
            assert node(TRACE)["staleStatus"] == "STALE"  # new data, before any Run
            assert {(tuple(c["key"]["path"]), c["reason"]) for c in node(TRACE)["staleCauses"]} == {
                (tuple(GL.path), "has a new data version")
            }
            again = defs.resolve_job_def(JOB).execute_in_process(partition_key="2026-02", instance=instance)
            assert again.success and node(TRACE)["staleStatus"] == "FRESH"
