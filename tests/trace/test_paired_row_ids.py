"""Row ids of `updated`/`deleted` files kept as two 64-bit integers (D37, TR-9, TR-10): read back as UUID text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pyarrow.parquet as pq
import pytest

from dobo_engine.errors import RowNotFound
from dobo_engine.io.row_ids import ROW_ID_DTYPE, row_id_compact_expr, row_id_text, seed_text
from dobo_engine.trace import RunInfo, TraceReader, TraceWriter, created_events, deleted_events, updated_events

CLOCK = datetime(2026, 2, 1, tzinfo=UTC)


def _loaded(compact: bool) -> pl.DataFrame:
    rows = pl.DataFrame({"invoice": [f"I{i}" for i in range(50)], "amount": list(range(50))})
    rows = rows.with_columns(row_id_compact_expr(CLOCK, seed_text("ds", "t", "loc")).alias("_row_id"))
    assert rows.schema["_row_id"] == ROW_ID_DTYPE
    return rows if compact else rows.with_columns(row_id_text(pl.col("_row_id")).alias("_row_id"))


def _write(root: str, compact: bool) -> None:
    loaded = _loaded(compact)
    updated = loaded.with_columns(amount=pl.when(pl.col("amount") % 3 == 0).then(-1).otherwise(pl.col("amount")))
    writer = TraceWriter(root)
    writer.write(
        "run-1",
        0,
        "load",
        created_events(loaded, run_id="run-1", operation_order=0, operation_type="load"),
        loaded.schema,
    )
    writer.write(
        "run-1",
        1,
        "update",
        updated_events(loaded, updated, ["amount"], run_id="run-1", operation_order=1),
        updated.schema,
    )
    writer.write(
        "run-1", 2, "delete", deleted_events(loaded.head(4), run_id="run-1", operation_order=2), updated.schema
    )


RUN = RunInfo("run-1", "completed", CLOCK, {1: "update", 2: "delete"})


def test_an_update_file_of_engine_ids_holds_them_as_a_sorted_integer_pair_D37_TR_10(tmp_path):
    _write(str(tmp_path), compact=True)
    path = tmp_path / "run_id=run-1/operation=1.parquet"
    written = pl.read_parquet(path)
    assert {"row_id_hi", "row_id_lo"} <= set(written.columns) and "row_id" not in written.columns
    assert written.sort("row_id_hi", "row_id_lo").equals(written)
    meta = json.loads(pq.read_metadata(path).metadata[b"dobo.trace"])
    assert meta["format_version"] == 2 and meta["row_id_form"] == "uint64_pair"
    load = json.loads(pq.read_metadata(tmp_path / "run_id=run-1/operation=0.parquet").metadata[b"dobo.trace"])
    assert load["format_version"] == 1  # created events keep `row_id` as text (it is also `after._row_id`)


def test_paired_files_read_back_exactly_as_text_files_D37(tmp_path):
    _write(str(tmp_path / "paired"), compact=True)
    _write(str(tmp_path / "text"), compact=False)
    paired, text = TraceReader(str(tmp_path / "paired")), TraceReader(str(tmp_path / "text"))
    assert pl.read_parquet(tmp_path / "text/run_id=run-1/operation=1.parquet").schema["row_id"] == pl.Utf8
    for order in (0, 1, 2):
        assert paired.operation_changes(RUN, order).equals(text.operation_changes(RUN, order)), order
    for row_id in text.operation_changes(RUN, 0)["row_id"]:
        assert [e.as_dict() for e in paired.row_history(RUN, row_id)] == [
            e.as_dict() for e in text.row_history(RUN, row_id)
        ]
        assert paired.row_state(RUN, row_id, 2) == text.row_state(RUN, row_id, 2)


def test_a_row_id_that_is_no_canonical_uuid_finds_no_paired_event(tmp_path):
    _write(str(tmp_path), compact=True)
    reader = TraceReader(str(tmp_path))
    row_id = reader.operation_changes(RUN, 1)["row_id"][0]
    assert len(reader.row_history(RUN, row_id)) == 2
    with pytest.raises(RowNotFound):
        reader.row_history(RUN, row_id.upper())
