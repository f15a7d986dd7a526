"""The benchmark pipeline by hand, writing what the dobo Project writes with its rows output.

:mod:`benchmarks.handwritten` writes only the summary. This reference writes
the two files of ``dobo_run.run(..., rows_output=True)``:

* ``operation=50.parquet`` — the summary rows, columns ``dobo_run.SUMMARY_COLUMNS``;
* ``operation=60.parquet`` — every row the dobo working frame keeps visible:
  the GL lines that have a cost center (the detail columns, the summary
  columns NULL), then the summary rows (group columns and summary columns,
  the detail columns NULL), groups in the order they first appear among the
  kept lines, as dobo's aggregate appends them (OP-AGG-3).

With ``row_ids=True`` the rows file also carries ``_row_id``, the same
deterministic UUID v7 text ids dobo gives them (D26): loaded lines drawn from
the seed (dataset, table, file path) at their position in the file, summary
rows from the seed (Run id, aggregate order) at their position among the
summary rows. The ids come from dobo's public function
``dobo_engine.io.row_ids.row_id_expr`` (the reference imports only that
module, not the engine). Without ``row_ids`` the files hold no dobo-internal
column at all.

Both files are computed in one ``collect_all`` so the kept lines are computed
once and shared by the summary and the rows file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from benchmarks import gl_data, handwritten
from dobo_engine.io.row_ids import row_id_expr, seed_text

# The dobo side's constants (benchmarks/dobo_run.py); repeated here so the
# reference does not import the engine. The side-by-side comparison catches drift.
CLOCK = datetime(2026, 2, 1, 6, 0, tzinfo=UTC)
RUN_ID = "bench"
AGGREGATE_ORDER = 40
SUMMARY_FILE = "operation=50.parquet"
ROWS_FILE = "operation=60.parquet"
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
SUMMARY_COLUMNS = [
    "account_code",
    "currency",
    "total_local",
    "total_reporting",
    "total_rounded",
    "large_lines",
    "line_count",
]


def plans(data: str | Path, *, row_ids: bool) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(summary, rows) as lazy frames over the files in ``data``."""
    data = Path(data)
    on_scan: tuple[pl.Expr, ...] = ()
    if row_ids:
        # dobo's load seeds the ids of a file's rows with (dataset, table, path) (benchmarks/dobo_run.py).
        load_seed = seed_text("ds-gl", "transactions", str(data / gl_data.TRANSACTIONS))
        on_scan = (row_id_expr(CLOCK, load_seed).alias("_row_id"),)
    # Row order matters: summary rows follow their groups' first appearance among the kept lines.
    lines = handwritten.kept_lines(data, on_scan=on_scan, keep_order=True).with_columns(
        # dobo stores ROUND's result in a new column of the widest decimal type.
        rounded=pl.col("rounded").cast(handwritten.SUMMARY)
    )
    summary = handwritten.summarise(lines, maintain_order=True)
    if row_ids:
        summary = summary.with_columns(row_id_expr(CLOCK, seed_text(RUN_ID, AGGREGATE_ORDER)).alias("_row_id"))
    tail = ["_row_id"] if row_ids else []
    rows = pl.concat([lines.select(*DETAIL_COLUMNS, *tail), summary], how="diagonal").select(
        *DETAIL_COLUMNS, *SUMMARY_COLUMNS[2:], *tail
    )
    return summary.select(SUMMARY_COLUMNS), rows


def run(data: str | Path, out: str | Path, *, row_ids: bool = False) -> tuple[Path, Path]:
    """Write the summary file and the rows file into the folder ``out``; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary, rows = plans(data, row_ids=row_ids)
    summary_frame, rows_frame = pl.collect_all([summary, rows])
    summary_frame.write_parquet(out / SUMMARY_FILE)
    rows_frame.write_parquet(out / ROWS_FILE)
    return out / SUMMARY_FILE, out / ROWS_FILE
