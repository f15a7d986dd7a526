"""Deterministic UUID v7 row ids (D26, OP-SYS-2, operations.md §10)."""

import uuid
from datetime import UTC, datetime

import polars as pl

from dobo_engine.io.row_ids import row_id_expr, seed_text

CLOCK = datetime(2026, 2, 1, 8, 30, 0, 123000, tzinfo=UTC)


def _ids(n: int, seed: str = "run-1/3", clock: datetime = CLOCK) -> pl.Series:
    return pl.LazyFrame({"x": range(n)}).select(id=row_id_expr(clock, seed)).collect()["id"]


def test_row_ids_are_valid_uuid7_with_the_run_clock_D26():
    ids = _ids(1000)
    ms = int(CLOCK.timestamp() * 1000)
    for text in ids.to_list()[:50] + ids.to_list()[-50:]:
        u = uuid.UUID(text)
        assert str(u) == text  # lowercase 8-4-4-4-12
        assert u.version == 7 and u.variant == uuid.RFC_4122
        assert u.int >> 80 == ms


def test_row_ids_are_deterministic_and_depend_on_seed_D26():
    assert _ids(100).equals(_ids(100))
    assert not set(_ids(100).to_list()) & set(_ids(100, seed="run-1/4").to_list())
    assert seed_text("a", "bc") != seed_text("ab", "c")


def test_one_million_row_ids_are_unique_OP_SYS_2():
    frame = pl.LazyFrame({"x": pl.int_range(1_000_000, eager=True)})
    ids = frame.select(id=row_id_expr(CLOCK, "ds-gl/gl/loc")).collect()["id"]
    assert ids.len() == 1_000_000 and ids.n_unique() == 1_000_000
