"""What every per-operation check receives: the catalog, the collectors, the Project."""

from __future__ import annotations

from dataclasses import dataclass, field

from dobo_engine.resolver.catalog import CatalogReader
from dobo_engine.validation.datasets import DatasetRefs
from dobo_engine.validation.expressions import ExpressionChecker
from dobo_engine.validation.report import Collector
from dobo_engine.validation.view import ProjectView


@dataclass
class Context:
    catalog: CatalogReader
    view: ProjectView
    purpose: str
    out: Collector
    expressions: ExpressionChecker
    datasets: DatasetRefs
    input_dataset_id: str | None = None
    registered: dict[str, int] = field(default_factory=dict)  # register_as_dataset id → first output order
