"""The finance example's data files are exactly what its generator writes (entities.md §8)."""

import importlib.util
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples/finance/data"


def _generator():
    spec = importlib.util.spec_from_file_location("generate_data", ROOT / "examples/finance/generate_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False) if path.suffix == ".csv" else pl.read_parquet(path)


def test_committed_example_data_matches_the_generator(tmp_path):
    written = _generator().write_all(tmp_path)
    assert written
    for path in written:
        committed = DATA / path.relative_to(tmp_path)
        assert committed.exists(), committed
        assert_frame_equal(_read(path), _read(committed))


def test_january_holds_the_ten_sample_journal_lines():
    frame = pl.read_csv(DATA / "2026/01/transactions.csv", infer_schema=False)
    assert frame.height == 10
    assert frame.filter(pl.col("journal_id") == "JE-005")["amount_local"].to_list() == ["2500000.00", "2500000.00"]
