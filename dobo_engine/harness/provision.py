"""Provisioning scenario data (scenarios.md §2-§4): typed frames, metadata, the test resolver.

The built-in test resolver (SC-1) is :class:`MemoryTables`: it serves every
table of every scenario Dataset whole, and the engine does the period
filtering itself. Metadata is injected here (§3) so that row ids depend only
on (run clock, Dataset id, table, row index) and a scenario can state them.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from dobo_engine.columns import LABELS_DTYPE, SYSTEM_COLUMNS, TIMESTAMP_DTYPE, column_dtype
from dobo_engine.errors import DataFileNotFound, DatasetNotProvided, Location, SchemaValidationError
from dobo_engine.harness.memory import MemoryTables
from dobo_engine.harness.scenario import DataBlock, PeriodSpec, Scenario, ScenarioDataset, locate
from dobo_engine.harness.values import ROW_SYSTEM_COLUMNS, Locator, convert_frame, rows_frame
from dobo_engine.io.row_ids import row_id_expr, seed_text
from dobo_engine.model.dataset import Dataset, TableRef
from dobo_engine.model.project import Project
from dobo_engine.model.run import PeriodDetails


def period_details(scenario: Scenario) -> PeriodDetails:
    """The Run's Period with every descendant (D8 via `parent` links), as the engine wants it."""
    specs = scenario.periods

    def details(spec: PeriodSpec, descendants: list[PeriodDetails]) -> PeriodDetails:
        siblings = sorted(
            (p for p in specs if p.level == spec.level and p.start_date.year == spec.start_date.year),
            key=lambda p: p.start_date,
        )
        return PeriodDetails(
            calendar_id="scenario",
            identifier=spec.identifier,
            level=spec.level,
            year=spec.start_date.year,
            sequence=siblings.index(spec) + 1,
            start_date=spec.start_date,
            end_date=spec.end_date,
            descendants=descendants,
        )

    def below(identifier: str) -> list[PeriodSpec]:
        children = [p for p in specs if p.parent == identifier]
        return [d for c in children for d in (c, *below(c.identifier))]

    target = next(p for p in specs if p.identifier == scenario.run_period)
    descendants = sorted((details(p, []) for p in below(target.identifier)), key=lambda d: d.start_date)
    return details(target, descendants)


def _table(dataset: Dataset, name: str) -> TableRef:
    if dataset.main_table.name == name:
        return dataset.main_table
    return next(lk.target for lk in dataset.lookups if lk.target.type == "table" and lk.target.name == name)


def _read_block(scenario: Scenario, block: DataBlock, allowed: list[str], table: str) -> pl.DataFrame:
    if block.rows is not None:
        return rows_frame(block.rows, allowed, table=table, where=block_where(scenario, block))
    path = block.file
    assert path is not None
    if not path.exists():
        raise DataFileNotFound(
            f"data file {path} of table {table!r} does not exist", location=locate(block.doc, (*block.path, "file"))
        )
    try:
        frame = pl.read_csv(path, infer_schema=False) if path.suffix.lower() == ".csv" else pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the scenario's problem
        raise SchemaValidationError(
            f"data file {path} of table {table!r} cannot be read: {exc}",
            location=locate(block.doc, (*block.path, "file")),
        ) from None
    unknown = [c for c in frame.columns if c not in allowed]
    if unknown:
        raise SchemaValidationError(
            f"data file {path}: column {unknown[0]!r} of table {table!r} is not declared",
            location=locate(block.doc, (*block.path, "file")),
        )
    return frame


def block_where(scenario: Scenario, block: DataBlock) -> Locator:
    def where(index: int, column: str) -> Location:
        if block.rows is None:
            return locate(block.doc, (*block.path, "file"))
        return locate(block.doc, (*block.path, "rows", index, column))

    return where


def input_frame(scenario: Scenario, entry: ScenarioDataset, table: TableRef) -> pl.DataFrame:
    """One provisioned table: converted values plus injected metadata (§2, §3)."""
    block = entry.data[table.name]
    declared = [c.name for c in table.columns]
    frame = _read_block(scenario, block, declared + list(ROW_SYSTEM_COLUMNS), table.name)
    targets: dict[str, pl.DataType] = {c.name: column_dtype(c) for c in table.columns}
    targets.update({n: SYSTEM_COLUMNS[n] for n in ROW_SYSTEM_COLUMNS if n != "_labels"})
    # Decimals from a typed file keep their stored type: the engine's load check applies DS-6.
    targets = {
        n: t
        for n, t in targets.items()
        if not (isinstance(t, pl.Decimal) and n in frame.columns and frame.schema[n] != pl.Utf8)
    }
    frame = convert_frame(frame, targets, table=table.name, where=block_where(scenario, block), decimals_as_text=True)
    if block.rows is not None:  # a key no row gives is NULL in every row (§2 rule 3); a file must have it (DS-6)
        absent = [c for c in table.columns if c.name not in frame.columns]
        frame = frame.with_columns(pl.lit(None, dtype=column_dtype(c)).alias(c.name) for c in absent)
    return _with_metadata(frame, entry.dataset, table, scenario)


