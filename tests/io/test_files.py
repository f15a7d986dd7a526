"""Parquet and CSV files on local disk and on a real S3-protocol server (RES-8, OP-OUT-4/5, ROW-6)."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import boto3
import polars as pl
import pytest
from io_stand_ins import CLOCK, GL, Location, Source

from dobo_engine.errors import DataNotFound, WriteFailure
from dobo_engine.io import storage
from dobo_engine.io.file_writer import FileWriter
from dobo_engine.io.files import FileLoader
from dobo_engine.io.protocols import Destination
from dobo_engine.io.schema_check import conform
from dobo_engine.io.sources import SourceLoader, load_table

LABELS = pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8}))


def gl_frame(period: str = "2026-01", n: int = 2) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "journal_id": [f"J{i}" for i in range(n)],
            "line": list(range(1, n + 1)),
            "amount": [Decimal("8500.00"), Decimal("-0.01")][:n] + [Decimal("1.00")] * max(0, n - 2),
            "posted": [date(2026, 1, 31)] * n,
            "approved": [True, None][:n] + [False] * max(0, n - 2),
            "stamp": [datetime(2026, 1, 31, 10, 0, 0, 123456, tzinfo=UTC)] * n,
            "_labels": [[{"key": "team", "value": 'fx "desk"'}], []][:n] + [[]] * max(0, n - 2),
            "_period": [period] * n,
        },
        schema_overrides={"amount": pl.Decimal(18, 2), "stamp": pl.Datetime("us", "UTC"), "_labels": LABELS},
    )


def test_parquet_and_csv_several_locations_load_in_order_RES5(tmp_path):
    gl_frame("2026-01").write_parquet(tmp_path / "01.parquet")
    gl_frame("2026-02").drop("_labels").write_csv(tmp_path / "02.csv")
    pq = Source("lake", "parquet", {"path_prefix": str(tmp_path)})
    csv = Source("legacy", "csv", {"path_prefix": str(tmp_path)})
    loader = SourceLoader({"lake": pq, "legacy": csv})
    locs = [Location("gl", "2026-01", "lake", path="01.parquet"), Location("gl", "2026-02", "legacy", path="02.csv")]
    out = load_table(
        loader.load, locs, GL, dataset_id="ds-gl", clock=CLOCK, descendant_periods=["2026-Q1", "2026-01", "2026-02"]
    ).collect()
    assert out["_period"].to_list() == ["2026-01", "2026-01", "2026-02", "2026-02"]
    assert out["amount"].to_list() == [Decimal("8500.00"), Decimal("-0.01")] * 2
    assert out["stamp"].dtype == pl.Datetime("us", "UTC")
    assert out["_row_id"].n_unique() == 4


def test_several_locations_of_one_source_concatenate(tmp_path):
    gl_frame("2026-01").write_parquet(tmp_path / "a.parquet")
    gl_frame("2026-02").write_parquet(tmp_path / "b.parquet")
    loader = FileLoader(Source("lake", "parquet", {"path_prefix": str(tmp_path)}))
    locs = [Location("gl", "2026-01", "lake", path="a.parquet"), Location("gl", "2026-02", "lake", path="b.parquet")]
    assert loader.load(locs, GL).collect().height == 4


def test_csv_options_delimiter_and_no_header(tmp_path):
    (tmp_path / "gl.csv").write_text("J1;1;12.50;2026-01-31;true;2026-01-31T10:00:00Z\n")
    source = Source("legacy", "csv", {"path_prefix": str(tmp_path), "delimiter": ";", "has_header": False})
    raw = FileLoader(source).load(Location("gl", "2026-01", "legacy", path="gl.csv"), GL)
    out = _conformed(raw)
    assert out.row(0)[:5] == ("J1", 1, Decimal("12.50"), date(2026, 1, 31), True)


def test_missing_location_is_data_not_found_RES8(tmp_path):
    loader = FileLoader(Source("lake", "parquet", {"path_prefix": str(tmp_path)}))
    with pytest.raises(DataNotFound) as err:
        loader.load(Location("gl", "2026-03", "lake", path="gl/2026/03.parquet"), GL)
    assert "'gl'" in err.value.message and "2026-03" in err.value.message and "gl/2026/03.parquet" in err.value.message


def test_existing_empty_files_give_zero_rows_RES8(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    gl_frame().clear().write_parquet(tmp_path / "empty.parquet")
    csv = FileLoader(Source("c", "csv", {"path_prefix": str(tmp_path)}))
    pq = FileLoader(Source("p", "parquet", {"path_prefix": str(tmp_path)}))
    for loader, name in ((csv, "empty.csv"), (pq, "empty.parquet")):
        raw = loader.load(Location("gl", "2026-01", "x", path=name), GL)
        out = _conformed(raw)
        assert out.height == 0 and out.columns[:6] == [c.name for c in GL.columns]


def _conformed(raw: pl.LazyFrame) -> pl.DataFrame:
    """Loaded rows checked against GL as a January Run sees them (DS-6)."""
    return conform(
        raw,
        GL.columns,
        "period",
        dataset_id="d",
        table_name="gl",
        period_identifier="2026-01",
        clock=CLOCK,
        row_id_seed="s",
        descendants_ok=True,
    ).collect()


def _read_back(source, path: str) -> pl.DataFrame:
    raw = FileLoader(source).load(Location("gl", "2026-01", source.id, path=path), GL)
    return _conformed(raw)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_local_write_round_trip_and_overwrite_OP_OUT_4(tmp_path, fmt):
    source = Source("out", fmt, {"path_prefix": str(tmp_path)})
    writer = FileWriter()
    dest = Destination(datasource=source, path=f"gl/out.{fmt}")
    result = writer.write(gl_frame().lazy(), dest)
    assert result.rows_written == 2 and result.destination == f"{tmp_path}/gl/out.{fmt}"
    out = _read_back(source, f"gl/out.{fmt}")
    assert out["_labels"].to_list()[0] == [{"key": "team", "value": 'fx "desk"'}]
    assert out.select(gl_frame().columns[:-2]).equals(gl_frame().select(gl_frame().columns[:-2]))
    writer.write(gl_frame("2026-03", n=3), dest)  # overwrite replaces the whole file
    assert _read_back(source, f"gl/out.{fmt}").height == 3


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_append_writes_one_part_per_run_and_operation_OP_OUT_4(tmp_path, fmt):
    source = Source("out", fmt, {"path_prefix": str(tmp_path)})
    writer = FileWriter()

    def append(frame: pl.DataFrame, run_id: str) -> str:
        return writer.write(
            frame,
            Destination(datasource=source, path=f"gl/all.{fmt}", mode="append", run_id=run_id, operation_order=40),
        ).destination

    first = append(gl_frame("2026-01"), "run-a")
    second = append(gl_frame("2026-02", n=3), "run-b")
    assert first == f"{tmp_path}/gl/all.{fmt}/run_id=run-a.operation=40.{fmt}"
    assert sorted(p.name for p in (tmp_path / "gl" / f"all.{fmt}").iterdir()) == [
        f"run_id=run-a.operation=40.{fmt}",
        f"run_id=run-b.operation=40.{fmt}",
    ]
    assert _read_back(source, f"gl/all.{fmt}/run_id=run-a.operation=40.{fmt}")["_period"].to_list() == ["2026-01"] * 2
    assert _read_back(source, f"gl/all.{fmt}/run_id=run-b.operation=40.{fmt}").height == 3
    assert second.endswith(f"run_id=run-b.operation=40.{fmt}")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_folder_of_appended_parts_loads_as_one_table_in_part_order_RES8(tmp_path, fmt):
    source = Source("out", fmt, {"path_prefix": str(tmp_path)})
    for run_id, period, n in [("run-b", "2026-02", 3), ("run-a", "2026-01", 2)]:
        FileWriter().write(
            gl_frame(period, n=n),
            Destination(datasource=source, path=f"all.{fmt}", mode="append", run_id=run_id, operation_order=40),
        )
    (tmp_path / f"all.{fmt}" / f".run_id=run-c.operation=40.{fmt}.dobo-tmp.h.1.{'0' * 32}").write_bytes(b"half")
    raw = FileLoader(source).load(Location("gl", "2026-01", source.id, path=f"all.{fmt}"), GL).collect()
    assert raw["_period"].to_list() == ["2026-01"] * 2 + ["2026-02"] * 3  # run-a's part, then run-b's


def test_an_empty_folder_of_parts_is_zero_rows_RES8(tmp_path):
    (tmp_path / "all.parquet").mkdir()
    source = Source("out", "parquet", {"path_prefix": str(tmp_path)})
    raw = FileLoader(source).load(Location("gl", "2026-01", source.id, path="all.parquet"), GL).collect()
    assert raw.height == 0


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_retried_append_of_the_same_run_and_operation_replaces_its_part_OP_OUT_4(tmp_path, fmt):
    source = Source("out", fmt, {"path_prefix": str(tmp_path)})
    dest = Destination(datasource=source, path=f"all.{fmt}", mode="append", run_id="run-a", operation_order=7)
    FileWriter().write(gl_frame(n=3), dest)
    FileWriter().write(gl_frame(n=3), dest)  # the process died before the Run record moved: the step runs again
    parts = list((tmp_path / f"all.{fmt}").iterdir())
    assert [p.name for p in parts] == [f"run_id=run-a.operation=7.{fmt}"]
    assert _read_back(source, f"all.{fmt}/{parts[0].name}").height == 3


def test_append_refuses_parts_with_other_columns_and_a_single_file_target_OP_OUT_4(tmp_path):
    source = Source("out", "parquet", {"path_prefix": str(tmp_path)})
    writer = FileWriter()
    writer.write(
        gl_frame(), Destination(datasource=source, path="all.parquet", mode="append", run_id="r1", operation_order=1)
    )
    with pytest.raises(WriteFailure, match="its parts hold columns"):
        writer.write(
            gl_frame().drop("memo", strict=False).drop("approved"),
            Destination(datasource=source, path="all.parquet", mode="append", run_id="r2", operation_order=1),
        )
    writer.write(gl_frame(), Destination(datasource=source, path="single.parquet"))
    with pytest.raises(WriteFailure, match="single file"):
        writer.write(
            gl_frame(),
            Destination(datasource=source, path="single.parquet", mode="append", run_id="r1", operation_order=1),
        )
    with pytest.raises(WriteFailure, match="folder of appended parts"):
        writer.write(gl_frame(), Destination(datasource=source, path="all.parquet"))


def test_csv_labels_are_json_objects_ROW6(tmp_path):
    source = Source("out", "csv", {"path_prefix": str(tmp_path)})
    FileWriter().write(gl_frame(), Destination(datasource=source, path="gl.csv"))
    cells = pl.read_csv(tmp_path / "gl.csv", infer_schema=False)["_labels"].to_list()
    assert [json.loads(c) for c in cells] == [{"team": 'fx "desk"'}, {}]


def test_zero_rows_write_an_empty_target_with_schema_OP_OUT_5(tmp_path):
    source = Source("out", "parquet", {"path_prefix": str(tmp_path)})
    result = FileWriter().write(gl_frame().clear(), Destination(datasource=source, path="empty.parquet"))
    assert result.rows_written == 0
    assert pl.read_parquet(tmp_path / "empty.parquet").schema == gl_frame().schema


def _failing_frame() -> pl.LazyFrame:
    def boom(s: pl.Series) -> pl.Series:
        raise RuntimeError("disk on fire")

    return gl_frame().lazy().with_columns(pl.col("line").map_batches(boom, return_dtype=pl.Int64))


def test_interrupted_local_write_leaves_old_file_and_no_temp_OP_OUT_8(tmp_path, monkeypatch):
    source = Source("out", "parquet", {"path_prefix": str(tmp_path)})
    dest = Destination(datasource=source, path="gl.parquet")
    with pytest.raises(WriteFailure, match="disk on fire"):
        FileWriter().write(_failing_frame(), dest)
    assert list(tmp_path.iterdir()) == []
    FileWriter().write(gl_frame(), dest)
    import os

    def broken_replace(src, dst):
        raise OSError("rename interrupted")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(WriteFailure, match="rename interrupted"):
        FileWriter().write(gl_frame(n=3), dest)
    assert [p.name for p in tmp_path.iterdir()] == ["gl.parquet"]
    assert pl.read_parquet(tmp_path / "gl.parquet").height == 2


def _s3_source(bucket: str, endpoint: str, fmt: str = "parquet") -> Source:
    return Source("lake", fmt, {"path_prefix": f"s3://{bucket}/data/"}, credential_ref="env://DOBO_T_LAKE")


@pytest.mark.s3
def test_s3_parquet_round_trip_is_identical(s3_bucket, s3_endpoint, monkeypatch):
    monkeypatch.setenv("DOBO_T_LAKE", json.dumps({"endpoint_url": s3_endpoint}))
    source = _s3_source(s3_bucket, s3_endpoint)
    result = FileWriter().write(gl_frame().lazy(), Destination(datasource=source, path="gl/2026/01.parquet"))
    assert result.destination == f"s3://{s3_bucket}/data/gl/2026/01.parquet"
    back = FileLoader(source).load(Location("gl", "2026-01", "lake", path="gl/2026/01.parquet"), GL).collect()
    assert back.equals(gl_frame())


@pytest.mark.s3
def test_s3_csv_round_trip_and_missing_key(s3_bucket, s3_endpoint, monkeypatch):
    monkeypatch.setenv("DOBO_T_LAKE", json.dumps({"client_kwargs": {"endpoint_url": s3_endpoint}}))
    source = _s3_source(s3_bucket, s3_endpoint, "csv")
    FileWriter().write(gl_frame(), Destination(datasource=source, path="gl.csv"))
    raw = FileLoader(source).load(Location("gl", "2026-01", "lake", path="gl.csv"), GL)
    out = _conformed(raw)
    assert out.select(gl_frame().columns).equals(gl_frame())
    with pytest.raises(DataNotFound):
        FileLoader(source).load(Location("gl", "2026-02", "lake", path="nope.csv"), GL)


@pytest.mark.s3
def test_interrupted_s3_write_leaves_no_object(s3_bucket, s3_endpoint, monkeypatch):
    monkeypatch.setenv("DOBO_T_LAKE", json.dumps({"endpoint_url": s3_endpoint}))
    source = _s3_source(s3_bucket, s3_endpoint)
    with pytest.raises(WriteFailure, match="disk on fire"):
        FileWriter().write(_failing_frame(), Destination(datasource=source, path="gl.parquet"))
    listing = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").list_objects_v2(Bucket=s3_bucket)
    assert listing.get("KeyCount", 0) == 0


def test_temp_file_of_a_writer_killed_mid_write_is_swept_by_the_next_write(tmp_path):
    """SIGKILL mid-write leaves the hidden temporary file; the next write to the folder removes it (OP-OUT-8)."""
    script = (
        "import sys, time\n"
        "from dobo_engine.io import storage\n"
        "def produce(path):\n"
        "    open(path, 'wb').write(b'half a file')\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
        "storage.write_atomically(sys.argv[1], produce)\n"
    )
    target = tmp_path / "out" / "gl.parquet"
    writer = subprocess.Popen([sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "writing"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    leftovers = [p.name for p in target.parent.iterdir()]
    assert (
        len(leftovers) == 1 and leftovers[0].startswith(".gl.parquet.dobo-tmp.") and f".{writer.pid}." in leftovers[0]
    )
    time.sleep(0.01)
    source = Source("out", "parquet", {"path_prefix": str(tmp_path)})
    FileWriter().write(gl_frame(), Destination(datasource=source, path="out/other.parquet"))
    assert sorted(p.name for p in target.parent.iterdir()) == ["other.parquet"]


def test_a_live_writers_temp_file_is_left_alone_until_it_is_stale(tmp_path):
    live = tmp_path / storage.temp_name("gl.parquet")  # this process: a writer still at work
    live.write_bytes(b"in progress")
    assert storage.sweep_stale_temps(tmp_path) == [] and live.exists()
    foreign = tmp_path / f".gl.parquet.dobo-tmp.other-host.4242.{'f' * 32}"
    foreign.write_bytes(b"?")
    assert storage.sweep_stale_temps(tmp_path) == []  # another host's writer may be alive
    day_ago = time.time() - 24 * 3600
    os.utime(foreign, (day_ago, day_ago))
    assert storage.sweep_stale_temps(tmp_path) == [foreign.name]


def test_the_temp_file_is_fsynced_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(
        os, "fsync", lambda fd: (calls.append(f"fsync:{os.readlink(f'/proc/self/fd/{fd}')}"), real_fsync(fd))[1]
    )
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append(f"replace:{b}"), real_replace(a, b))[1])
    target = tmp_path / "gl.parquet"
    storage.write_atomically(str(target), lambda path: gl_frame().write_parquet(path))
    assert [c.split(":")[0] for c in calls] == ["fsync", "replace", "fsync"]
    assert ".dobo-tmp." in calls[0] and calls[1] == f"replace:{target}" and calls[2] == f"fsync:{tmp_path}"
    assert pl.read_parquet(target).equals(gl_frame())


@pytest.mark.s3
def test_s3_append_writes_one_object_per_run_and_operation_OP_OUT_4(s3_bucket, s3_endpoint, monkeypatch):
    monkeypatch.setenv("DOBO_T_LAKE", json.dumps({"endpoint_url": s3_endpoint}))
    source = _s3_source(s3_bucket, s3_endpoint, "csv")
    for run_id in ("run-a", "run-a", "run-b"):  # run-a's write is retried
        FileWriter().write(
            gl_frame(),
            Destination(datasource=source, path="gl/all.csv", mode="append", run_id=run_id, operation_order=3),
        )
    listing = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").list_objects_v2(Bucket=s3_bucket)
    assert sorted(o["Key"] for o in listing["Contents"]) == [
        "data/gl/all.csv/run_id=run-a.operation=3.csv",
        "data/gl/all.csv/run_id=run-b.operation=3.csv",
    ]
    back = _read_back(source, "gl/all.csv/run_id=run-a.operation=3.csv")
    assert back.select(gl_frame().columns).equals(gl_frame())
