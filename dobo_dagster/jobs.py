"""One job per runnable Project version: load op + one op per operation, chained by `order`.

The partitioned config freezes the Run snapshot when the Dagster run is
created (launchpad, backfill, schedule, sensor): the snapshot is built from
the Project version this job was built from, so what the UI shows is what
runs, and a later edit in the store changes nothing for that run (D13).
"""

from __future__ import annotations

from typing import Any

from dagster import (
    DependencyDefinition,
    DynamicPartitionsDefinition,
    GraphDefinition,
    JobDefinition,
    NodeInvocation,
    PartitionedConfig,
    in_process_executor,
)

from dobo_dagster.io_manager import working_frame_io_manager
from dobo_dagster.ops import load_op, operation_op
from dobo_dagster.resources import DoboRunResource, run_service
from dobo_dagster.translator import LOAD_NODE, DoboTranslator
from dobo_engine.errors import PeriodNotRunnable, ProjectNotRunnable
from dobo_engine.model.project import Project
from dobo_engine.model.run import ProjectSnapshot
from dobo_engine.resolver.periods import period_details
from dobo_engine.runner.service import RUNNABLE
from dobo_engine.runner.snapshot import build_snapshot, run_clock


def frozen_snapshot(project_id: str, version: int, calendar_id: str, period_identifier: str) -> ProjectSnapshot:
    """The Run snapshot at Dagster run creation, mirroring RunService.create_run for `version`."""
    service = run_service()
    stored = service.store.get_entity("project", project_id)
    project = service.catalog.project(project_id, version)
    if stored.status not in RUNNABLE:
        raise ProjectNotRunnable(f"Project {project_id} is {stored.status}; only active and draft Projects run",
                                 rule="PRJ-10")
    period = service.store.get_period(calendar_id, period_identifier)
    if period.status == "locked":  # refused at creation, before any run exists (PER-5, D11)
        raise PeriodNotRunnable(f"Period {period_identifier} of Calendar {calendar_id} is locked and can never "
                                f"be run; Project {project_id} was not launched", rule="PER-5")
    dataset_version = (stored.system.get("pinned_dataset_version") or project.input_dataset_version
                       or service.store.get_entity("dataset", project.input_dataset_id).latest_version)
    return build_snapshot(project, project_version=version, input_dataset_version=dataset_version,
                          period=period_details(service.catalog, calendar_id, period_identifier),
                          clock=run_clock(), sandbox=RUNNABLE[stored.status])


_RESOURCE = DoboRunResource()  # one instance for every job: its config comes per run


def build_job(project: Project, version: int, status: str, calendar_id: str,
              partitions: DynamicPartitionsDefinition, translator: DoboTranslator) -> JobDefinition:
    operations = sorted(project.operations, key=lambda o: o.order)
    load = load_op(project, translator)
    node_defs = [load]
    deps: dict[Any, dict[str, DependencyDefinition]] = {NodeInvocation(load.name, alias=LOAD_NODE): {}}
    previous_node, previous_order = LOAD_NODE, 0
    for i, operation in enumerate(operations):
        op_def = operation_op(project, operation, previous_order, i == len(operations) - 1, translator)
        node = translator.node_name(operation.order)
        node_defs.append(op_def)
        deps[NodeInvocation(op_def.name, alias=node)] = {"working": DependencyDefinition(previous_node)}
        previous_node, previous_order = node, operation.order

    def run_config(partition_key: str) -> dict[str, Any]:
        snapshot = frozen_snapshot(project.id, version, calendar_id, partition_key)
        return {"resources": {"dobo": {"config": {"snapshot": snapshot.model_dump_json()}}}}

    def run_tags(partition_key: str) -> dict[str, str]:
        return translator.run_tags(project.id, calendar_id, partition_key)

    name = translator.job_name(project.id)
    graph = GraphDefinition(name=name, node_defs=node_defs, dependencies=deps,
                            description=project.description or project.name)
    return graph.to_job(
        name=name,
        description=f"{project.name} (v{version}, {status}{', manual only, sandbox outputs' if status == 'draft' else ''})",
        resource_defs={"dobo": _RESOURCE, "io_manager": working_frame_io_manager},
        config=PartitionedConfig(partitions_def=partitions, run_config_for_partition_key_fn=run_config,
                                 tags_for_partition_key_fn=run_tags),
        executor_def=in_process_executor,
        tags=translator.job_tags(project, version, status),
        metadata=translator.job_metadata(project, version, status),
    )


__all__ = ["build_job", "frozen_snapshot"]
