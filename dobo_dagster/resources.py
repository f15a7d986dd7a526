"""Process-wide access to the metadata store, and the per-run `dobo` resource.

The store is opened once per process and URL: the code server, the daemon and
every run worker each hold one. The `dobo` resource carries only what a
launcher may choose for a Run beyond its partition: the trace and checkpoint
switches. The Run snapshot is never part of it: it is
built from the store when the dobo Run is created and kept on the Run record
(D13, D31), so nothing edited in the launchpad can change what a Run does or
where it writes (D16).
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache

from dagster import ConfigurableResource
from pydantic import Field

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


class Checkpoints(Enum):
    """The durability policies of D36."""

    operations = "operations"
    none = "none"


class DoboRunResource(ConfigurableResource["DoboRunResource"]):  # the resource is its own value
    """What the launcher of one Run may choose beyond the partition: the trace and checkpoint switches.

    The Project and its version are the job's (the asset graph's) own, the
    Period is the partition key; nothing else is configurable, so a launch
    from the asset graph needs no config and an edited launchpad cannot
    change what a Run does or where it writes (D13, D16).
    """

    trace: bool | None = Field(
        default=None, description="false switches the trace off for this Run (D32); default: the Project's setting"
    )
    checkpoints: Checkpoints | None = Field(
        default=None,
        description="the durability policy (D36), as the `dobo/checkpoints` tag; every op boundary in Dagster is "
        "durable anyway (the IO manager's frames are the engine's checkpoints)",
    )

    def service(self) -> RunService:
        return run_service()


__all__ = ["Checkpoints", "DoboRunResource", "current_settings", "current_store", "run_service"]
