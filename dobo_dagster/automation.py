"""Automation that never repeats work: a Period is launched only if it is not done yet.

A Dagster schedule scopes a `run_key` to one tick, so a key cannot stop the
next tick from launching the same Period again. Instead, before requesting a
Period, schedules and upstream-data sensors ask the Dagster instance:

1. is a run of this Project for the Period queued or running (launched from
   its job or from the asset graph)? Then it will do the
   work: nothing is requested;
2. did a Run of the same Project version read the same inputs and complete?
   A completed Run (made in Dagster or with `dobo run`) that started after the
   input files last changed read them as they are. Otherwise:
   Every run's load op records, as an observation of the Project's trace asset
   for the Period, the fingerprint of the input files it resolved (path, size,
   modification time of each) with its dobo Run id and Project version; the
   Period is done when such an observation carries today's fingerprint and its
   dobo Run is `completed` in the store.

A failed, cancelled or skipped run does not count: the Period is requested
again on the next tick. A changed input file, or a new Project version, makes
the Period due again, once.

Source Datasets (those no Project produces, `assets.py`) carry their data
version the same way: an observation of the Dataset's asset for the
partition whose data version is the fingerprint of the files its tables
resolve to for the Period (`dataset_observation`). A Run's load op observes
each source Dataset it reads, the upstream-data sensor each watched Period
whose fingerprint changed, and the report of a `dobo run` Run the Datasets it
read when their files have not changed since it started. The data version is
the `dagster/data_version` tag of the observation, where Dagster's own
reporting API (`report_asset_observation`) puts it; an unpartitioned
Dataset's observation carries the fingerprint as metadata only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetKey,
    AssetObservation,
    AssetRecordsFilter,
    DagsterInstance,
    DagsterInvariantViolationError,
    DagsterRunStatus,
    MetadataValue,
    OpExecutionContext,
    RunsFilter,
)

from dobo_dagster.assets import datasets_read
from dobo_dagster.resources import current_settings, current_store
from dobo_dagster.translator import TAG_PROJECT_PERIOD, DoboTranslator, project_period
from dobo_engine.errors import DoboError
from dobo_engine.io.paths import join_under_prefix
from dobo_engine.io.storage import filesystem
from dobo_engine.model.datasource import CsvOptions, ParquetOptions
from dobo_engine.model.project import Project
from dobo_engine.resolver.explain import explain_resolution
from dobo_engine.resolver.registered_outputs import REGISTERED_RESOLVER_ID, StoreRegisteredLocations
from dobo_engine.store.catalog_reader import StoreCatalog

FINGERPRINT = "dobo/input_fingerprint"
NO_FILES = "no-files"  # the fingerprint of a Period whose input resolves to no file (yet)
PENDING = (DagsterRunStatus.NOT_STARTED, DagsterRunStatus.QUEUED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED)
LOOK_BACK = 100  # observations read per Period: the newest Runs decide
# Where Dagster keeps an asset event's data version, and that it came from the reporter
# (the tags Dagster's `report_asset_observation` endpoint sets from its `data_version`).
DATA_VERSION_TAG = "dagster/data_version"
USER_PROVIDED_TAG = "dagster/data_version_is_user_provided"


@dataclass(frozen=True)
class InputFile:
    """One resolved file of a Project's input for a Period, as the filesystem reports it now."""

    path: str
    size: object
    stamp: object  # mtime, LastModified, ETag: whatever the filesystem gives
    modified: datetime | None  # the stamp as a time, when it is one

    def line(self) -> str:
        return f"{self.path}|{self.size}|{self.stamp}"