def _with_metadata(frame: pl.DataFrame, dataset: Dataset, table: TableRef, scenario: Scenario) -> pl.DataFrame:
    clock = scenario.clock
    start: date = next(p.start_date for p in scenario.periods if p.identifier == scenario.run_period)

    def kept(name: str, fill: pl.Expr) -> pl.Expr:  # values a row supplies are kept (§3)
        return (pl.coalesce(pl.col(name), fill) if name in frame.columns else fill).alias(name)

    clock_lit = pl.lit(clock).cast(TIMESTAMP_DTYPE)
    exprs = [
        kept("_row_id", row_id_expr(clock, seed_text(dataset.id, table.name))),
        kept("_deleted", pl.lit(False)),
        kept("_created_at", clock_lit),
        kept("_updated_at", clock_lit),
        pl.lit(dataset.id).alias("_source_dataset_id"),
        pl.lit(table.name).alias("_source_table"),
        kept("_labels", pl.lit([], dtype=LABELS_DTYPE)),
    ]
    if table.temporal_mode == "period":
        exprs.append(kept("_period", pl.lit(scenario.run_period)))
    else:
        exprs.append(kept("_period_from", pl.lit(start)))
        exprs.append(kept("_period_to", pl.lit(None, dtype=pl.Date)))
        if "_valid_from" in frame.columns or "_valid_to" in frame.columns:  # the knowledge axis goes in pairs (D9)
            exprs += [kept("_valid_from", pl.lit(None, dtype=pl.Date)), kept("_valid_to", pl.lit(None, dtype=pl.Date))]
    return frame.with_columns(exprs)


def provision(scenario: Scenario, project: Project) -> MemoryTables:
    """Check the Datasets the Project loads are provided (rule 4), then build the test resolver."""
    entries = {e.dataset.id: e for e in scenario.all_datasets()}
    for dataset_id, version, what in needed_datasets(project, entries):
        entry = entries.get(dataset_id)
        if entry is None:
            raise DatasetNotProvided(
                f"{what} loads Dataset {dataset_id!r}, which the scenario does not define under `datasets`",
                location=locate(scenario.doc, ("datasets",)),
                rule="scenarios.md §1 rule 4",
            )
        have = entry.dataset.version or 1
        if version is not None and version != have:
            raise DatasetNotProvided(
                f"{what} pins Dataset {dataset_id!r} version {version}, the scenario defines version {have}",
                location=locate(scenario.doc, entry.path),
                rule="scenarios.md §1 rule 4",
            )
    rows: dict[tuple[str, str], pl.DataFrame] = {}
    for entry in scenario.all_datasets():
        for name in entry.data:
            rows[(entry.dataset.id, name)] = input_frame(scenario, entry, _table(entry.dataset, name))
    datasets = {e.dataset.id: e.dataset for e in scenario.all_datasets()}
    return MemoryTables(datasets, rows, scenario.clock, scenario.run_period)


def needed_datasets(project: Project, entries: dict[str, ScenarioDataset]) -> list[tuple[str, int | None, str]]:
    """(Dataset id, pinned version, who needs it) for every Dataset a Run of ``project`` loads."""
    needed: list[tuple[str, int | None, str]] = []

    def lookups_of(dataset_id: str, what: str) -> None:
        entry = entries.get(dataset_id)
        for lk in entry.dataset.lookups if entry else []:
            if lk.target.type == "dataset":
                needed.append((lk.target.dataset_id, lk.target.dataset_version, f"lookup {lk.alias!r} of {what}"))

    lookups_of(project.input_dataset_id, f"input Dataset {project.input_dataset_id!r}")
    for op in project.operations:
        for read in op.datasets_read():
            needed.append((read.dataset_id, read.dataset_version, f"operation {op.order} {read.role}"))
            if read.with_lookups:
                lookups_of(read.dataset_id, f"{read.role} {read.dataset_id!r}")
    return needed


__all__ = ["provision", "period_details", "needed_datasets", "input_frame", "block_where"]
