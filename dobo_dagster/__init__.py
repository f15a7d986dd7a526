"""dobo as a Dagster code location.

`dobo_dagster.definitions:defs` is the entry point; `DoboTranslator` is the
one place to change how dobo entities are named in Dagster.
"""

from dobo_dagster.definitions import build_definitions, defs
from dobo_dagster.io_manager import WorkingFrameIOManager, working_frame_io_manager
from dobo_dagster.resources import DoboRunResource
from dobo_dagster.settings import DagsterSettings, PodResources, ScheduleSettings, SensorSettings
from dobo_dagster.state import LocationState, ProjectState, fetch_state
from dobo_dagster.translator import DoboTranslator

__all__ = [
    "DagsterSettings",
    "DoboRunResource",
    "DoboTranslator",
    "LocationState",
    "PodResources",
    "ProjectState",
    "ScheduleSettings",
    "SensorSettings",
    "WorkingFrameIOManager",
    "build_definitions",
    "defs",
    "fetch_state",
    "working_frame_io_manager",
]
