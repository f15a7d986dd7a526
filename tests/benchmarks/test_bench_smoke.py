"""The benchmark's two pipelines agree: dobo (trace on) and hand-written Polars
give the same summary, exact decimals, on 20k generated GL lines."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from polars.testing import assert_frame_equal

from benchmarks import dobo_run, gl_data, handwritten

N = 20_000
KEYS = ["account_code", "currency"]


def test_generator_is_deterministic_and_shaped_like_ds_gl():
    a, b = gl_data.transactions(2_000), gl_data.transactions(4_000)
    assert a.equals(b.head(2_000))
    assert a.schema["amount_local"] == pl.Decimal(18, 2)
    assert a["cost_center_code"].null_count() > 0
    assert set(a["currency"].unique()) <= {c for c, _ in gl_data.CURRENCIES}
    rates = gl_data.exchange_rates()
    versions = rates.group_by("from_currency", "to_currency", "rate_type").len()["len"]
    assert versions.min() > 1  # several versions per pair: the as-of filter matters


def test_dobo_and_handwritten_summaries_are_identical(tmp_path):
    data = gl_data.generate(N, tmp_path / "data")
    outcome, dobo_path = dobo_run.run(data, tmp_path / "dobo", trace=True)
    hand_path = handwritten.run(data, tmp_path / "hand" / "summary.parquet")

    dobo = pl.read_parquet(dobo_path).sort(KEYS)
    hand = pl.read_parquet(hand_path).sort(KEYS)
    assert dobo.columns == dobo_run.SUMMARY_COLUMNS
    assert_frame_equal(dobo, hand, check_exact=True)

    # Exact decimals, not just equal floats: compare the Python Decimal values too.
    for column in ("total_local", "total_reporting", "total_rounded"):
        assert all(isinstance(v, Decimal) for v in dobo[column])
        assert dobo[column].to_list() == hand[column].to_list()

    kept = int(dobo["line_count"].sum())
    deleted = next(s.rows_deleted for s in outcome.steps if s.type == "delete")
    assert kept + deleted == N and deleted > 0
    assert all(s.trace_file for s in outcome.steps if s.type != "output")
