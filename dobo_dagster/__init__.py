"""dobo as a Dagster code location.

`dobo_dagster.definitions:defs` is the entry point; `DoboTranslator` is the
one place to change how dobo entities are named in Dagster. Names are
imported on first use, so the webserver and daemon, which import only
`dobo_dagster.run_coordinator`, do not build the code location.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DagsterSettings": "dobo_dagster.settings",
    "DoboRunResource": "dobo_dagster.resources",
    "DoboTranslator": "dobo_dagster.translator",
    "DoboComponent": "dobo_dagster.component",
    "LocationState": "dobo_dagster.state",
    "PodResources": "dobo_dagster.settings",
    "ProjectState": "dobo_dagster.state",
    "ScheduleSettings": "dobo_dagster.settings",
    "SensorSettings": "dobo_dagster.settings",
    "CheckpointIOManager": "dobo_dagster.io_manager",
    "DatasetInputManager": "dobo_dagster.inputs",
    "DestinationIOManager": "dobo_dagster.outputs",
    "build_definitions": "dobo_dagster.location",
    "defs": "dobo_dagster.definitions",
    "fetch_state": "dobo_dagster.state",
    "checkpoint_io_manager": "dobo_dagster.io_manager",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'dobo_dagster' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
