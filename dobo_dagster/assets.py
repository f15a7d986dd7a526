"""Lineage: Datasets, project traces and outputs as external asset specs.

dobo materializes nothing through Dagster assets; ops log one materialization
per asset, partition and Run on these keys (`materializations.py`). The graph reads: input Datasets -> the project's trace asset
(standing for the project) -> the project's outputs. A registered output is
its Dataset's asset, so a consuming project's trace hangs below it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetKey,
    AssetSpec,
    DynamicPartitionsDefinition,
    asset_check,
)

from dobo_dagster.translator import DoboTranslator
from dobo_engine.model.project import Project


def consumed_datasets(project: Project) -> list[str]:
    """Every Dataset a project reads: its input, RuntimeJoin and append sources."""
    found = [project.input_dataset_id]
    found += [read.dataset_id for op in project.operations for read in op.datasets_read()]
    return list(dict.fromkeys(found))


@dataclass
class LineageSpecs:
    translator: DoboTranslator
    specs: dict[AssetKey, AssetSpec] = field(default_factory=dict)

    def add(self, spec: AssetSpec) -> None:
        current = self.specs.get(spec.key)
        if current is None or (current.partitions_def is None and spec.partitions_def is not None):
            self.specs[spec.key] = spec  # a registered output's spec (partitioned) wins over the bare Dataset

    def dataset(self, dataset_id: str, name: str | None = None) -> None:
        self.add(
            AssetSpec(
                self.translator.dataset_asset_key(dataset_id),
                description=name or dataset_id,
                group_name="dobo_datasets",
                kinds={"dobo"},
                metadata={"dobo/dataset_id": dataset_id},
            )
        )

    def project(self, project: Project, version: int, partitions: DynamicPartitionsDefinition) -> None:
        t = self.translator
        trace_key = t.trace_asset_key(project.id)
        self.add(
            AssetSpec(
                trace_key,
                description=f"trace of {project.name}",
                group_name=t.group_name(project.id),
                deps=[t.dataset_asset_key(d) for d in consumed_datasets(project)],
                partitions_def=partitions,
                kinds={"dobo"},
                metadata={"dobo/project_id": project.id, "dobo/project_version": version},
            )
        )
        for op in project.operations:
            if op.type != "output":
                continue
            self.add(
                AssetSpec(
                    t.output_asset_key(project.id, op),
                    deps=[trace_key],
                    partitions_def=partitions,
                    group_name=t.group_name(project.id),
                    kinds={"dobo"},
                    description=f"output of operation {op.order}{f' ({op.name})' if op.name else ''} of {project.id}",
                    metadata={"dobo/project_id": project.id, "dobo/operation_order": op.order},
                )
            )

    def broken_project(self, project_id: str, error: str) -> AssetChecksDefinition:
        """A project that could not be built keeps its trace asset, with a failing check saying why."""
        key = self.translator.trace_asset_key(project_id)
        self.add(
            AssetSpec(
                key,
                group_name=self.translator.group_name(project_id),
                kinds={"dobo"},
                description=f"project {project_id} could not be loaded: {error}",
                metadata={"dobo/project_id": project_id, "dobo/load_error": error},
            )
        )

        @asset_check(asset=key, name="dobo_project_loads", description=f"project {project_id} loads")
        def _check() -> AssetCheckResult:
            return AssetCheckResult(passed=False, metadata={"error": error})

        return _check

    def all(self) -> Iterable[AssetSpec]:
        return self.specs.values()


__all__ = ["LineageSpecs", "consumed_datasets"]
