"""Datasets and Resolvers a Project loads (VAL-006, VAL-007, VAL-008, VAL-018).

Every lookup goes through the :class:`CatalogReader`, so the metadata store,
the scenario harness (with its test resolver) and tests all validate the
same way. The Resolver is chosen by the Resolver module's own RES-9 code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dobo_engine.errors import DoboError, ResolverDisabled, ResolverNotFound
from dobo_engine.model.dataset import Dataset
from dobo_engine.resolver.catalog import CatalogReader, status_of, version_of
from dobo_engine.resolver.selection import choose_resolver
from dobo_engine.validation.report import Collector, op_path
from dobo_engine.validation.view import OperationView


def _describe(dataset_id: str, version: int | None) -> str:
    return f"Dataset {dataset_id}" + (f" version {version}" if version is not None else "")


@dataclass
class DatasetRefs:
    catalog: CatalogReader
    out: Collector
    purpose: str
    overrides: Mapping[str, str]
    pinned_versions: Mapping[str, int] = field(default_factory=dict)
    _resolver_checked: set[str] = field(default_factory=set)

    def _version(self, dataset_id: str, explicit: object) -> tuple[int | None, bool]:
        """(version to use, whether it is pinned) for a dataset reference (V-1, V-4)."""
        if isinstance(explicit, int) and not isinstance(explicit, bool):
            return explicit, True
        if self.purpose == "run" and dataset_id in self.pinned_versions:
            return self.pinned_versions[dataset_id], True
        return None, False

    def _find(self, dataset_id: str, version: int | None, pinned: bool) -> tuple[Dataset | None, str | None]:
        """The Dataset, or why it cannot be used; DS-4's "is active" is skipped at Run start for pins (V-1)."""
        try:
            dataset = self.catalog.dataset(dataset_id, version)
        except DoboError:
            return None, f"{_describe(dataset_id, version)} does not exist"
        if status_of(dataset) != "active" and not (self.purpose == "run" and pinned):
            return dataset, f"{_describe(dataset_id, version_of(dataset))} is {status_of(dataset)}, not active"
        return dataset, None

    def input(self, dataset_id: str | None, requested: int | None, authored: int | None) -> Dataset | None:
        """VAL-018: the input Dataset and the chosen version exist and are active.

        The version is the one given, else the one a Run recorded, else the
        authored pin, else the latest (PRJ-9). A disabled Dataset is still
        returned so its schema can be checked without cascading failures.
        """
        if not dataset_id:
            return None  # a parse finding: the Project names no input
        if requested is None and self.purpose == "run" and dataset_id in self.pinned_versions:
            requested = self.pinned_versions[dataset_id]
        version = requested if requested is not None else authored
        dataset, problem = self._find(dataset_id, version, version is not None)
        if problem:
            self.out.fail("VAL-018", "UnresolvedDatasetRef", None, f"input {problem}", "input_dataset_id")
        if dataset is not None:
            self.resolver(dataset, None, "input_dataset_id")
        return dataset

    def join_or_append(
        self, dataset_id: object, explicit: object, op: OperationView, where: str, what: str
    ) -> Dataset | None:
        """VAL-008 for a RuntimeJoin `dataset_id` or an append `source`, then its Resolver."""
        if not isinstance(dataset_id, str):
            return None
        version, pinned = self._version(dataset_id, explicit)
        dataset, problem = self._find(dataset_id, version, pinned)
        path = op_path(op.order, op.index, where)
        if problem:
            self.out.fail("VAL-008", "UnresolvedDatasetRef", op.order, f"{what} {problem}", path)
        if dataset is not None:
            self.resolver(dataset, op.order, path)
        return dataset

    def resolver(self, dataset: Dataset, order: int | None, path: str) -> None:
        """VAL-006/VAL-007 by RES-9 (override > Dataset `resolver_id` > default); once per Dataset."""
        if dataset.id in self._resolver_checked:
            return
        self._resolver_checked.add(dataset.id)
        try:
            choose_resolver(self.catalog, dataset, self.overrides)
        except DoboError as err:
            if isinstance(err, ResolverDisabled):
                self.out.fail("VAL-007", "ResolverDisabled", order, err.message, path)
            else:
                wanted = self.overrides.get(dataset.id) or dataset.resolver_id
                detail = (
                    err.message
                    if isinstance(err, ResolverNotFound)
                    else f"Resolver {wanted} chosen for Dataset {dataset.id} cannot be found: {err.message}"
                )
                self.out.fail("VAL-006", "ResolverNotFound", order, detail, path)
