"""Lineage around the Projects' assets: the Datasets they read, as external asset specs.

A Project's trace and output assets are produced by its graph (`jobs.py`);
the Datasets it reads are its graph's inputs. A Dataset that some Project
registers (`register_as_dataset`) is that Project's output asset, so a
consuming Project hangs below it: Dataset -> Project -> output -> next Project.
A Dataset no Project produces is an external asset here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetKey,
    AssetSpec,
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
        self.specs.setdefault(spec.key, spec)

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

    def all(self, produced: set[AssetKey]) -> Iterable[AssetSpec]:
        """The specs of the assets no Project's graph produces (a registered Dataset is its producer's)."""
        return [spec for key, spec in self.specs.items() if key not in produced]


__all__ = ["LineageSpecs", "consumed_datasets"]
