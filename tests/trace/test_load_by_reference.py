"""The load traced by reference to its input (TR-15): same read-back as a full copy, refused when the input changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from benchmarks import dobo_run, gl_data
from dobo_engine.engine.pipeline import Executor
from dobo_engine.errors import TraceInputChanged
from dobo_engine.model.dataset import Dataset, TableRef
from dobo_engine.trace import RunInfo, TraceReader, TraceWriter, created_events
from dobo_engine.trace.replay import ReplayedLoad

RUN_ID = "run-ref"
ROWS = 3000


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gl_data.generate(ROWS, tmp_path_factory.mktemp("gl"))


@dataclass
class _Copied:
    """A TableSource that cannot say whether its tables can be read again (as a database table)."""

    inner: dobo_run.ParquetTables

    def dataset(self, dataset_id: str, version: int | None = None) -> Dataset:
        return self.inner.dataset(dataset_id, version)

    def load_table(self, dataset: Dataset, table: TableRef) -> pl.LazyFrame:
        return self.inner.load_table(dataset, table)


def _executor(data: Path, work: Path, *, by_reference: bool = True, copy_only: bool = False) -> Executor:
    """The benchmark Project over parquet files, trace on; `copy_only`: tables that cannot be read again."""
    built, _ = dobo_run.executor(
        data, work, trace=True, run_id=RUN_ID, load_by_reference=by_reference, tables=_Copied if copy_only else None
    )
    return built


def _info() -> RunInfo:
    types = {op.order: op.type for op in dobo_run.project().operations}
    return RunInfo(RUN_ID, "completed", dobo_run.CLOCK, types, last_completed_operation=max(types))


def _load_metadata(work: Path) -> dict:
    raw = pq.read_metadata(work / f"trace/run_id={RUN_ID}/operation=0.parquet").metadata
    return json.loads(raw[b"dobo.trace"])


@pytest.fixture(scope="module")
def runs(data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Executor]:
    """The same Run twice: its load by reference, and its load copied (forced)."""
    by_reference, copied = tmp_path_factory.mktemp("by-reference"), tmp_path_factory.mktemp("copied")
    executor = _executor(data, by_reference)
    executor.run()
    _executor(data, copied, by_reference=False).run()
    return by_reference, copied, executor


def test_a_load_of_parquet_files_is_written_by_reference_with_no_row_copy_TR_15(runs, data):
    by_reference, copied, _ = runs
    metadata = _load_metadata(by_reference)
    assert metadata["format_version"] == 2 and metadata["load_by_reference"]["rows"] == ROWS
    (transactions,) = [f for f in metadata["load_by_reference"]["fingerprints"] if "transactions" in f["location"]]
    assert transactions["size"] == (data / gl_data.TRANSACTIONS).stat().st_size and len(transactions["sha256"]) == 64
    assert pl.read_parquet(by_reference / f"trace/run_id={RUN_ID}/operation=0.parquet").height == 0
    assert _load_metadata(copied)["format_version"] == 1  # the forced copy: format 1, every row
    assert pl.read_parquet(copied / f"trace/run_id={RUN_ID}/operation=0.parquet").height == ROWS
    # The file keeps the columns a copy has (TR-8), and the same TR-9 schema.
    assert pq.read_schema(by_reference / f"trace/run_id={RUN_ID}/operation=0.parquet").equals(
        pq.read_schema(copied / f"trace/run_id={RUN_ID}/operation=0.parquet"), check_metadata=False
    )
    assert _load_metadata(by_reference)["schema"] == _load_metadata(copied)["schema"]


def test_read_back_by_reference_equals_the_full_copy_TR_15_TR_2(runs):
    by_reference, copied, executor = runs
    info = _info()
    ours = TraceReader(str(by_reference / "trace"), replay=lambda _run: executor.replay_load())
    theirs = TraceReader(str(copied / "trace"))
    assert ours.operation_changes(info, 0).equals(theirs.operation_changes(info, 0))
    ids = theirs.operation_changes(info, 0)["row_id"]
    updated = theirs.operation_changes(info, 10)["row_id"]
    deleted = theirs.operation_changes(info, 30)["row_id"]
    for row_id in [ids[0], ids[len(ids) // 2], ids[-1], updated[7], deleted[0]]:
        assert [e.as_dict() for e in ours.row_history(info, row_id)] == [
            e.as_dict() for e in theirs.row_history(info, row_id)
        ]
        for step in info.valid_steps():
            assert ours.row_state(info, row_id, step) == theirs.row_state(info, row_id, step)
    for order in info.traced_steps()[1:]:  # later files are the same files
        assert ours.operation_changes(info, order).equals(theirs.operation_changes(info, order))


def test_a_changed_input_file_is_refused_naming_the_location_TR_15(data, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for name in (gl_data.TRANSACTIONS, gl_data.ACCOUNTS_FILE, gl_data.EXCHANGE_RATES):
        (folder / name).write_bytes((data / name).read_bytes())
    executor = _executor(folder, tmp_path / "work")
    executor.run()
    reader = TraceReader(str(tmp_path / "work/trace"), replay=lambda _run: executor.replay_load())
    row_id = reader.operation_changes(_info(), 10)["row_id"][0]
    assert reader.row_state(_info(), row_id, 0)["_row_id"] == row_id

    rows = pl.read_parquet(folder / gl_data.TRANSACTIONS)
    rows.with_columns(pl.col("description").str.to_uppercase()).write_parquet(folder / gl_data.TRANSACTIONS)
    with pytest.raises(TraceInputChanged) as caught:
        reader.row_history(_info(), row_id)
    assert str(folder / gl_data.TRANSACTIONS) in caught.value.message
    assert caught.value.rule == "TR-15" and "changed since Run" in caught.value.message


def test_a_load_by_reference_without_a_replay_says_the_input_must_be_read_again_TR_15(runs):
    by_reference, _, _ = runs
    with pytest.raises(TraceInputChanged, match="needs that input read again"):
        TraceReader(str(by_reference / "trace")).operation_changes(_info(), 0)


def test_a_load_from_a_source_that_cannot_be_read_again_keeps_the_full_copy_TR_15(data, tmp_path):
    _executor(data, tmp_path, copy_only=True).run()
    assert _load_metadata(tmp_path)["format_version"] == 1 and "load_by_reference" not in _load_metadata(tmp_path)
    assert pl.read_parquet(tmp_path / f"trace/run_id={RUN_ID}/operation=0.parquet").height == ROWS


def test_a_database_location_is_not_re_readable_TR_15():
    from dobo_engine.resolver.table_source import ResolvingTableSource

    class _Catalog:
        def datasource(self, _id: str) -> object:
            return type("DataSource", (), {"id": "pg", "type": "database", "options": {}, "status": "active"})()

    source = object.__new__(ResolvingTableSource)
    source.catalog = _Catalog()  # type: ignore[assignment]
    location = type("Location", (), {"strategy": "table", "datasource_id": "pg", "path": None})()
    source.resolve = lambda _d, _t: [location]  # type: ignore[method-assign]
    assert source.fingerprints(None, None) is None  # type: ignore[arg-type]


def test_a_format_1_load_file_still_reads_without_any_replay_TR_9(tmp_path):
    loaded = pl.DataFrame({"_row_id": ["r1", "r2"], "invoice": ["A", "B"]})
    writer = TraceWriter(str(tmp_path))
    writer.write(
        "run-1",
        0,
        "load",
        created_events(loaded, run_id="run-1", operation_order=0, operation_type="load"),
        loaded.schema,
    )

    def no_replay(_run: RunInfo) -> ReplayedLoad:
        raise AssertionError("a load file holding its rows is never re-read")

    reader = TraceReader(str(tmp_path), replay=no_replay)
    info = RunInfo("run-1", "completed", dobo_run.CLOCK, {})
    assert reader.row_state(info, "r2", 0) == {"_row_id": "r2", "invoice": "B"}
    assert reader.metadata(info, 0)["format_version"] == 1
