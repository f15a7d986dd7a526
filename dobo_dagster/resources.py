"""Process-wide access to the metadata store, and the per-run `dobo` resource.

The store is opened once per process and URL: the code server, the daemon and
every run worker each hold one. The `dobo` resource carries the Run snapshot
frozen at Dagster run creation (D31); re-executions reuse the parent's run
config, so every attempt of a Run sees the same snapshot.
"""

from __future__ import annotations

from functools import lru_cache

from dagster import ConfigurableResource

from dobo_engine.model.run import ProjectSnapshot
from dobo_engine.runner.service import RunService
from dobo_engine.settings import Settings
from dobo_engine.store.api import MetadataStore, open_store


@lru_cache(maxsize=4)
def _store(url: str) -> MetadataStore:
    return open_store(url)


def current_settings() -> Settings:
    return Settings.from_env()


def current_store() -> MetadataStore:
    return _store(current_settings().metadata_url)


def run_service() -> RunService:
    settings = current_settings()
    return RunService(_store(settings.metadata_url), settings)


class DoboRunResource(ConfigurableResource["DoboRunResource"]):  # the resource is its own value
    """The creation-time snapshot of one Run, as JSON (filled by the job's partitioned config)."""

    snapshot: str = ""

    def frozen_snapshot(self) -> ProjectSnapshot:
        if not self.snapshot:
            raise ValueError("this Dagster run carries no dobo snapshot; launch it for a partition (a Period)")
        return ProjectSnapshot.model_validate_json(self.snapshot)

    def service(self) -> RunService:
        return run_service()


__all__ = ["DoboRunResource", "current_settings", "current_store", "run_service"]
