"""DoboTranslator: the one overridable place mapping dobo entities onto Dagster names.

Every Dagster name the code location uses (job, op, node, asset key, partition
key, tag, group) comes from here, so a deployment that wants other names
subclasses this class and passes it to `build_definitions`.
"""

from __future__ import annotations

import re
from typing import Any

from dagster import AssetKey

from dobo_dagster.settings import DagsterSettings, pod_tags, settings_of
from dobo_engine.model.calendar import Calendar
from dobo_engine.model.operations import Operation
from dobo_engine.model.project import Project

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_SLUG = re.compile(r"[^a-z0-9]+")
_TEMPLATE = re.compile(r"\{\{[^}]*\}\}|\{[^}]*\}")
_EXTENSION = re.compile(r"\.(parquet|csv|json|ndjson|txt)$")

TAG_PROJECT = "dobo/project_id"
TAG_VERSION = "dobo/project_version"
TAG_STATUS = "dobo/status"
TAG_INPUT = "dobo/input_dataset"
TAG_PERIOD = "dobo/period"
TAG_CALENDAR = "dobo/calendar"
TAG_PROJECT_PERIOD = "dobo/project-period"  # the D15 run-queue concurrency key
TAG_TRACE = "dobo/trace"  # `off` switches the trace off for one Run (D32)
TAG_CHECKPOINTS = "dobo/checkpoints"  # `none` or `operations`: the Run's durability policy (D36)
PARTITION_TAG = "dagster/partition"  # set by Dagster on every partition run
ROOT_RUN_TAG = "dagster/root_run_id"  # set by Dagster on every re-execution: the dobo Run id (D21)
LOAD_NODE = "load"


def project_period(job_name: str, partition_key: str) -> str:
    """The D15 run-queue key of a Project and Period: the same for job and asset-graph launches."""
    return f"{job_name}:{partition_key}"


def slug(value: str, limit: int = 40) -> str:
    """A readable lower-case name part: `Add original budget` -> `add_original_budget`."""
    text = _SLUG.sub("_", value.lower()).strip("_")
    return text[:limit].rstrip("_") or "unnamed"


def sanitize(value: str) -> str:
    """Dagster names allow only [A-Za-z0-9_]; dobo ids also use `-` and `.` (D1)."""
    return _UNSAFE.sub("_", value)