def _as_time(stamp: object) -> datetime | None:
    if isinstance(stamp, datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    if isinstance(stamp, int | float):
        return datetime.fromtimestamp(stamp, tz=UTC)
    return None


@dataclass(frozen=True)
class InputFiles:
    """The file locations a Dataset resolves to for a Period: those there, and how many are not."""

    found: list[InputFile]
    missing: int
    dataset_version: int | None = None
    resolver_id: str | None = None  # None: selection failed

    @property
    def not_there_yet(self) -> bool:
        """Every file location is missing (a Period whose data has not arrived)."""
        return self.missing > 0 and not self.found

    @property
    def registered(self) -> bool:
        """Served by `dobo-registered` (D25): another Project's output, materialized by its Runs."""
        return self.resolver_id == REGISTERED_RESOLVER_ID


def input_files(project: Project, calendar_id: str, period_identifier: str) -> list[InputFile]:
    """The resolved files of the input Dataset for the Period that are there (file DataSources only)."""
    return resolved_input_files(project, calendar_id, period_identifier).found


def resolved_input_files(project: Project, calendar_id: str, period_identifier: str) -> InputFiles:
    """The resolved file locations of the input Dataset for the Period (file DataSources only)."""
    return resolved_dataset_files(
        project, project.input_dataset_id, project.input_dataset_version, calendar_id, period_identifier
    )


def resolved_dataset_files(
    project: Project, dataset_id: str, dataset_version: int | None, calendar_id: str, period_identifier: str
) -> InputFiles:
    """The resolved file locations of a Dataset the Project reads, for the Period (file DataSources only).

    Resolved as the Project's Runs resolve it: its Calendar, its Resolver overrides (RES-9) and
    the Dataset version it names.
    """
    store, settings = current_store(), current_settings()
    catalog = StoreCatalog(store)
    report = explain_resolution(
        catalog,
        dataset_id,
        period_identifier,
        calendar_id,
        project=project,
        dataset_version=dataset_version,
        registered=StoreRegisteredLocations(store),
    )
    found, missing = [], 0
    for table in report.tables:
        for loc in table.locations:
            if loc.strategy != "path" or not loc.path or not loc.datasource_id:
                continue
            try:
                options = catalog.datasource(loc.datasource_id).options
                if not isinstance(options, ParquetOptions | CsvOptions):
                    continue  # only file DataSources have a path prefix
                full = join_under_prefix(options.path_prefix, loc.path, data_root=settings.data_root)
                info = filesystem(full).info(full)
            except (DoboError, FileNotFoundError, AttributeError):
                missing += 1  # not there (yet)
                continue
            stamp = info.get("mtime") or info.get("LastModified") or info.get("ETag") or info.get("created")
            found.append(InputFile(full, info.get("size"), stamp, _as_time(stamp)))
    return InputFiles(found, missing, report.dataset_version, report.resolver_id)


def location_fingerprints(project: Project, calendar_id: str, period_identifier: str) -> list[str]:
    """One line per resolved file of the input Dataset for the Period: path, size, modification time."""
    return sorted(f.line() for f in input_files(project, calendar_id, period_identifier))


def changed_at(files: list[InputFile]) -> datetime | None:
    """When the files last changed; None when unknown (no file, or one without a time stamp)."""
    times = [f.modified for f in files]
    if not files or any(t is None for t in times):
        return None
    return max(t for t in times if t is not None)


def fingerprint_of(files: list[InputFile]) -> str:
    """A short hash of the files (path, size, modification time)."""
    if not files:
        return NO_FILES
    return hashlib.sha256("\n".join(sorted(f.line() for f in files)).encode()).hexdigest()[:16]


def input_fingerprint(project: Project, calendar_id: str, period_identifier: str) -> str:
    """A short hash of the input files the Project resolves for the Period (path, size, modification time)."""
    return fingerprint_of(input_files(project, calendar_id, period_identifier))


def fingerprint_observation(
    translator: DoboTranslator,
    project: Project,
    version: int,
    calendar_id: str,
    period: str,
    run_id: str,
    files: list[InputFile] | None = None,
) -> AssetObservation | None:
    """What a Run reads, as an observation of the Project's trace asset for the Period (None if unknown).

    `files`: the input Dataset's files when already resolved (else resolved here).
    """
    try:
        fingerprint = fingerprint_of(files if files is not None else input_files(project, calendar_id, period))
    except Exception:  # noqa: BLE001 - never fail a Run for its bookkeeping; the Period just stays due
        return None
    return AssetObservation(
        asset_key=translator.trace_asset_key(project.id),
        partition=translator.partition_key(period),
        description="the input files this Run read (their fingerprint decides whether automation runs the Period again)",
        metadata={FINGERPRINT: fingerprint, "dobo/run_id": run_id, "dobo/project_version": version},
    )


def dataset_observation(
    translator: DoboTranslator,
    dataset_id: str,
    partition: str | None,
    period: str,
    files: InputFiles,
    metadata: Mapping[str, Any] | None = None,
) -> AssetObservation | None:
    """A source Dataset's data version for the partition: the fingerprint of its resolved files.

    `partition`: the partition of the Dataset's asset. None: the asset is unpartitioned (its
    readers run at different levels); the fingerprint is then metadata only, with the Period
    it was resolved for (`dobo/period`), never the asset's data version: one version cannot
    describe every Period, and Dagster would compare it with the current data version of an
    unpartitioned external asset (always its initial one) and show every reader as stale.
    None is returned when there is nothing to observe: no file is there (yet), or the Dataset
    is another Project's registered output (its Runs materialize it).
    """
    if files.registered or not files.found:
        return None
    fingerprint = fingerprint_of(files.found)
    changed = changed_at(files.found)
    facts: dict[str, Any] = {
        FINGERPRINT: fingerprint,
        "dobo/period": period,
        "dobo/files": len(files.found),
        "dobo/missing_files": files.missing,
    }
    if files.dataset_version is not None:
        facts["dobo/dataset_version"] = files.dataset_version
    if files.resolver_id is not None:
        facts["dobo/resolver_id"] = files.resolver_id
    if changed is not None:
        facts["dobo/last_modified"] = MetadataValue.timestamp(changed)
    return AssetObservation(
        asset_key=translator.dataset_asset_key(dataset_id),
        partition=partition,
        description=f"the files {dataset_id} resolves to for {period} (path, size, modification time)",
        metadata={**facts, **(metadata or {})},
        tags={DATA_VERSION_TAG: fingerprint, USER_PROVIDED_TAG: "true"} if partition is not None else None,
    )


def latest_fingerprint(instance: DagsterInstance, key: AssetKey, partition: str | None) -> str | None:
    """The fingerprint on the newest observation of a Dataset's asset (of one partition when given)."""
    records = instance.fetch_observations(
        AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None), limit=1
    ).records
    observation = records[0].asset_observation if records else None
    value = observation.metadata.get(FINGERPRINT) if observation is not None else None
    return str(value.value) if value is not None else None


