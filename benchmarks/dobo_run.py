"""The benchmark pipeline as a dobo Project, run through the real engine.

The Project (``PROJECT``) converts every GL line to USD at the closing rate
with an FX RuntimeJoin, bands and rounds the USD amount, soft-deletes lines
without a cost center, summarises by account and currency, and writes the
summary rows to the default destination. :class:`ParquetTables` serves the
generated Parquet files through the load-time schema check
(``dobo_engine.io.schema_check.conform``) and :class:`ParquetOutputs` writes
each output frame to a Parquet file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks import gl_data
from dobo_engine.engine.checkpoints import CheckpointStore
from dobo_engine.engine.context import RunContext, TableSource
from dobo_engine.engine.pipeline import Executor, RunOutcome, StepReport
from dobo_engine.errors import DataNotFound, UnresolvedDatasetRef
from dobo_engine.io.fingerprints import Fingerprint, file_fingerprint
from dobo_engine.io.row_ids import seed_text
from dobo_engine.io.schema_check import conform
from dobo_engine.model.dataset import Dataset, TableRef
from dobo_engine.model.documents import parse_file, parse_text
from dobo_engine.model.project import Project
from dobo_engine.model.run import PeriodDetails, ProjectSnapshot, WriteResult
from dobo_engine.settings import Settings
from dobo_engine.trace.store import TraceWriter

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "examples/finance/catalog"
CLOCK = datetime(2026, 2, 1, 6, 0, tzinfo=UTC)
PERIOD = PeriodDetails(
    calendar_id="finance",
    identifier=gl_data.PERIOD,
    level="month",
    year=2026,
    sequence=1,
    start_date=date(2026, 1, 1),
    end_date=date(2026, 1, 31),
)
OUTPUT_ORDER = 50
SUMMARY_COLUMNS = [
    "account_code",
    "currency",
    "total_local",
    "total_reporting",
    "total_rounded",
    "large_lines",
    "line_count",
]
# The optional second output (``rows_output=True``): every visible working row, the kept GL lines
# then the appended summary rows, with the user columns in working order and the row id.
ROWS_OUTPUT_ORDER = 60
DETAIL_COLUMNS = [
    "journal_id",
    "line_number",
    "posting_date",
    "account_code",
    "cost_center_code",
    "currency",
    "amount_local",
    "amount_reporting",
    "description",
    "source_system",
    "band",
    "rounded",
]
ROW_COLUMNS = [*DETAIL_COLUMNS, *SUMMARY_COLUMNS[2:], "_row_id"]

PROJECT = """
project:
  id: prj-bench-gl
  name: GL benchmark
  description: FX to USD, band and round, drop lines without a cost center, summarise by account and currency.
  input_dataset_id: ds-gl
  materialization: eager
  operations:
    - order: 10
      name: convert to USD
      type: update
      parameters:
        joins:
          - alias: fx
            dataset_id: ds-fx
            on: 'transactions.currency = fx.from_currency AND fx.to_currency = "USD" AND fx.rate_type = "closing"'
        assignments:
          - { column: amount_reporting, expression: 'amount_local * fx.rate' }
    - order: 20
      name: band and round
      type: update
      parameters:
        assignments:
          - { column: band, expression: 'IF(ABS(amount_reporting) > 10000, "large", "small")' }
          - { column: rounded, expression: 'ROUND(amount_reporting, 0)' }
    - order: 30
      name: drop lines without a cost center
      type: delete
      selector: 'ISNULL(cost_center_code)'
    - order: 40
      name: summarise by account and currency
      type: aggregate
      parameters:
        group_by: [account_code, currency]
        aggregations:
          - { column: total_local, expression: 'SUM(amount_local)' }
          - { column: total_reporting, expression: 'SUM(amount_reporting)' }
          - { column: total_rounded, expression: 'SUM(rounded)' }
          - { column: large_lines, expression: 'SUM(IF(band = "large", 1, 0))' }
          - { column: line_count, expression: 'COUNT_ALL()' }
    - order: 50
      name: write the summary
      type: output
      selector: 'NOT ISNULL(line_count)'
      parameters:
        destination: default
        columns: [account_code, currency, total_local, total_reporting, total_rounded, large_lines, line_count]
"""

ROWS_OUTPUT = """
    - order: {order}
      name: write the working rows
      type: output
      parameters:
        destination: default
        columns: [{columns}]
