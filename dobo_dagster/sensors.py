"""Sensors: upstream data (declared per project) and registered outputs feeding a consumer.

Upstream data: for each watched Period, resolve the input Dataset's tables
(without loading) and fingerprint the files at those locations (size and
modification time). The cursor keeps the fingerprint per Period, so a tick
looks again only at Periods whose files are new or changed; a Period is then
requested unless a run of it is queued or running, or a completed Run of the
same Project version already read these very files (`automation.done_reason`,
checked against the Dagster instance and the store, so a lost cursor repeats
nothing). Table locations are not watched. A source Dataset's new data shows
before any Run: the tick also reports, for each Period whose fingerprint
changed, an observation of the input Dataset's asset whose data version is
that fingerprint (`automation.dataset_observation`; metadata only when the
Dataset is unpartitioned), unless the instance's newest observation of the
partition already carries it (another Project's sensor, or a Run, saw it
first, or the daemon stored this tick's events but not its cursor).

Registered outputs: a consumer project runs for a Period when a Dataset it
reads was materialized for that Period by a completed Run (D25, RUN-9:
registration happens at completion, so the materialization of a Run still
in progress waits).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from dagster import (
    AssetKey,
    AssetObservation,
    AssetRecordsFilter,
    DefaultSensorStatus,
    DynamicPartitionsDefinition,
    JobDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from dobo_dagster.assets import SourceDatasets
from dobo_dagster.automation import (
    FINGERPRINT,
    NO_FILES,
    changed_at,
    dataset_observation,
    done_reason,
    fingerprint_of,
    latest_fingerprint,
    location_fingerprints,
    resolved_input_files,
)
from dobo_dagster.partitions import known_partition_keys
from dobo_dagster.resources import current_store
from dobo_dagster.settings import SensorSettings
from dobo_dagster.translator import DoboTranslator
from dobo_engine.errors import DoboError
from dobo_engine.model.project import Project


def upstream_data_sensor(
    project: Project,
    version: int,
    calendar_id: str,
    job: JobDefinition,
    partitions: DynamicPartitionsDefinition,
    settings: SensorSettings,
    translator: DoboTranslator,
    sources: SourceDatasets | None = None,
) -> SensorDefinition:
    """`sources`: the location's source Datasets and their assets' partitions; the input Dataset
    is observed only if it is one (another Project's registered output is that Project's asset)."""
    dataset = project.input_dataset_id
    observed = dataset in (sources or {})
    partitioned = (sources or {}).get(dataset) is not None
    dataset_key = translator.dataset_asset_key(dataset)

    @sensor(
        name=f"{translator.job_name(project.id)}_upstream_data",
        job=job,
        minimum_interval_seconds=settings.minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"runs a {settings.level} Period when the files of {project.input_dataset_id} for it change",
    )
    def _sensor(context: SensorEvaluationContext) -> SensorResult:
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        known = known_partition_keys(context, partitions)
        requests = []
        events: list[AssetObservation] = []
        for period in current_store().list_periods(calendar_id, settings.level):
            key = translator.partition_key(period.identifier)
            if period.status not in settings.statuses or key not in known:
                continue
            resolved = resolved_input_files(project, calendar_id, period.identifier)
            files = resolved.found
            fingerprint = fingerprint_of(files)
            if fingerprint == NO_FILES or seen.get(key) == fingerprint:
                continue
            seen[key] = fingerprint
            partition = key if partitioned else None
            if observed and latest_fingerprint(context.instance, dataset_key, partition) != fingerprint:
                event = dataset_observation(translator, dataset, partition, period.identifier, resolved)
                if event is not None:
                    events.append(event)
            # The cursor only saves work; what decides is whether a Run already read these inputs.
            done = done_reason(
                context.instance, translator, project.id, version, job.name, key, fingerprint, changed_at(files)
            )
            if done:
                context.log.info(f"{key}: not requested, {done}")
                continue
            requests.append(
                RunRequest(
                    run_key=f"{project.id}:{key}:{version}:{fingerprint}",
                    partition_key=key,
                    tags={FINGERPRINT: fingerprint},
                )
            )
        return SensorResult(run_requests=requests, asset_events=events, cursor=json.dumps(seen, sort_keys=True))

    return _sensor


def registered_output_sensor(
    project: Project,
    job: JobDefinition,
    partitions: DynamicPartitionsDefinition,
    upstream: Iterable[AssetKey],
    translator: DoboTranslator,
) -> SensorDefinition:
    keys = sorted(set(upstream), key=lambda k: k.to_user_string())

    @sensor(
        name=f"{translator.job_name(project.id)}_registered_inputs",
        job=job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="runs this project for a Period when a Dataset it reads is registered for that Period",
    )
    def _sensor(context: SensorEvaluationContext) -> SensorResult:
        cursor: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
        store = current_store()
        known = known_partition_keys(context, partitions)
        requests = []
        for key in keys:
            after = cursor.get(key.to_user_string())
            records = context.instance.fetch_materializations(
                AssetRecordsFilter(asset_key=key, after_storage_id=after), limit=100, ascending=True
            ).records
            for record in records:
                materialization = record.asset_materialization
                meta = materialization.metadata if materialization else {}
                run_id = getattr(meta.get("dobo/run_id"), "value", None)
                status = "completed"
                if run_id:
                    try:
                        status = store.get_run(str(run_id)).status
                    except DoboError:
                        status = "completed"  # not a dobo Run of this store: take it as final
                    if status in ("queued", "running"):
                        break  # wait for completion (registration happens then, RUN-9)
                cursor[key.to_user_string()] = record.storage_id
                partition = record.partition_key
                if status == "completed" and partition and partition in known:
                    requests.append(
                        RunRequest(run_key=f"{project.id}:{partition}:{record.storage_id}", partition_key=partition)
                    )
        return SensorResult(run_requests=requests, cursor=json.dumps(cursor, sort_keys=True))

    return _sensor


__all__ = ["location_fingerprints", "registered_output_sensor", "upstream_data_sensor"]
