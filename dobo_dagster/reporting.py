"""Runs made with `dobo run` shown in Dagster: the `dobo_cli_runs` sensor.

A completed dobo Run whose id is no Dagster run (Runs made in Dagster carry the root
Dagster run id, D21) was made outside Dagster: `dobo run`, `make run`. The sensor
reports each such Run once as materializations of the same assets a Dagster run
materializes (`materializations.py`): the Project's trace asset and each output's asset
for the Run's Period, with `dobo/made_by: dobo run`. The cursor is the completion time
of the last Run reported (plus the ids completed at that very time), so a tick reports
only Runs completed since; the events and the cursor are committed together by the
sensor daemon (`SensorResult.asset_events`), so nothing is reported twice.

What a `dobo run` did not keep is left out: the per-operation counts (the CLI prints
them, the store does not keep them), and the row count and column types of an output
that is not a local Parquet file (read from the file's footer when it is).

Like a Run made in Dagster, the report also observes each source Dataset the Run read
for its Period (`automation.dataset_observation`: data version = the fingerprint of its
files), but only when none of those files changed after the Run started: then they are
what the Run read. Otherwise the Dataset is left to the upstream-data sensor and the
next Run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
from dagster import (
    AssetMaterialization,
    AssetObservation,
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from dobo_dagster.assets import SourceDatasets, datasets_read
from dobo_dagster.automation import changed_at, dataset_observation, resolved_dataset_files
from dobo_dagster.materializations import output_materialization, trace_materialization
from dobo_dagster.resources import run_service
from dobo_dagster.translator import DoboTranslator
from dobo_engine.model.operations import OutputParameters
from dobo_engine.model.run import ProjectSnapshot, WriteResult
from dobo_engine.runner.outputs import DestinationOutputs
from dobo_engine.runner.service import RunService
from dobo_engine.store.records import RunRecord

MADE_BY = "dobo run"
BATCH = 50  # Runs reported per tick at most; the next tick goes on from the cursor


def _local_parquet(uri: str) -> Path | None:
    path = Path(uri.removeprefix("file://"))
    return path if "://" not in uri.removeprefix("file://") and path.is_file() else None


def _write_of(
    service: RunService, record: RunRecord, snapshot: ProjectSnapshot, order: int
) -> tuple[WriteResult, dict[str, str]] | None:
    """What an output of a finished Run wrote, as far as it can be known afterwards."""
    operation = next((o for o in snapshot.operations if o.order == order), None)
    if operation is None or not isinstance(operation.parameters, OutputParameters):
        return None
    params = operation.parameters
    outputs = DestinationOutputs(
        project_id=record.project_id,
        run_id=record.id,
        period=snapshot.period,
        settings=service.settings,
        datasource=service.catalog.datasource,
        sandbox=snapshot.sandbox,
    )
    target = outputs.resolve(params.destination, order, params.mode)
    destination: dict[str, object] | str
    if target.uri is not None:
        destination = target.uri
    else:
        destination = {
            "datasource_id": getattr(params.destination, "datasource_id", None),
            "path": target.path,
            "table": target.table,
        }
    columns = list(params.columns or [])
    rows, types = 0, {}
    local = _local_parquet(target.uri) if target.uri else None
    if local is not None:
        meta = pq.read_metadata(local)
        rows = meta.num_rows
        schema = meta.schema.to_arrow_schema()
        types = {name: str(schema.field(name).type) for name in schema.names}
        columns = columns or [n for n in schema.names]
    write = WriteResult(
        operation_order=order, destination=destination, sandboxed=snapshot.sandbox, rows_written=rows, columns=columns
    )
    return write, types


def _as_utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def dataset_events(
    service: RunService, record: RunRecord, translator: DoboTranslator, sources: SourceDatasets
) -> list[AssetObservation]:
    """The source Datasets a completed Run read, observed now, if their files are still those it read."""
    project = service.catalog.project(record.project_id, record.project_version)
    started = _as_utc(record.started_at)
    events: list[AssetObservation] = []
    for dataset_id, version in datasets_read(project).items():
        if dataset_id not in sources or started is None:
            continue
        try:
            files = resolved_dataset_files(project, dataset_id, version, record.calendar_id, record.period_identifier)
        except Exception:  # noqa: BLE001 - an unresolvable Dataset never keeps the Run from being reported
            continue
        changed = changed_at(files.found)
        if changed is None or changed > started:
            continue  # changed since the Run read them (or no time to tell): not what it read
        partition = record.period_identifier if sources[dataset_id] is not None else None
        extra = {"dobo/run_id": record.id, "dobo/made_by": MADE_BY}
        event = dataset_observation(translator, dataset_id, partition, record.period_identifier, files, extra)
        if event is not None:
            events.append(event)
    return events


def run_events(
    service: RunService, record: RunRecord, translator: DoboTranslator, sources: SourceDatasets | None = None
) -> list[AssetMaterialization | AssetObservation]:
    """The materializations a completed Run made outside Dagster stands for, and the observations
    of the source Datasets it read (`sources`: the location's, with their assets' partitions)."""
    snapshot = ProjectSnapshot.model_validate(record.snapshot)
    events: list[AssetMaterialization | AssetObservation] = [
        trace_materialization(translator, snapshot, record.id, service.settings.trace_root, None, made_by=MADE_BY)
    ]
    for operation in sorted(snapshot.operations, key=lambda o: o.order):
        if operation.type != "output":
            continue
        written = _write_of(service, record, snapshot, operation.order)
        if written is None:
            continue
        write, types = written
        event = output_materialization(
            translator, snapshot, record.id, write, operation, types, made_by=MADE_BY, rows_known=bool(types)
        )
        if event is not None:
            events.append(event)
    return events + dataset_events(service, record, translator, sources or {})


def _key(record: RunRecord) -> datetime:
    assert record.completed_at is not None
    return record.completed_at


def cli_runs_sensor(
    translator: DoboTranslator,
    project_levels: Mapping[str, str],
    minimum_interval_seconds: int = 15,
    sources: SourceDatasets | None = None,
) -> SensorDefinition:
    """``project_levels``: each Project of the location and the Calendar level its partitions are;
    ``sources``: the location's source Datasets and their assets' partitions.

    A Run of another level (`dobo run` accepts any Period, e.g. a quarter of a
    month-level Project) has no partition to show it on and is not reported.
    """
    levels = dict(project_levels)
    datasets = dict(sources or {})

    @sensor(
        name="dobo_cli_runs",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="reports each completed `dobo run` Run once as materializations of its Project's assets "
        "(and observations of the Datasets it read)",
    )
    def _sensor(context: SensorEvaluationContext) -> SensorResult:
        cursor = json.loads(context.cursor) if context.cursor else {}
        after = datetime.fromisoformat(cursor["after"]) if cursor.get("after") else None
        seen_at_after = set(cursor.get("ids", []))
        service = run_service()
        done = [r for r in service.store.list_runs(status="completed") if r.completed_at is not None]
        pending = sorted(
            (r for r in done if after is None or _key(r) > after or (_key(r) == after and r.id not in seen_at_after)),
            key=lambda r: (_key(r), r.id),
        )[:BATCH]
        events: list[AssetMaterialization | AssetObservation] = []
        for record in pending:
            if _key(record) != after:
                after, seen_at_after = _key(record), set()
            seen_at_after.add(record.id)
            if record.project_id not in levels or context.instance.get_run_by_id(record.id) is not None:
                continue  # not a Project of this location, or made by Dagster (its run materialized already)
            if ProjectSnapshot.model_validate(record.snapshot).period.level != levels[record.project_id]:
                continue  # a Period of a level the Project's partitions do not hold
            try:
                events += run_events(service, record, translator, datasets)
            except Exception as err:  # noqa: BLE001 - one unreadable Run never stops the others
                context.log.warning(f"dobo Run {record.id} not reported: {type(err).__name__}: {err}")
        new_cursor = {"after": after.isoformat() if after else None, "ids": sorted(seen_at_after)}
        return SensorResult(asset_events=events, cursor=json.dumps(new_cursor))

    return _sensor


__all__ = ["MADE_BY", "cli_runs_sensor", "run_events"]