class DoboTranslator:
    """Project -> job, operation -> op, Dataset -> asset key, Period -> partition key."""

    # -- jobs and ops -------------------------------------------------------------

    def job_name(self, project_id: str) -> str:
        return sanitize(project_id)

    def graph_name(self, project_id: str) -> str:
        """The graph of a Project's ops; its step keys read `<graph>.op_<order>_<slug>`."""
        return f"{self.job_name(project_id)}_ops"

    def node_name(self, op: Operation) -> str:
        """The step key of an operation: `op_<order>_<slug of its name>` (its type when unnamed).

        Stable across versions unless the operation is renamed or renumbered; an edit that
        only changes parameters keeps the step keys, so re-execute from failure still finds them.
        """
        return f"op_{op.order}_{slug(op.name or op.type)}"

    def op_definition_name(self, project_id: str, node: str) -> str:
        """Op definitions must be unique across the location: prefix with the job name."""
        return f"{self.job_name(project_id)}__{node}"

    def op_description(self, op: Operation) -> str:
        label = f" {op.name!r}" if op.name else ""
        where = f" where {op.selector}" if op.selector else ""
        return f"operation {op.order}: {op.type}{label}{where}"

    def job_tags(self, project: Project, version: int, status: str) -> dict[str, str]:
        tags = {
            TAG_PROJECT: project.id,
            TAG_VERSION: str(version),
            TAG_STATUS: status,
            TAG_INPUT: project.input_dataset_id,
        }
        pod = self.dagster_settings(project).pod
        if pod is not None:
            tags.update(pod_tags(pod))
        return tags

    def job_metadata(self, project: Project, version: int, status: str) -> dict[str, Any]:
        return {
            "dobo/project_id": project.id,
            "dobo/project_version": version,
            "dobo/status": status,
            "dobo/input_dataset": project.input_dataset_id,
            "dobo/calendar": project.calendar_id or "",
            "dobo/operations": len(project.operations),
        }

    def group_name(self, project_id: str) -> str:
        return sanitize(project_id)

    # -- assets ------------------------------------------------------------------

    def dataset_asset_key(self, dataset_id: str) -> AssetKey:
        return AssetKey(["dobo", "dataset", sanitize(dataset_id)])

    def trace_asset_key(self, project_id: str) -> AssetKey:
        """The project's trace; it stands for the project in the lineage graph."""
        return AssetKey(["dobo", "trace", sanitize(project_id)])

    def output_asset_key(self, project_id: str, op: Operation) -> AssetKey:
        """A registered output is its Dataset's asset; any other output is named after its destination.

        `dobo/output/<project>/<datasource>/<table or path, templates dropped>`; the default
        destination (one file per operation under the Project's output folder) is
        `dobo/output/<project>/default/<slug of the operation name>`.
        """
        registered = getattr(op.parameters, "register_as_dataset", None)
        if registered:
            return self.dataset_asset_key(registered)
        return AssetKey(["dobo", "output", sanitize(project_id), *self.destination_name(op)])

    def destination_name(self, op: Operation) -> list[str]:
        dest = getattr(op.parameters, "destination", "default")
        if isinstance(dest, str):
            return [sanitize(dest), slug(op.name or f"operation {op.order}")]
        target = _TEMPLATE.sub("", dest.table or dest.path or "")
        target = _EXTENSION.sub("", target)
        return [sanitize(dest.datasource_id), slug(target or f"operation {op.order}")]

    # -- periods -----------------------------------------------------------------

    def partitions_name(self, calendar_id: str, level: str) -> str:
        """One partitions definition per Calendar and level: `dobo_periods_<calendar>_<level>`."""
        return f"dobo_periods_{sanitize(calendar_id)}_{sanitize(level)}"

    def partition_level(self, project: Project, calendar: Calendar) -> str:
        """The level a Project runs at: its `dagster.partition_level`, else the Calendar's leaf level."""
        declared = self.dagster_settings(project).partition_level
        if declared is not None:
            if calendar.level(declared) is None:
                levels = ", ".join(lv.name for lv in calendar.levels)
                raise ValueError(
                    f"dagster.partition_level {declared!r} is not a level of Calendar {calendar.id!r} ({levels})"
                )
            return declared
        leaf = calendar.leaf_level()
        if leaf is None:
            raise ValueError(f"Calendar {calendar.id!r} has no leaf level")
        return leaf.name

    def partition_key(self, period_identifier: str) -> str:
        """Period identifiers already fit partition keys (D1); kept as they are."""
        return period_identifier

    def run_tags(self, project_id: str, calendar_id: str, period_identifier: str) -> dict[str, str]:
        return {
            TAG_PROJECT: project_id,
            TAG_PERIOD: period_identifier,
            TAG_CALENDAR: calendar_id,
            TAG_PROJECT_PERIOD: project_period(self.job_name(project_id), self.partition_key(period_identifier)),
        }

    def project_of_trace_key(self, key: AssetKey) -> str | None:
        """The job name of the Project whose trace asset `key` is, or None for any other asset."""
        path = key.path
        return path[2] if len(path) == 3 and path[:2] == ["dobo", "trace"] else None

    # -- automation ----------------------------------------------------------------

    def dagster_settings(self, project: Project) -> DagsterSettings:
        """Schedules, sensors and pod resources of a project (`project.dagster`; off when absent)."""
        return settings_of(project.dagster)


__all__ = ["DoboTranslator", "project_period", "sanitize"]
