"""The finance sample (entities.md §8) as in-memory Runs of the real engine."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from dobo_engine.engine.checkpoints import CheckpointStore
from dobo_engine.engine.context import RunContext
from dobo_engine.engine.pipeline import Executor, RunOutcome
from dobo_engine.harness.memory import MemoryOutputs, MemoryTables
from dobo_engine.model.documents import parse_file, parse_text
from dobo_engine.model.project import Project
from dobo_engine.model.run import PeriodDetails, ProjectSnapshot
from dobo_engine.trace.store import TraceWriter

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "examples/finance/catalog"
DATA = ROOT / "examples/finance/data"
CLOCK = datetime(2026, 2, 1, 6, 0, tzinfo=UTC)

MONTHS = {
    m: PeriodDetails(
        calendar_id="finance",
        identifier=f"2026-{m:02d}",
        level="month",
        year=2026,
        sequence=m,
        start_date=date(2026, m, 1),
        end_date=date(2026, m, [31, 28, 31][m - 1]),
    )
    for m in (1, 2, 3)
}
QUARTER = PeriodDetails(
    calendar_id="finance",
    identifier="2026-Q1",
    level="quarter",
    year=2026,
    sequence=1,
    start_date=date(2026, 1, 1),
    end_date=date(2026, 3, 31),
    descendants=list(MONTHS.values()),
)


def datasets() -> dict:
    found = {}
    for path in sorted((CATALOG / "datasets").glob("*.yaml")):
        for entity in parse_file(path):
            found[entity.id] = entity
    return found


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False) if path.suffix == ".csv" else pl.read_parquet(path)


def month_rows(table: str, months=(1,)) -> pl.DataFrame:
    frames = []
    for m in months:
        folder = DATA / "2026" / f"{m:02d}"
        path = folder / f"{table}.csv" if (folder / f"{table}.csv").exists() else folder / f"{table}.parquet"
        frames.append(_read(path).with_columns(pl.lit(f"2026-{m:02d}").alias("_period")))
    return pl.concat(frames, how="diagonal_relaxed")


def sample_rows(months=(1,)) -> dict[tuple[str, str], pl.DataFrame]:
    return {
        ("ds-gl", "transactions"): month_rows("transactions", months),
        ("ds-gl", "accounts"): month_rows("accounts", months),
        ("ds-gl", "cost_centers"): month_rows("cost_centers", months),
        ("ds-budgets", "budgets"): month_rows("budgets", months),
        ("ds-fx", "exchange_rates"): pl.read_parquet(DATA / "reference/exchange_rates.parquet"),
    }


def project(yaml_text: str) -> Project:
    (entity,) = parse_text(yaml_text)
    return entity


def executor(
    prj: Project,
    tmp_path: Path,
    *,
    period: PeriodDetails = MONTHS[1],
    rows=None,
    run_id: str = "run-1",
    trace: bool = True,
    as_known_at: date | None = None,
    outputs: MemoryOutputs | None = None,
    steps: list | None = None,
    checkpoints: str = "operations",
    tables: type[MemoryTables] | None = None,  # None: the module's MemoryTables, as tests patch it
) -> tuple[Executor, MemoryOutputs]:
    """The engine for one Run of `prj` on the sample, its outputs kept in memory."""
    snapshot = ProjectSnapshot(
        project_id=prj.id,
        project_version=1,
        input_dataset_id=prj.input_dataset_id,
        input_dataset_version=1,
        materialization=prj.materialization,
        selectors=prj.selectors,
        operations=prj.operations,
        period=period,
        clock=CLOCK,
        today=CLOCK.date(),
        as_known_at=as_known_at,
        trace=trace,
        checkpoints=checkpoints,
    )
    all_datasets = datasets()
    outputs = outputs or MemoryOutputs()
    ctx = RunContext(
        run_id=run_id,
        project_id=prj.id,
        clock=CLOCK,
        today=CLOCK.date(),
        period=period,
        input_dataset=all_datasets[prj.input_dataset_id],
        materialization=prj.materialization,
        tables=(tables or MemoryTables)(all_datasets, rows or sample_rows(), CLOCK, period.identifier),
        outputs=outputs,
        selectors=prj.selectors,
        as_known_at=as_known_at,
    )
    built = Executor(
        snapshot,
        ctx,
        CheckpointStore(str(tmp_path / "checkpoints")),
        TraceWriter(str(tmp_path / "trace")) if trace else None,
        on_step=(steps.append if steps is not None else lambda s: None),
    )
    return built, outputs


def run(
    prj: Project, tmp_path: Path, *, resume_after: int | None = None, **options: Any
) -> tuple[RunOutcome, MemoryOutputs]:
    """One Run of `prj` (from the load, or resumed after `resume_after`); `options` as for `executor`."""
    built, outputs = executor(prj, tmp_path, **options)
    return built.run(resume_after), outputs
