"""The engine's :class:`~dobo_engine.engine.context.TableSource` backed by Resolvers.

For the Run's Period, each table is resolved (RES-9 selection, rule match,
expansion, rendering), every location's DataSource is checked (SRC-6), and
each location is loaded through the IO layer, schema-checked with its own
Period (DS-6, ROW-2) and concatenated lazily in location order.

What it used is kept for the Run snapshot: :attr:`resolver_snapshots`
(D13, RUN-3) and :attr:`locations` (D27). Both may be given up front from a
stored snapshot: a pinned Resolver version is then used as is (RES-11), and
a table whose locations are recorded loads exactly those, with no rule
evaluated again (resume).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from dobo_engine.errors import (
    DataNotFound,
    DataSourceDisabled,
    Location,
    UnreadableData,
    UnsupportedSourceType,
    UnsupportedStrategy,
)
from dobo_engine.io.credentials import resolve_credential, storage_options
from dobo_engine.io.files import FILE_TYPES, FileLoader
from dobo_engine.io.fingerprints import Fingerprint, location_fingerprints
from dobo_engine.io.protocols import DataSourceView, ResolvedLocationLike, TableSchemaLike, plain_datasource
from dobo_engine.io.sources import SourceLoader
from dobo_engine.io.sources import load_table as load_locations
from dobo_engine.model.common import LoadWarning
from dobo_engine.model.dataset import Dataset, TableRef
from dobo_engine.model.resolver import ResolvedLocation
from dobo_engine.model.run import PeriodDetails, ResolverSnapshot
from dobo_engine.resolver.catalog import CatalogReader, status_of, version_of
from dobo_engine.resolver.registered_outputs import RegisteredLocations, registered_rule, serve_registered
from dobo_engine.resolver.rules import resolve_locations
from dobo_engine.resolver.selection import ResolverChoice, choose_resolver

_STRATEGY_TYPES = {"path": ("parquet", "csv"), "table": ("database",)}
_FOREIGN_SAMPLE = 5


def usable_datasource(catalog: CatalogReader, location: ResolvedLocation) -> DataSourceView:
    """The DataSource a location reads, checked before any IO (RES-7, SRC-1, SRC-6)."""
    if location.strategy == "catalog":
        raise UnsupportedStrategy(
            f"table {location.table_name!r}, Period {location.period_identifier!r}: rule {location.rule!r} of "
            f"Resolver {location.resolver_id!r} uses the reserved `catalog` strategy, which has no adapter",
            rule="RES-7",
        )
    datasource = catalog.datasource(location.datasource_id or "")
    if status_of(datasource) == "disabled":
        raise DataSourceDisabled(
            f"DataSource {datasource.id!r} (table {location.table_name!r}, Period {location.period_identifier!r}) is disabled",
            rule="SRC-6",
            payload={"datasource_id": datasource.id},
        )
    if datasource.type == "api":
        raise UnsupportedSourceType(f"DataSource {datasource.id!r} of type 'api' has no adapter", rule="SRC-1")
    if datasource.type not in _STRATEGY_TYPES[location.strategy]:
        raise UnsupportedSourceType(
            f"a `{location.strategy}` strategy cannot read DataSource {datasource.id!r} of type {datasource.type!r}",
            rule="RES-7",
        )
    return plain_datasource(datasource)


@dataclass
class ResolvingTableSource:
    """Resolves and loads the tables a Run reads for its Period (a ``TableSource``).

    ``period`` is the Run's Period with its descendants (D27); ``calendar_id``
    defaults to ``period.calendar_id`` (D23). ``resolver_overrides`` are the
    Project's (RES-9). ``resolver_snapshots`` and ``locations`` may hold what a
    stored snapshot recorded; both lists grow as new Datasets and tables are
    resolved.
    """

    catalog: CatalogReader
    period: PeriodDetails
    clock: datetime
    calendar_id: str | None = None
    resolver_overrides: Mapping[str, str] = field(default_factory=dict)
    resolver_snapshots: list[ResolverSnapshot] = field(default_factory=list)
    locations: list[ResolvedLocation] = field(default_factory=list)
    registered: RegisteredLocations | None = None
    data_root: str | None = None
    load_warnings: list[LoadWarning] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.calendar_id = self.calendar_id or self.period.calendar_id
        if not self.calendar_id:
            raise ValueError("the Run's Calendar is needed to resolve its Period (D23)")
        # Own copies: what callers passed in is never changed behind their back.
        self.resolver_snapshots = list(self.resolver_snapshots)
        self.locations = list(self.locations)

    # -- TableSource -------------------------------------------------------

    def dataset(self, dataset_id: str, version: int | None = None) -> Dataset:
        """A Dataset by id; an unpinned one the Run already recorded keeps that version (RUN-3)."""
        if version is None:
            version = next((s.dataset_version for s in self.resolver_snapshots if s.dataset_id == dataset_id), None)
        return self.catalog.dataset(dataset_id, version)

    def load_table(self, dataset: Dataset, table: TableRef) -> pl.LazyFrame:
        """Every location of ``table`` for the Run's Period, checked and concatenated in order."""
        locations = self.resolve(dataset, table)
        sources = {loc.datasource_id or "": usable_datasource(self.catalog, loc) for loc in locations}
        loader = SourceLoader(sources, data_root=self.data_root)
        periods = self.period.identifiers() if table.temporal_mode == "period" else None

        def load_one(location: ResolvedLocationLike, schema: TableSchemaLike) -> pl.LazyFrame:
            # The `_period` filter (TMP-1) is pushed into SQL for database tables.
            return loader.load(location, schema, periods=periods)

        frame = load_locations(
            load_one,
            locations,
            table,
            dataset_id=dataset.id,
            clock=self.clock,
            descendant_periods=self.period.identifiers(),
        )
        if table.temporal_mode == "period":
            self._check_period_labels(frame, dataset, table, locations)
        return frame

    def fingerprints(self, dataset: Dataset, table: TableRef) -> list[Fingerprint] | None:
        """What the table's load read, to tell later that it can be read again unchanged (TR-15).

        Files can; a database table cannot (its rows change in place), so it gives None.
        """
        found: list[Fingerprint] = []
        for location in self.resolve(dataset, table):
            datasource = usable_datasource(self.catalog, location)
            if datasource.type not in FILE_TYPES or not location.path:
                return None
            uri = FileLoader(datasource, data_root=self.data_root).location_uri(location.path)
            options = storage_options(resolve_credential(datasource.credential_ref))  # resolved now, never kept
            prints = location_fingerprints(uri, datasource.type, options)
            if prints is None:
                return None
            found += prints
        return found

    def _check_period_labels(
        self, frame: pl.LazyFrame, dataset: Dataset, table: TableRef, locations: list[ResolvedLocation]
    ) -> None:
        """Rows whose `_period` is outside every Period read are mislabelled: warn, or fail if nothing is left (TMP-1).

        A location of a coarser Period legitimately holds rows of the Run's
        siblings (RES-5, trimmed by TMP-1); those are expected. Rows labelled
        with a Period outside the Run's and outside every location's Period
        are counted (one Polars aggregate) and reported with a sample.
        """
        run_periods = set(self.period.identifiers())
        expected = run_periods | {p for loc in locations for p in self._period_and_descendants(loc.period_identifier)}
        label = pl.col("_period")
        kept = label.is_in(sorted(run_periods)).fill_null(False)
        foreign = ~label.is_in(sorted(expected)).fill_null(False)
        where = [loc.path or f"{loc.schema or ''}.{loc.table or ''}" for loc in locations]
        try:
            stats = (
                frame.select(
                    kept.sum().alias("kept"),
                    foreign.sum().alias("foreign"),
                    label.filter(foreign)
                    .cast(pl.Utf8)
                    .fill_null("NULL")
                    .unique()
                    .sort()
                    .head(_FOREIGN_SAMPLE)
                    .implode()
                    .alias("sample"),
                )
                .collect()
                .row(0, named=True)
            )
        except pl.exceptions.PolarsError as exc:  # a lazily scanned file fails only now: name it
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UnreadableData(
                f"table {table.name!r} of Dataset {dataset.id!r}, Period {self.period.identifier!r} "
                f"({', '.join(repr(w) for w in where)}): the data cannot be read: {reason}",
                rule="RES-8",
            ) from None
        if not stats["foreign"]:
            return
        message = (
            f"table {table.name!r} of Dataset {dataset.id!r} ({', '.join(repr(w) for w in where)}): "
            f"{stats['foreign']} row(s) carry a `_period` outside Period {self.period.identifier!r} and the "
            f"Periods read (e.g. {', '.join(stats['sample'])}); they are not used"
        )
        if not stats["kept"]:
            raise DataNotFound(
                f"{message}, and no row of the Run's Period is left",
                rule="TMP-1",
                payload={
                    "table": table.name,
                    "period": self.period.identifier,
                    "foreign_rows": stats["foreign"],
                    "sample": list(stats["sample"]),
                },
            )
        warning = LoadWarning(message, "TMP-1", Location())
        if warning not in self.load_warnings:  # a table read twice (lookup and join, say) warns once
            self.load_warnings.append(warning)

    def _period_and_descendants(self, identifier: str) -> set[str]:
        found, todo = {identifier}, [identifier]
        while todo:
            children = [p.identifier for p in self.catalog.children(str(self.calendar_id), todo.pop())]
            todo += [c for c in children if c not in found]
            found.update(children)
        return found

    # -- resolution --------------------------------------------------------

    def choose(self, dataset: Dataset) -> ResolverChoice:
        """The Dataset's Resolver (RES-9, or the recorded version, RES-11), recorded for the snapshot."""
        dataset_version = version_of(dataset)
        recorded = next(
            (s for s in self.resolver_snapshots if s.dataset_id == dataset.id and s.dataset_version == dataset_version),
            None,
        )
        pinned = (recorded.resolver_id, recorded.resolver_version) if recorded else None
        choice = choose_resolver(self.catalog, dataset, self.resolver_overrides, pinned=pinned)
        if recorded is None:
            self.resolver_snapshots.append(
                ResolverSnapshot(
                    dataset_id=dataset.id,
                    dataset_version=dataset_version,
                    resolver_id=choice.resolver_id,
                    resolver_version=choice.resolver_version,
                )
            )
        return choice

    def resolve(self, dataset: Dataset, table: TableRef) -> list[ResolvedLocation]:
        """The table's locations: recorded ones if the Run has them (D27), else freshly resolved."""
        choice = self.choose(dataset)
        recorded = [loc for loc in self.locations if self._same_source(loc, choice, dataset, table)]
        if recorded:
            return recorded
        found = self._resolve_new(choice, dataset, table)
        self.locations += found
        return found

    def _resolve_new(self, choice: ResolverChoice, dataset: Dataset, table: TableRef) -> list[ResolvedLocation]:
        calendar_id = str(self.calendar_id)
        if choice.resolver is not None:
            period = self.catalog.period(calendar_id, self.period.identifier)
            return resolve_locations(self.catalog, calendar_id, choice.resolver, table.name, period)
        found = []
        if self.registered is not None and table.name == dataset.main_table.name:
            found = serve_registered(
                self.registered,
                lambda ident: [p.identifier for p in self.catalog.children(calendar_id, ident)],
                dataset.id,
                calendar_id,
                self.period.identifier,
                table.name,
            )
        if not found:
            raise DataNotFound(
                f"table {table.name!r} of registered Dataset {dataset.id!r}: no location is recorded for "
                f"Period {self.period.identifier!r} or its descendants in Calendar {calendar_id!r}",
                rule="RES-8",
                payload={"table": table.name, "period": self.period.identifier, "dataset_id": dataset.id},
            )
        return found

    @staticmethod
    def _same_source(location: ResolvedLocation, choice: ResolverChoice, dataset: Dataset, table: TableRef) -> bool:
        # Rule-made locations depend only on (Resolver version, table, Period), so
        # two Datasets sharing them load the same files; registered ones are per Dataset.
        return (
            location.resolver_id == choice.resolver_id
            and location.resolver_version == choice.resolver_version
            and location.table_name == table.name
            and (not choice.registered or location.rule == registered_rule(dataset.id))
        )
