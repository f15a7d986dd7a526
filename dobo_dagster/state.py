"""What the code location is built from: the state of `DoboComponent` (dobo_dagster.component).

The store is read once when the code location initialises; the list of
runnable Projects and the version each job was built from is the
component's recorded state, from which a run worker rebuilds its jobs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from dobo_dagster.resources import current_store
from dobo_engine.model.project import RUNNABLE_STATUSES  # inactive and conflict Projects get no job (PRJ-10)


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


__all__ = ["LocationState", "ProjectState", "fetch_state"]
