"""The definitions of the code location, built from the metadata store (DOBO_METADATA_URL / DOBO_HOME).

`build_definitions` turns the location's state (the runnable Projects and
their versions, `state.py`) into jobs, partitions, assets, schedules and
sensors; `DoboComponent` (component.py) calls it, and so can code and tests.

A Project that cannot be built never breaks the location: its trace asset
carries a failing `dobo_project_loads` check with the error, and the
other Projects load normally.

Resources: `dobo` (what a launcher may choose), `io_manager` (frames between
ops), `dobo_datasets` (the Resolver's input manager) and `dobo_outputs` (the
IO manager writing `output` operations). A deployment swaps storage by
passing its own configured resources, e.g.
`build_definitions(resources={"dobo_outputs": DestinationIOManager(data_root="s3://bucket/data")})`.

The Datasets no Project produces (source Datasets) are external assets
whose partitions follow their readers (`assets.py`), so they are added once
every Project is built; so are the upstream-data sensors and the `dobo run`
reporting, which observe them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    AssetChecksDefinition,
    AssetKey,
    Definitions,
    DynamicPartitionsDefinition,
    EnvVar,
    IOManagerDefinition,
    ScheduleDefinition,
    SensorDefinition,
)

from dobo_dagster.assets import LineageSpecs, SourceDatasets, consumed_datasets, shared_level
from dobo_dagster.inputs import DATASETS_KEY, DatasetInputManager
from dobo_dagster.io_manager import checkpoint_io_manager
from dobo_dagster.jobs import ProjectAssets, build_project_assets
from dobo_dagster.outputs import OUTPUTS_KEY, DestinationIOManager
from dobo_dagster.partitions import CalendarLevel, calendar_partitions, period_sync_sensor
from dobo_dagster.reporting import cli_runs_sensor
from dobo_dagster.resources import DoboRunResource, current_store
from dobo_dagster.schedules import period_schedule
from dobo_dagster.sensors import registered_output_sensor, upstream_data_sensor
from dobo_dagster.settings import SensorSettings
from dobo_dagster.settle import run_end_sensors
from dobo_dagster.state import LocationState, fetch_state
from dobo_dagster.translator import DoboTranslator
from dobo_engine.model.project import Project
from dobo_engine.store.catalog_reader import StoreCatalog

log = logging.getLogger("dobo_dagster")


@dataclass
class _Built:
    project: Project
    version: int
    status: str
    calendar_id: str
    level: str
    built: ProjectAssets
    partitions: DynamicPartitionsDefinition
    sensor: SensorSettings | None = None  # declared upstream-data sensor (active Projects only)

    @property
    def job(self) -> Any:
        return self.built.job

    def reads(self, translator: DoboTranslator) -> list[str]:
        """The Datasets its graph reads (one the Project registers itself is not its own upstream)."""
        produced = set(self.built.produced)
        return [d for d in consumed_datasets(self.project) if translator.dataset_asset_key(d) not in produced]


@dataclass
class _Location:
    translator: DoboTranslator
    lineage: LineageSpecs
    calendars: dict[CalendarLevel, DynamicPartitionsDefinition] = field(default_factory=dict)
    built: list[_Built] = field(default_factory=list)
    schedules: list[ScheduleDefinition] = field(default_factory=list)
    sensors: list[SensorDefinition] = field(default_factory=list)
    checks: list[AssetChecksDefinition] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def broken(self, project_id: str, err: Exception) -> None:
        message = f"{type(err).__name__}: {err}"
        log.warning("dobo project %s is left out of the code location: %s", project_id, message)
        self.errors[project_id] = message
        self.checks.append(self.lineage.broken_project(project_id, message))


def _default_calendar() -> str:
    default = current_store().get_default("calendar")
    return default.id if default else "gregorian"


def _add_project(
    loc: _Location,
    catalog: StoreCatalog,
    project_id: str,
    version: int,
    status: str,
    default_calendar: str,
    job_names: set[str],
) -> None:
    t = loc.translator
    project = catalog.project(project_id, version)
    name = t.job_name(project.id)
    if name in job_names:
        raise ValueError(f"job name {name!r} is already used by another project")
    settings = t.dagster_settings(project)  # validated before anything is added
    calendar_id = project.calendar_id or default_calendar
    level = t.partition_level(project, catalog.calendar(calendar_id))
    for kind, declared in (("schedule", settings.schedule), ("sensor", settings.sensor)):
        if declared is not None and declared.level != level:
            raise ValueError(
                f"dagster.{kind}.level {declared.level!r} is not the level the Project runs at ({level!r}); "
                f"set dagster.partition_level: {declared.level} to run it at that level"
            )
    partitions = loc.calendars.get((calendar_id, level)) or calendar_partitions(calendar_id, level, t)
    built = build_project_assets(project, version, status, calendar_id, partitions, t)
    active = status == "active"  # draft Projects run by hand only (PRJ-10)
    schedule = None
    if active and settings.schedule:
        schedule = period_schedule(project, version, calendar_id, built.job, partitions, settings.schedule, t)
    loc.calendars[(calendar_id, level)] = partitions
    job_names.add(name)
    sensor = settings.sensor if active else None  # built once the source Datasets are known
    loc.built.append(_Built(project, version, status, calendar_id, level, built, partitions, sensor))
    loc.schedules += [schedule] if schedule is not None else []


def _source_datasets(loc: _Location, datasets: dict[str, str | None]) -> SourceDatasets:
    """Adds the asset of each Dataset no Project produces (`datasets`: id -> name), partitioned
    like its readers when they all run at one (Calendar, level) (`assets.py`)."""
    t = loc.translator
    produced = {key for b in loc.built for key in b.built.produced}
    readers: dict[str, set[CalendarLevel]] = {}
    for b in loc.built:
        for dataset_id in b.reads(t):
            readers.setdefault(dataset_id, set()).add((b.calendar_id, b.level))
    sources: dict[str, DynamicPartitionsDefinition | None] = {}
    for dataset_id, name in datasets.items():
        if t.dataset_asset_key(dataset_id) in produced:
            continue  # a registered output: its producer's asset
        level = shared_level(readers.get(dataset_id, set()))
        sources[dataset_id] = loc.calendars[level] if level is not None else None
        loc.lineage.dataset(dataset_id, name, sources[dataset_id])
    return sources


def _upstream_data_sensors(loc: _Location, sources: SourceDatasets) -> None:
    for b in loc.built:
        if b.sensor is None:
            continue
        try:
            sensor = upstream_data_sensor(
                b.project, b.version, b.calendar_id, b.job, b.partitions, b.sensor, loc.translator, sources
            )
        except Exception as err:  # noqa: BLE001 - isolate, as for building the job
            loc.broken(b.project.id, err)
            continue
        loc.sensors.append(sensor)


def _registered_input_sensors(loc: _Location) -> None:
    """An active consumer runs when a Dataset it reads is registered by another active project."""
    t = loc.translator
    produced: dict[AssetKey, set[str]] = {}
    for b in loc.built:
        for op in b.project.operations:
            if b.status == "active" and getattr(op.parameters, "register_as_dataset", None):
                produced.setdefault(t.output_asset_key(b.project.id, op), set()).add(b.project.id)
    for b in loc.built:
        if b.status != "active":
            continue
        upstream = [
            k
            for k in (t.dataset_asset_key(d) for d in consumed_datasets(b.project))
            if produced.get(k, set()) - {b.project.id}
        ]
        if upstream:
            try:
                loc.sensors.append(registered_output_sensor(b.project, b.job, b.partitions, upstream, t))
            except Exception as err:  # noqa: BLE001 - isolate, as for building the job
                loc.broken(b.project.id, err)


def location_resources(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The location's resources, any of them replaced by `overrides` (by key).

    `dobo_datasets` and `dobo_outputs` are bound as given: run config cannot move where a Run
    reads or writes (D16).
    """
    resources: dict[str, Any] = {
        "dobo": DoboRunResource.configure_at_launch(),
        "io_manager": checkpoint_io_manager,
        DATASETS_KEY: DatasetInputManager(),
        OUTPUTS_KEY: DestinationIOManager(),
        **(overrides or {}),
    }
    if isinstance(resources[DATASETS_KEY], DatasetInputManager):
        resources[DATASETS_KEY] = bound(resources[DATASETS_KEY], "dobo Datasets read for the partition's Period")
    if isinstance(resources[OUTPUTS_KEY], DestinationIOManager):
        resources[OUTPUTS_KEY] = bound(resources[OUTPUTS_KEY], "dobo outputs written to their destinations")
    return resources


