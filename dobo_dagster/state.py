"""What the code location is built from, fixed at code-server load (state-backed definitions).

The store is read once when the code location initialises; the list of
runnable Projects and the version each job was built from go into Dagster's
reconstruction metadata. A run worker re-importing the location for a run
rebuilds its jobs from that recorded state (stored versions never change),
not from the store's current content, so its job is the job the run was
planned against even if a Project was edited in between.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from dagster._core.definitions.definitions_load_context import (  # not re-exported in 1.13
    DefinitionsLoadContext,
    DefinitionsLoadType,
)

from dobo_dagster.resources import current_store
from dobo_engine.model.project import RUNNABLE_STATUSES  # inactive and conflict Projects get no job (PRJ-10)

STATE_KEY = "dobo/location_state"


@dataclass(frozen=True)
class ProjectState:
    id: str
    version: int
    status: str


@dataclass(frozen=True)
class LocationState:
    projects: tuple[ProjectState, ...]

    def to_json(self) -> str:
        return json.dumps({"projects": [p.__dict__ for p in self.projects]}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LocationState:
        return cls(tuple(ProjectState(**p) for p in json.loads(text)["projects"]))


def fetch_state() -> LocationState:
    """The runnable Projects and their current versions, from the metadata store."""
    entities = current_store().list_entities("project")
    return LocationState(
        tuple(
            ProjectState(e.id, e.latest_version, e.status or "draft")
            for e in sorted(entities, key=lambda e: e.id)
            if e.status in RUNNABLE_STATUSES
        )
    )


def load_state() -> LocationState:
    """The recorded state when reconstructing for a run, else a fresh read; recorded either way."""
    context = DefinitionsLoadContext.get() if DefinitionsLoadContext.is_set() else None
    if (
        context is not None
        and context.load_type == DefinitionsLoadType.RECONSTRUCTION
        and STATE_KEY in context.reconstruction_metadata
    ):
        state = LocationState.from_json(context.reconstruction_metadata[STATE_KEY])
    else:
        state = fetch_state()
    if context is not None:
        context.add_to_pending_reconstruction_metadata(STATE_KEY, state.to_json())
    return state


__all__ = ["LocationState", "ProjectState", "STATE_KEY", "fetch_state", "load_state"]