def input_partitions(context: OpExecutionContext, inputs: Mapping[str, str]) -> dict[str, str | None]:
    """Each Dataset a load op reads (`inputs`: input name -> Dataset) and the partition of its
    asset the run reads: the run's own when the asset is partitioned, else None."""
    found: dict[str, str | None] = {}
    if not context.has_partition_key:  # refused before it gets here (`DoboRunCoordinator`): observe nothing
        return found
    for name, dataset_id in inputs.items():
        try:
            context.asset_partitions_def_for_input(name)
        except DagsterInvariantViolationError:  # the Dataset's readers run at different levels
            found[dataset_id] = None
            continue
        found[dataset_id] = context.asset_partition_key_for_input(name)
    return found


def run_observations(
    translator: DoboTranslator,
    project: Project,
    version: int,
    calendar_id: str,
    period: str,
    run_id: str,
    datasets: Mapping[str, str | None],
) -> list[AssetObservation]:
    """What a Run reads, observed when it starts: the input fingerprint on the trace asset
    (`done_reason`), and the data version of each source Dataset in `datasets` (Dataset ->
    partition of its asset, `input_partitions`)."""
    versions = datasets_read(project)
    events: list[AssetObservation] = []
    read_input: list[InputFile] | None = None
    for dataset_id, partition in datasets.items():
        try:
            files = resolved_dataset_files(project, dataset_id, versions.get(dataset_id), calendar_id, period)
        except Exception:  # noqa: BLE001 - never fail a Run for its bookkeeping
            continue
        if dataset_id == project.input_dataset_id:
            read_input = files.found
        observed = dataset_observation(translator, dataset_id, partition, period, files, {"dobo/run_id": run_id})
        if observed is not None:
            events.append(observed)
    trace = fingerprint_observation(translator, project, version, calendar_id, period, run_id, read_input)
    return [trace, *events] if trace is not None else events


def done_reason(
    instance: DagsterInstance,
    translator: DoboTranslator,
    project_id: str,
    version: int,
    job_name: str,
    partition_key: str,
    fingerprint: str,
    inputs_changed_at: datetime | None = None,
) -> str | None:
    """Why the Period needs no new run (queued/running, or done with these inputs), or None if it does.

    `inputs_changed_at`: when the input files last changed; a completed Run of the same
    Project version that started after it read them as they are (also one made by `dobo run`).
    """
    # By the D15 queue key, which job and asset-graph launches both carry (`run_coordinator.py`).
    key = project_period(job_name, partition_key)
    pending = instance.get_runs(RunsFilter(tags={TAG_PROJECT_PERIOD: key}, statuses=list(PENDING)), limit=1)
    if pending:
        return f"run {pending[0].run_id} of {partition_key} is {pending[0].status.value.lower()}"
    observed = instance.fetch_observations(
        AssetRecordsFilter(asset_key=translator.trace_asset_key(project_id), asset_partitions=[partition_key]),
        limit=LOOK_BACK,
    ).records
    store = current_store()
    if inputs_changed_at is not None:
        for run in store.list_runs(project_id=project_id, period_identifier=partition_key, status="completed"):
            started = run.started_at
            if started is not None and started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            if run.project_version == version and started is not None and started > inputs_changed_at:
                return f"dobo Run {run.id} completed {partition_key} with v{version} after its inputs last changed"
    for record in observed:
        observation = record.asset_observation
        meta = observation.metadata if observation else {}
        seen = {k: getattr(meta.get(k), "value", None) for k in (FINGERPRINT, "dobo/run_id", "dobo/project_version")}
        if seen[FINGERPRINT] != fingerprint or seen["dobo/project_version"] != version or not seen["dobo/run_id"]:
            continue
        try:
            if store.get_run(str(seen["dobo/run_id"])).status == "completed":
                return f"dobo Run {seen['dobo/run_id']} completed {partition_key} with v{version} and these inputs"
        except DoboError:
            continue
    return None


__all__ = [
    "DATA_VERSION_TAG",
    "FINGERPRINT",
    "InputFile",
    "InputFiles",
    "dataset_observation",
    "done_reason",
    "fingerprint_observation",
    "input_files",
    "input_fingerprint",
    "input_partitions",
    "latest_fingerprint",
    "resolved_dataset_files",
    "resolved_input_files",
    "run_observations",
    "location_fingerprints",
    "changed_at",
    "fingerprint_of",
]
