"""Lineage around the Projects' assets: the Datasets they read, as external asset specs.

A Project's trace and output assets are produced by its graph (`jobs.py`);
the Datasets it reads are its graph's inputs. A Dataset that some Project
registers (`register_as_dataset`) is that Project's output asset, so a
consuming Project hangs below it: Dataset -> Project -> output -> next Project.
A Dataset no Project produces is a source Dataset: an external asset here.

Partitions of a source Dataset's asset: those of the Projects that read it
when they all run at one (Calendar, level), so each Period of that level is a
partition of the Dataset too and its data version is kept per Period
(`automation.dataset_observation`). When its readers run at different levels
(or Calendars) no one partitions definition fits them all: a partition key
would name a month for one reader and a quarter for another. Such a Dataset
stays unpartitioned; its observations then say which Period they resolved
(`dobo/period`). A Dataset no Project reads is unpartitioned too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetKey,
    AssetSpec,
    PartitionsDefinition,
    asset_check,
)

from dobo_dagster.partitions import CalendarLevel
from dobo_dagster.translator import DoboTranslator
from dobo_engine.model.project import Project

# Each source Dataset of the location and the partitions of its asset (None: unpartitioned).
SourceDatasets = Mapping[str, PartitionsDefinition | None]


def datasets_read(project: Project) -> dict[str, int | None]:
    """Every Dataset a project reads (its input, RuntimeJoin and append sources) and the version
    it names (None: the latest), in the order it reads them; the input's version wins a tie."""
    found: dict[str, int | None] = {project.input_dataset_id: project.input_dataset_version}
    for op in project.operations:
        for read in op.datasets_read():
            found.setdefault(read.dataset_id, read.dataset_version)
    return found


def consumed_datasets(project: Project) -> list[str]:
    """Every Dataset a project reads: its input, RuntimeJoin and append sources."""
    return list(datasets_read(project))


def shared_level(readers: Iterable[CalendarLevel]) -> CalendarLevel | None:
    """The one (Calendar, level) all readers of a Dataset run at, or None (no reader, or several)."""
    found = set(readers)
    return found.pop() if len(found) == 1 else None


@dataclass
class LineageSpecs:
    translator: DoboTranslator
    specs: dict[AssetKey, AssetSpec] = field(default_factory=dict)

    def add(self, spec: AssetSpec) -> None:
        self.specs.setdefault(spec.key, spec)

    def dataset(self, dataset_id: str, name: str | None = None, partitions: PartitionsDefinition | None = None) -> None:
        self.add(
            AssetSpec(
                self.translator.dataset_asset_key(dataset_id),
                description=name or dataset_id,
                group_name="dobo_datasets",
                kinds={"dobo"},
                metadata={"dobo/dataset_id": dataset_id},
                partitions_def=partitions,
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


__all__ = ["LineageSpecs", "SourceDatasets", "consumed_datasets", "datasets_read", "shared_level"]
