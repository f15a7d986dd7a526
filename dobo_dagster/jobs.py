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
from dobo_engine.errors import ProjectNotRunnable
from dobo_engine.model.project import RUNNABLE_STATUSES, Project, runs_in_sandbox
from dobo_engine.model.run import ProjectSnapshot


def frozen_snapshot(project_id: str, version: int, calendar_id: str, period_identifier: str) -> ProjectSnapshot:
    """The Run snapshot at Dagster run creation, of the Project version the job was built from.

    Refused before any run exists when the Project cannot run or the Period is locked (PRJ-10, PER-5).
    """
    service = run_service()
    stored = service.store.get_entity("project", project_id)
    if stored.status not in RUNNABLE_STATUSES:
        raise ProjectNotRunnable(
            f"Project {project_id} is {stored.status}; only active and draft Projects run", rule="PRJ-10"
        )
    snapshot = service.build_snapshot(project_id, period_identifier, version=version)
    # The job's status decides the sandbox, not the status of `version` when it was stored.
    return snapshot.model_copy(update={"sandbox": runs_in_sandbox(stored.status)})


_RESOURCE = DoboRunResource()  # one instance for every job: its config comes per run


def build_job(
    project: Project,
    version: int,
    status: str,
    calendar_id: str,
    partitions: DynamicPartitionsDefinition,
    translator: DoboTranslator,
) -> JobDefinition:
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
    graph = GraphDefinition(
        name=name, node_defs=node_defs, dependencies=deps, description=project.description or project.name
    )
    return graph.to_job(
        name=name,
        description=f"{project.name} (v{version}, {status}{', manual only, sandbox outputs' if status == 'draft' else ''})",
        resource_defs={"dobo": _RESOURCE, "io_manager": working_frame_io_manager},
        config=PartitionedConfig(
            partitions_def=partitions, run_config_for_partition_key_fn=run_config, tags_for_partition_key_fn=run_tags
        ),
        executor_def=in_process_executor,
        tags=translator.job_tags(project, version, status),
        metadata=translator.job_metadata(project, version, status),
    )


__all__ = ["build_job", "frozen_snapshot"]