"""

FILES = {
    ("ds-gl", "transactions"): gl_data.TRANSACTIONS,
    ("ds-gl", "accounts"): gl_data.ACCOUNTS_FILE,
    ("ds-fx", "exchange_rates"): gl_data.EXCHANGE_RATES,
}


def project(*, rows_output: bool = False, row_ids: bool = True) -> Project:
    """The benchmark Project; with ``rows_output`` it also writes every visible working row
    (with its ``_row_id`` unless ``row_ids`` is False)."""
    columns = ROW_COLUMNS if row_ids else [c for c in ROW_COLUMNS if c != "_row_id"]
    rows = ROWS_OUTPUT.format(order=ROWS_OUTPUT_ORDER, columns=", ".join(columns))
    (entity,) = parse_text(PROJECT + (rows if rows_output else ""))
    return entity  # type: ignore[return-value]


def datasets() -> dict[str, Dataset]:
    found: dict[str, Dataset] = {}
    for name in ("ds-gl.yaml", "ds-fx.yaml"):
        for entity in parse_file(CATALOG / "datasets" / name):
            found[entity.id] = entity  # type: ignore[assignment]
    return found


@dataclass
class ParquetTables:
    """A TableSource over one folder of generated files: a lazy scan, then the schema check."""

    datasets: Mapping[str, Dataset]
    folder: Path
    clock: datetime
    period_identifier: str

    def dataset(self, dataset_id: str, version: int | None = None) -> Dataset:
        found = self.datasets.get(dataset_id)
        if found is None or (version is not None and (found.version or 1) != version):
            raise UnresolvedDatasetRef(f"Dataset {dataset_id} is not provided", rule="VAL-008")
        return found

    def load_table(self, dataset: Dataset, table: TableRef) -> pl.LazyFrame:
        name = FILES.get((dataset.id, table.name))
        if name is None or not (self.folder / name).exists():
            raise DataNotFound(f"no file for table {table.name!r} of Dataset {dataset.id!r}", rule="RES-8")
        path = self.folder / name
        return conform(
            pl.scan_parquet(path),
            table.columns,
            table.temporal_mode,
            dataset_id=dataset.id,
            table_name=table.name,
            period_identifier=self.period_identifier,
            clock=self.clock,
            row_id_seed=seed_text(dataset.id, table.name, str(path)),
            descendants_ok=True,
        )

    def fingerprints(self, dataset: Dataset, table: TableRef) -> list[Fingerprint] | None:
        """The file a table is read from: the trace records the load by reference to it (TR-15)."""
        name = FILES.get((dataset.id, table.name))
        found = None if name is None else file_fingerprint(str(self.folder / name))
        return None if found is None else [found]


@dataclass
class ParquetOutputs:
    """An OutputSink writing each output to ``<folder>/operation=<order>.parquet``."""

    folder: Path

    def path(self, operation_order: int) -> Path:
        return self.folder / f"operation={operation_order}.parquet"

    def write(
        self,
        frame: pl.DataFrame,
        *,
        operation_order: int,
        destination: object,
        mode: str,
        register_as: str | None,
        temporal_mode: str,
    ) -> WriteResult:
        target = self.path(operation_order)
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "append" and target.exists():
            frame = pl.concat([pl.read_parquet(target), frame], how="diagonal_relaxed")
        frame.write_parquet(target)
        return WriteResult(
            operation_order=operation_order,
            destination=str(target),
            sandboxed=False,
            rows_written=frame.height,
            columns=list(frame.columns),
            register_as=register_as,
        )


def executor(
    data: str | Path,
    work: str | Path,
    *,
    trace: bool,
    on_step: Callable[[StepReport], None] | None = None,
    rows_output: bool = False,
    row_ids: bool = True,
    load_by_reference: bool = True,
    run_id: str = "bench",
    tables: Callable[[ParquetTables], TableSource] | None = None,
) -> tuple[Executor, ParquetOutputs]:
    """The engine for one Run of the Project over the files in ``data``; checkpoints, trace and output
    go under ``work``. ``tables`` may wrap the Parquet tables the Run reads (a test's stand-in).

    The durability policy is the setting's (``DOBO_CHECKPOINTS``, default ``none``), as for ``dobo run`` (D36).
    """
    data, work = Path(data), Path(work)
    prj = project(rows_output=rows_output, row_ids=row_ids)
    snapshot = ProjectSnapshot(
        project_id=prj.id,
        project_version=1,
        input_dataset_id=prj.input_dataset_id,
        input_dataset_version=1,
        materialization=prj.materialization,
        selectors=prj.selectors,
        operations=prj.operations,
        period=PERIOD,
        clock=CLOCK,
        today=CLOCK.date(),
        trace=trace,
        checkpoints=Settings.from_env().checkpoints,
    )
    found = datasets()
    outputs = ParquetOutputs(work / "output")
    parquet = ParquetTables(found, data, CLOCK, PERIOD.identifier)
    ctx = RunContext(
        run_id=run_id,
        project_id=prj.id,
        clock=CLOCK,
        today=CLOCK.date(),
        period=PERIOD,
        input_dataset=found[prj.input_dataset_id],
        materialization=prj.materialization,
        tables=tables(parquet) if tables is not None else parquet,
        outputs=outputs,
        selectors=prj.selectors,
    )
    built = Executor(
        snapshot,
        ctx,
        CheckpointStore(str(work / "checkpoints")),
        TraceWriter(str(work / "trace")) if trace else None,
        on_step=on_step or (lambda _: None),
        load_by_reference=load_by_reference,
    )
    return built, outputs


def run(data: str | Path, work: str | Path, *, trace: bool, **options: Any) -> tuple[RunOutcome, Path]:
    """Run the Project (``options`` as for :func:`executor`); the outcome and the summary file's path.

    With ``rows_output`` the working rows are written next to it (``ParquetOutputs.path(ROWS_OUTPUT_ORDER)``).
    """
    built, outputs = executor(data, work, trace=trace, **options)
    return built.run(), outputs.path(OUTPUT_ORDER)
