"""Trace files: TR-1, TR-6, TR-7, TR-9, TR-10 (local disk and S3)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from dobo_engine.errors import TraceWriteFailure
from dobo_engine.trace import RunInfo, TraceReader, TraceWriter, created_events, updated_events

LABELS = pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8}))
CLOCK = datetime(2024, 3, 31, 12, 0, tzinfo=UTC)


def _rows() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "_row_id": ["r3", "r1", "r2"],
            "_deleted": [False, False, False],
            "_labels": [[{"key": "src", "value": "gl"}], [], []],
            "amount": [Decimal("8500.00"), None, Decimal("1")],
        },
        schema={"_row_id": pl.Utf8, "_deleted": pl.Boolean, "_labels": LABELS, "amount": pl.Decimal(38, 6)},
    )


def _load_events(rows: pl.DataFrame) -> pl.LazyFrame:
    return created_events(rows.lazy(), run_id="run-1", operation_order=0, operation_type="load")


def test_tr7_one_file_per_run_and_operation(tmp_path: Path) -> None:
    writer = TraceWriter(str(tmp_path))
    rows = _rows()
    path = writer.write("run-1", 0, "load", _load_events(rows), rows.schema)
    assert path == f"{tmp_path}/run_id=run-1/operation=0.parquet"
    assert sorted(os.listdir(tmp_path / "run_id=run-1")) == ["operation=0.parquet"]


def test_tr10_rows_are_sorted_by_row_id_and_nested_types_survive(tmp_path: Path) -> None:
    rows = _rows()
    path = TraceWriter(str(tmp_path)).write("run-1", 0, "load", _load_events(rows), rows.schema)
    written = pl.read_parquet(path)
    assert written["row_id"].to_list() == ["r1", "r2", "r3"]
    assert written.schema["after"] == pl.Struct(rows.schema)
    assert written.schema["operation_order"] == pl.Int32
    assert written.select(pl.col("after").struct.unnest()).equals(rows.sort("_row_id"))


def test_tr9_metadata_is_readable_with_pyarrow(tmp_path: Path) -> None:
    rows = _rows()
    path = TraceWriter(str(tmp_path)).write("run-1", 0, "load", _load_events(rows), rows.schema)
    meta = json.loads(pq.read_metadata(path).metadata[b"dobo.trace"])
    assert meta == {
        "format_version": 1,
        "run_id": "run-1",
        "operation_order": 0,
        "operation_type": "load",
        "schema": {
            "_row_id": "string",
            "_deleted": "boolean",
            "_labels": "List(Struct({'key': String, 'value': String}))",
            "amount": "decimal(38,6)",
        },
    }


def test_tr6_an_operation_without_changes_still_writes_an_empty_file(tmp_path: Path) -> None:
    rows = _rows()
    events = updated_events(rows.lazy(), rows.lazy(), ["amount"], run_id="run-1", operation_order=4)
    path = TraceWriter(str(tmp_path)).write("run-1", 4, "update", events, rows.schema)
    written = pl.read_parquet(path)
    assert written.height == 0
    assert written.schema["after"] == pl.Struct({"amount": pl.Decimal(38, 6)})
    assert json.loads(pq.read_metadata(path).metadata[b"dobo.trace"])["operation_type"] == "update"


def test_tr6_output_writes_no_file(tmp_path: Path) -> None:
    rows = _rows()
    with pytest.raises(ValueError):
        TraceWriter(str(tmp_path)).write("run-1", 5, "output", _load_events(rows), rows.schema)
    assert not (tmp_path / "run_id=run-1").exists()


def test_tr1_failure_while_writing_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows()

    def broken_sink(self: pl.LazyFrame, path: str, **kwargs: object) -> None:
        Path(path).write_bytes(b"PAR1 half a file")  # a partial temp file, then the failure
        raise OSError("disk full")

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", broken_sink)
    with pytest.raises(TraceWriteFailure) as caught:
        TraceWriter(str(tmp_path)).write("run-1", 0, "load", _load_events(rows), rows.schema)
    assert caught.value.code == "TraceWriteFailure"
    assert caught.value.location.operation_order == 0
    assert "disk full" in (caught.value.detail or "")
    assert os.listdir(tmp_path / "run_id=run-1") == []  # neither the final nor the temp file


def test_tr1_failed_rename_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("rename refused")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(TraceWriteFailure):
        TraceWriter(str(tmp_path)).write("run-1", 0, "load", _load_events(rows), rows.schema)
    assert os.listdir(tmp_path / "run_id=run-1") == []


def test_tr1_rewrite_replaces_the_file_whole(tmp_path: Path) -> None:
    # A resumed operation that ran again (RUN-7 before last_completed_operation moved) overwrites.
    rows = _rows()
    writer = TraceWriter(str(tmp_path))
    writer.write("run-1", 0, "load", _load_events(rows), rows.schema)
    path = writer.write("run-1", 0, "load", _load_events(rows.head(1)), rows.schema)
    assert pl.read_parquet(path).height == 1


@pytest.mark.s3
def test_tr7_s3_write_and_read_back(s3_bucket: str, s3_endpoint: str) -> None:
    options = {"client_kwargs": {"endpoint_url": s3_endpoint}}
    root = f"s3://{s3_bucket}/trace"
    rows = _rows()
    writer = TraceWriter(root, storage_options=options)
    path = writer.write("run-1", 0, "load", _load_events(rows), rows.schema)
    changed = rows.with_columns(pl.lit(Decimal("2"), dtype=pl.Decimal(38, 6)).alias("amount"))
    events = updated_events(rows.lazy(), changed.lazy(), ["amount"], run_id="run-1", operation_order=1)
    writer.write("run-1", 1, "update", events, changed.schema)
    assert path == f"{root}/run_id=run-1/operation=0.parquet"

    import s3fs

    fs = s3fs.S3FileSystem(**options)
    assert sorted(fs.ls(f"{s3_bucket}/trace/run_id=run-1")) == [
        f"{s3_bucket}/trace/run_id=run-1/operation=0.parquet",
        f"{s3_bucket}/trace/run_id=run-1/operation=1.parquet",
    ]

    run = RunInfo("run-1", "completed", CLOCK, {1: "update", 2: "output"}, last_completed_operation=2)
    reader = TraceReader(root, storage_options=options)
    state = reader.row_state(run, "r3", 2)
    assert state["amount"] == Decimal("2") and state["_labels"] == [{"key": "src", "value": "gl"}]
    assert reader.operation_changes(run, 1)["row_id"].to_list() == ["r1", "r2", "r3"]
    assert reader.metadata(run, 1)["schema"]["amount"] == "decimal(38,6)"


@pytest.mark.s3
def test_tr1_s3_failed_upload_leaves_no_object(
    s3_bucket: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3fs

    options = {"client_kwargs": {"endpoint_url": s3_endpoint}}
    rows = _rows()

    async def broken_put(self: object, *args: object, **kwargs: object) -> None:
        raise ConnectionError("connection reset")

    with monkeypatch.context() as patch:
        # s3fs mirrors its async methods onto each instance, so patch the coroutine
        # and skip fsspec's instance cache.
        patch.setattr(s3fs.S3FileSystem, "_put_file", broken_put)
        options_fresh = {**options, "skip_instance_cache": True}
        with pytest.raises(TraceWriteFailure) as caught:
            TraceWriter(f"s3://{s3_bucket}/trace", storage_options=options_fresh).write(
                "run-1", 0, "load", _load_events(rows), rows.schema
            )
        assert "connection reset" in (caught.value.detail or "")
    assert not s3fs.S3FileSystem(**options).exists(f"{s3_bucket}/trace/run_id=run-1/operation=0.parquet")
