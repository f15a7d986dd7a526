"""One Project version as Dagster assets and a job: a graph of ops, one per operation.

The graph is the load op (operation 0) and one op per operation, chained by
`order`; its inputs are the Datasets the Project reads, its outputs the
Project's trace asset and one asset per `output` operation
(`AssetsDefinition.from_graph`). The assets are materialized together: from
the asset graph, by a backfill of either, or by the Project's asset job,
named after the Project. Nothing of a run is configurable but the trace and
checkpoint switches: the Project and version are the graph's own, the Period
is the partition (the snapshot is built from the store when the dobo Run is
created, `runs.server_snapshot`, D13, D16). A locked Period or a
non-runnable Project is refused by the run's first op, alone (a backfill's
other Periods run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    DependencyDefinition,
    DynamicPartitionsDefinition,
    GraphDefinition,
    InputMapping,
    NodeInvocation,
    OutputMapping,
    PartitionedConfig,
    define_asset_job,
    in_process_executor,
)

from dobo_dagster.assets import consumed_datasets
from dobo_dagster.ops import ASSET_OUT, TRACE_OUT, load_op, operation_op
from dobo_dagster.runs import RunTarget
from dobo_dagster.translator import LOAD_NODE, DoboTranslator
from dobo_engine.model.project import Project


@dataclass
class ProjectAssets:
    """A Project's assets (the graph-backed definition) and its job (an asset job over them)."""

    assets: AssetsDefinition
    job: Any  # an unresolved asset job definition; Dagster resolves it with the location's assets
    produced: list[AssetKey]


def _input_name(dataset_id: str) -> str:
    return "dataset_" + "".join(c if c.isalnum() else "_" for c in dataset_id)


def build_project_assets(
    project: Project,
    version: int,
    status: str,
    calendar_id: str,
    partitions: DynamicPartitionsDefinition,
    translator: DoboTranslator,
) -> ProjectAssets:
    t = translator
    target = RunTarget(project.id, version, t)
    operations = sorted(project.operations, key=lambda o: o.order)
    keys_by_output: dict[str, AssetKey] = {TRACE_OUT: t.trace_asset_key(project.id)}
    output_mappings: list[OutputMapping] = []
    for op in operations:
        if op.type == "output":
            name = f"{ASSET_OUT}_{op.order}"
            keys_by_output[name] = t.output_asset_key(project.id, op)
            output_mappings.append(OutputMapping(name, t.node_name(op), ASSET_OUT))
    produced = set(keys_by_output.values())
    inputs = {
        _input_name(d): d for d in consumed_datasets(project) if t.dataset_asset_key(d) not in produced
    }  # a Dataset the Project also registers is not its own upstream
    load = load_op(project, t, target, inputs)
    node_defs = [load]
    deps: dict[Any, dict[str, DependencyDefinition]] = {NodeInvocation(load.name, alias=LOAD_NODE): {}}
    previous_node, previous_order = LOAD_NODE, 0
    for i, operation in enumerate(operations):
        last = i == len(operations) - 1
        op_def = operation_op(project, operation, previous_order, last, t, target)
        node = t.node_name(operation)
        node_defs.append(op_def)
        deps[NodeInvocation(op_def.name, alias=node)] = {"working": DependencyDefinition(previous_node)}
        previous_node, previous_order = node, operation.order
        if last:
            output_mappings.append(OutputMapping(TRACE_OUT, node, TRACE_OUT))

    name = t.job_name(project.id)
    graph = GraphDefinition(
        name=t.graph_name(project.id),
        node_defs=node_defs,
        dependencies=deps,
        input_mappings=[
            InputMapping(graph_input_name=n, mapped_node_name=LOAD_NODE, mapped_node_input_name=n) for n in inputs
        ],
        output_mappings=output_mappings,
        description=project.description or project.name,
    )
    assets = AssetsDefinition.from_graph(
        graph,
        keys_by_input_name={n: t.dataset_asset_key(d) for n, d in inputs.items()},
        keys_by_output_name=keys_by_output,
        partitions_def=partitions,
        group_name=t.group_name(project.id),
        descriptions_by_output_name=_descriptions(project, keys_by_output),
        metadata_by_output_name={
            n: {"dobo/project_id": project.id, "dobo/project_version": version} for n in keys_by_output
        },
        tags_by_output_name={n: {"dagster/kind/dobo": ""} for n in keys_by_output},
        code_versions_by_output_name={n: str(version) for n in keys_by_output},
    )

    def run_config(_partition_key: str) -> dict[str, Any]:
        return {}  # the Period is the partition; nothing else comes from run config

    def run_tags(partition_key: str) -> dict[str, str]:
        return t.run_tags(project.id, calendar_id, partition_key)

    draft = ", manual only, sandbox outputs" if status == "draft" else ""
    job = define_asset_job(
        name=name,
        selection=list(produced),
        config=PartitionedConfig(
            partitions_def=partitions, run_config_for_partition_key_fn=run_config, tags_for_partition_key_fn=run_tags
        ),
        executor_def=in_process_executor,
        tags=t.job_tags(project, version, status),
        metadata=t.job_metadata(project, version, status),
        description=f"{project.name} (v{version}, {status}{draft})",
    )
    return ProjectAssets(assets, job, sorted(produced, key=lambda k: k.to_user_string()))


def _descriptions(project: Project, keys_by_output: dict[str, AssetKey]) -> dict[str, str]:
    found = {TRACE_OUT: f"trace of {project.name}"}
    for op in project.operations:
        if op.type == "output":
            label = f" ({op.name})" if op.name else ""
            found[f"{ASSET_OUT}_{op.order}"] = f"output of operation {op.order}{label} of {project.id}"
    return {n: d for n, d in found.items() if n in keys_by_output}


__all__ = ["ProjectAssets", "build_project_assets"]
