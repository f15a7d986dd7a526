"""What a Project declares under its `dagster:` key, as the code location reads it.

The authored models live with the Project (`dobo_engine.model.orchestration`);
this module names them for Dagster code and turns pod resources into the
`dagster-k8s/config` tag. Everything is off unless declared, and draft
Projects never get schedules or sensors (PRJ-10), whatever they declare.
"""

from __future__ import annotations

from typing import Any

from dobo_dagster.k8s import k8s_job_tag
from dobo_engine.model.orchestration import PodResources, ProjectOrchestration
from dobo_engine.model.orchestration import ProjectSchedule as ScheduleSettings
from dobo_engine.model.orchestration import ProjectSensor as SensorSettings

DagsterSettings = ProjectOrchestration


def settings_of(value: Any) -> ProjectOrchestration:
    """A Project's declared settings (all off when it declares none)."""
    if value is None:
        return ProjectOrchestration()
    if isinstance(value, ProjectOrchestration):
        return value
    return ProjectOrchestration.model_validate(value)


def pod_tags(pod: PodResources) -> dict[str, str]:
    """The `dagster-k8s/config` tag of a Run's pod (one pod per Run)."""
    requests = {k: v for k, v in (("cpu", pod.cpu_request), ("memory", pod.memory_request)) if v}
    limits = {k: v for k, v in (("cpu", pod.cpu_limit), ("memory", pod.memory_limit)) if v}
    return k8s_job_tag({k: v for k, v in (("requests", requests), ("limits", limits)) if v})


__all__ = ["DagsterSettings", "PodResources", "ScheduleSettings", "SensorSettings", "pod_tags", "settings_of"]
