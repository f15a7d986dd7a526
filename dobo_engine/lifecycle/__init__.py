"""Lifecycles: Project status and pin (PRJ-6..16, D22, D31), impact analysis (PRJ-12..15, DS-8),
and the status actions of Datasets, DataSources, Resolvers, Calendars and Periods.

Public API (each takes a ``MetadataStore``, which gets its own transaction, or an
open ``Transaction``, which it joins; all or nothing):

- ``activate(store, project_id, dataset_version=None) -> ProjectState`` (raises ``ActivationError``)
- ``deactivate``, ``reopen``, ``upgrade(store, project_id)``
- ``resolve_conflict(store, project_id, mode="pin"|"adapt")``
- ``analyse_dataset(tx, dataset_id) -> list[Impact]`` (run by apply and output registration)
- ``set_enabled(store, kind, id, enabled)``, ``move_calendar(store, id, "activate"|"deprecate")``,
  ``move_period(store, calendar_id, identifier, "close"|"lock")``
"""

from dobo_engine.lifecycle.common import ProjectState
from dobo_engine.lifecycle.conflict import resolve_conflict
from dobo_engine.lifecycle.impact import Impact, analyse_dataset, upgrade
from dobo_engine.lifecycle.project import activate, deactivate, reopen
from dobo_engine.lifecycle.status import (
    StatusChange,
    move_calendar,
    move_period,
    set_enabled,
)

__all__ = [
    "Impact",
    "ProjectState",
    "StatusChange",
    "activate",
    "analyse_dataset",
    "deactivate",
    "move_calendar",
    "move_period",
    "reopen",
    "resolve_conflict",
    "set_enabled",
    "upgrade",
]
