"""The compact row id (D37): the same 128 bits as the D26 text, text only where users read it."""

import random
import uuid
from datetime import UTC, datetime

import polars as pl
import pytest

from dobo_engine.io.row_ids import (
    ROW_ID_DTYPE,
    readable_row_ids,
    row_id_compact_expr,
    row_id_expr,
    row_id_from_text,
    row_id_text,
    seed_text,
)

CLOCKS = [
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2026, 2, 1, 8, 30, 0, 123000, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
]


def _both(n: int, clock: datetime, seed: str, offset: int) -> pl.DataFrame:
    return (
        pl.LazyFrame({"x": pl.int_range(n, eager=True)})
        .select(
            text=row_id_expr(clock, seed, offset=offset),
            compact=row_id_compact_expr(clock, seed, offset=offset),
        )
        .collect()
    )


def test_row_id_text_equals_compact_form_D37():
    """Over many seeds, clocks and positions (offsets up to the wrap of 2^64) both forms agree exactly."""
    rng = random.Random(37)
    cases = [(clock, seed_text("run", rng.getrandbits(64), order)) for clock in CLOCKS for order in range(12)]
    offsets = [0, 1, 2**31, 2**63 - 500, 2**64 - 1000, *(rng.getrandbits(64) for _ in range(20))]
    for index, (clock, seed) in enumerate(cases):
        offset = offsets[index % len(offsets)]
        frame = _both(2_000, clock, seed, offset % 2**64)
        assert frame.schema["compact"] == ROW_ID_DTYPE
        assert frame.select(row_id_text(pl.col("compact")))["compact"].equals(frame["text"], check_names=False)
        assert frame.select(row_id_from_text(pl.col("text")))["text"].equals(frame["compact"], check_names=False)
        # The integer is the UUID's own 128-bit value (big-endian), so Python's uuid agrees too.
        sample = frame.sample(20, seed=index).rows()
        assert all(uuid.UUID(int=value) == uuid.UUID(text) for text, value in sample)


def test_compact_ids_sort_like_their_text_D37_TR_10():
    frame = _both(50_000, CLOCKS[1], seed_text("ds-gl", "transactions", "loc"), 0)
    by_text = frame.sort("text")["text"]
    by_value = frame.sort("compact")["text"]
    assert by_value.equals(by_text)


def test_a_null_compact_id_reads_as_null_and_text_ids_pass_unchanged_D37():
    ids = pl.Series("id", [None, 0x01900000_0000_7000_8000_000000000001], dtype=ROW_ID_DTYPE)
    assert ids.to_frame().select(row_id_text(pl.col("id")))["id"].to_list() == [
        None,
        "01900000-0000-7000-8000-000000000001",
    ]
    text = pl.DataFrame({"_row_id": ["r1"]})
    assert readable_row_ids(text).equals(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("01900000-0000-7000-8000-000000000001", 0x01900000_0000_7000_8000_000000000001),
        ("01900000-0000-7000-8000-0000000000AB", 0x01900000_0000_7000_8000_0000000000AB),
        ("r1", None),
        ("0190000000007000800000000000000100ab", None),  # 36 characters, no dashes
        ("{01900000-0000-7000-8000-000000000001}", None),
    ],
)
def test_only_uuid_text_reads_as_a_row_id_D37(text, value):
    parsed = pl.DataFrame({"t": [text]}).select(row_id_from_text(pl.col("t")))["t"][0]
    assert parsed == value
