"""One job per runnable Project version: load op + one op per operation, chained by `order`.

The partitioned config carries only what a launcher may choose (Project,
version, Period; trace and checkpoints switches) and reads nothing from the
store, so creating a run never fails: a locked Period or a non-runnable
Project is refused by the run's first op, alone (a backfill's other Periods
run). The Run snapshot is built from the store when the dobo Run is created
(`runs.server_snapshot`), never taken from run config (D13, D16).
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
from dobo_dagster.resources import DoboRunResource
from dobo_dagster.translator import LOAD_NODE, DoboTranslator
from dobo_engine.model.project import Project

_RESOURCE = DoboRunResource.configure_at_launch()  # one for every job: its config comes per run


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
        node = translator.node_name(operation)
        node_defs.append(op_def)
        deps[NodeInvocation(op_def.name, alias=node)] = {"working": DependencyDefinition(previous_node)}
        previous_node, previous_order = node, operation.order

    def run_config(partition_key: str) -> dict[str, Any]:
        chosen = {"project": project.id, "version": version, "period": partition_key}
        return {"resources": {"dobo": {"config": chosen}}}

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


__all__ = ["build_job"]
