"""What ``dobo resolve <dataset-id> --period P [--project ID]`` shows (cli.md).

For each table of the Dataset (main table, then table lookups in order):
the Resolver chosen, the rule that matched and every location, or why
nothing matched (RES-3 diagnostics). Nothing is loaded and nothing is
recorded; failures are reported in the result rather than raised, except
an unknown Dataset or Period (bad input).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dobo_engine.errors import DoboError
from dobo_engine.model.dataset import Dataset, TableTarget
from dobo_engine.model.project import Project
from dobo_engine.model.run import PeriodDetails
from dobo_engine.resolver.catalog import CatalogReader, version_of
from dobo_engine.resolver.periods import period_details
from dobo_engine.resolver.registered_outputs import RegisteredLocations, serve_registered
from dobo_engine.resolver.rules import ResolutionResult, resolve_table
from dobo_engine.resolver.selection import ResolverChoice, choose_resolver


@dataclass
class DatasetResolution:
    """The resolution of every table of one Dataset for one Period."""

    dataset_id: str
    dataset_version: int
    calendar_id: str
    period: PeriodDetails
    resolver_id: str | None = None
    resolver_version: int | None = None
    resolver_source: str | None = None  # override | dataset | default
    tables: list[ResolutionResult] = field(default_factory=list)
    error: DoboError | None = None  # selection failed (RES-9)

    @property
    def ok(self) -> bool:
        return self.error is None and all(t.status == "resolved" for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset_id": self.dataset_id,
            "dataset_version": self.dataset_version,
            "calendar_id": self.calendar_id,
            "period": self.period.model_dump(mode="json"),
            "resolver": {"id": self.resolver_id, "version": self.resolver_version, "source": self.resolver_source},
            "tables": [t.as_dict() for t in self.tables],
            **({"error": self.error.to_dict()} if self.error is not None else {}),
        }

    def render_lines(self) -> list[str]:
        """A plain-text report, one fact per line."""
        lines = [
            f"Dataset {self.dataset_id} v{self.dataset_version}, Period {self.period.identifier} "
            f"({self.period.level}, Calendar {self.calendar_id})"
        ]
        if self.error is not None:
            return [*lines, f"  {self.error.code}: {self.error.message}"]
        lines.append(f"Resolver {self.resolver_id} v{self.resolver_version} (from {self.resolver_source})")
        for table in self.tables:
            head = f"  table {table.table_name}: "
            if table.error is not None:
                lines.append(head + f"{table.error.code}: {table.error.message}")
                lines += [f"    {d.render()}" for d in table.diagnostics]
                continue
            lines.append(head + (f"rule {table.rule!r}" if table.rule else table.status))
            for loc in table.locations:
                where = loc.path or loc.endpoint or ".".join(p for p in (loc.schema, loc.table) if p)
                lines.append(
                    f"    {loc.period_identifier}: {loc.datasource_id or loc.strategy}:{where} (rule {loc.rule!r})"
                )
        return lines


def dataset_tables(dataset: Dataset) -> list[str]:
    """The main table and the table lookups, in declaration order (nested Datasets resolve on their own)."""
    return [dataset.main_table.name, *(lk.target.name for lk in dataset.lookups if isinstance(lk.target, TableTarget))]


def _registered_table(
    catalog: CatalogReader,
    registered: RegisteredLocations | None,
    choice: ResolverChoice,
    dataset: Dataset,
    calendar_id: str,
    period: PeriodDetails,
    table: str,
) -> ResolutionResult:
    result = ResolutionResult("empty", choice.resolver_id, choice.resolver_version, table, period.identifier)
    if registered is not None and table == dataset.main_table.name:
        result.locations = serve_registered(
            registered,
            lambda ident: [p.identifier for p in catalog.children(calendar_id, ident)],
            dataset.id,
            calendar_id,
            period.identifier,
            table,
        )
    if result.locations:
        result.status, result.rule = "resolved", result.locations[0].rule
    return result


def explain_resolution(
    catalog: CatalogReader,
    dataset_id: str,
    period_identifier: str,
    calendar_id: str,
    *,
    project: Project | None = None,
    dataset_version: int | None = None,
    registered: RegisteredLocations | None = None,
) -> DatasetResolution:
    """Resolve every table of a Dataset for a Period without loading anything.

    ``calendar_id`` is used unless ``project`` names its own Calendar (D23);
    the Project's ``resolver_overrides`` take part in selection (RES-9).
    """
    if project is not None and project.calendar_id:
        calendar_id = project.calendar_id
    dataset = catalog.dataset(dataset_id, dataset_version)
    details = period_details(catalog, calendar_id, period_identifier)
    report = DatasetResolution(dataset.id, version_of(dataset), calendar_id, details)
    try:
        choice = choose_resolver(catalog, dataset, project.resolver_overrides if project else None)
    except DoboError as exc:
        report.error = exc
        return report
    report.resolver_id, report.resolver_version, report.resolver_source = (
        choice.resolver_id,
        choice.resolver_version,
        choice.source,
    )
    period = catalog.period(calendar_id, period_identifier)
    for table in dataset_tables(dataset):
        if choice.resolver is None:
            report.tables.append(_registered_table(catalog, registered, choice, dataset, calendar_id, details, table))
        else:
            report.tables.append(resolve_table(catalog, calendar_id, choice.resolver, table, period))
    return report