def bound(manager: DestinationIOManager | DatasetInputManager, what: str) -> IOManagerDefinition:
    """The manager as the location binds it: no run config, so a launch can move neither where
    a Run reads nor where it writes (D16; a launcher chooses only Project, Period, trace and checkpoints).

    Its own configuration is resolved when a run initialises it (an `EnvVar` is read in the run's process).
    """
    root = manager.data_root
    shown = f"${root.env_var_name}" if isinstance(root, EnvVar) else root or "$DOBO_DATA_ROOT"
    return IOManagerDefinition(
        resource_fn=lambda _init: manager.process_config_and_initialize(),
        config_schema={},
        description=f"{what} (data_root: {shown})",
    )


def build_definitions(
    translator: DoboTranslator | None = None,
    state: LocationState | None = None,
    resources: Mapping[str, Any] | None = None,
) -> Definitions:
    """Definitions for every active and draft Project of the store (or of `state`);
    `resources` replace the location's own by key (a deployment's storage)."""
    t = translator or DoboTranslator()
    state = state or fetch_state()
    loc = _Location(t, LineageSpecs(t))
    store = current_store()
    catalog = StoreCatalog(store)
    default_calendar = _default_calendar()
    job_names: set[str] = set()
    for p in state.projects:
        try:
            _add_project(loc, catalog, p.id, p.version, p.status, default_calendar, job_names)
        except Exception as err:  # noqa: BLE001 - one project never fails the whole location
            loc.broken(p.id, err)
    sources = _source_datasets(loc, {e.id: e.content.get("name") for e in store.list_entities("dataset")})
    _upstream_data_sensors(loc, sources)
    _registered_input_sensors(loc)
    sensors = [period_sync_sensor(loc.calendars, t), *loc.sensors] if loc.calendars else loc.sensors
    if loc.built:  # a terminated or lost Dagster run never leaves its dobo Run holding the Period (D15)
        levels = {b.project.id: b.level for b in loc.built}
        sensors = [*sensors, *run_end_sensors(), cli_runs_sensor(t, levels, sources=sources)]
    produced = {key for b in loc.built for key in b.built.produced}
    return Definitions(
        assets=[*loc.lineage.all(produced), *(b.built.assets for b in loc.built)],
        asset_checks=loc.checks,
        jobs=[b.job for b in loc.built],
        schedules=loc.schedules,
        sensors=sensors,
        resources=location_resources(resources),
    )


__all__ = ["build_definitions"]
