"""LK-1/LK-2 and OP-JOIN-4/5: left joins keep every row once and refuse ambiguous keys."""

from decimal import Decimal

import polars as pl
import pytest

from dobo_engine.engine.joins import JoinLabel, left_join_unique
from dobo_engine.errors import LookupNotUnique

LABEL = JoinLabel("ds-fx", "fx", ["transactions.currency = fx.from_currency"])


def _rates() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "fx.from_currency": ["EUR", "EUR", "GBP"],
            "fx.rate": [Decimal("1.0920"), Decimal("1.0900"), Decimal("1.2710")],
        },
        schema={"fx.from_currency": pl.Utf8, "fx.rate": pl.Decimal(18, 6)},
    )


def _join(left: pl.DataFrame, checked: pl.Expr | None = None) -> pl.DataFrame:
    return left_join_unique(
        left.lazy(),
        _rates(),
        left_keys=[pl.col("currency")],
        right_keys=[pl.col("fx.from_currency")],
        label=LABEL,
        checked=checked,
    ).collect()


def test_unmatched_and_null_keys_get_nulls_and_row_count_is_kept_LK_1():
    left = pl.DataFrame({"currency": ["GBP", "USD", None], "n": [1, 2, 3]})
    out = _join(left.filter(pl.col("n") != 0), checked=pl.col("currency") == "GBP")
    assert out["n"].to_list() == [1, 2, 3]
    assert out["fx.rate"].to_list() == [Decimal("1.271000"), None, None]


def test_key_matching_two_rows_is_lookup_not_unique_with_key_and_count_LK_2():
    left = pl.DataFrame({"currency": ["EUR", "GBP"]})
    with pytest.raises(LookupNotUnique) as err:
        _join(left)
    assert "ds-fx" in err.value.message and "fx" in err.value.message
    assert "'EUR'" in err.value.detail and "2 rows" in err.value.detail


def test_rows_not_checked_cannot_trigger_lookup_not_unique_OP_JOIN_5():
    left = pl.DataFrame({"currency": ["EUR", "GBP"]})
    out = _join(left, checked=pl.col("currency") == "GBP")
    assert out.height == 2
    assert out["fx.rate"][1] == Decimal("1.271000")


def test_no_key_terms_joins_a_single_parameter_row_OP_JOIN_3():
    left = pl.DataFrame({"x": [1, 2]})
    params = pl.DataFrame({"p.factor": [Decimal("1.5")]})
    out = left_join_unique(left.lazy(), params, left_keys=[], right_keys=[], label=JoinLabel("ds-p", "p", [])).collect()
    assert out["p.factor"].to_list() == [Decimal("1.5"), Decimal("1.5")]


def test_decimal_keys_of_different_scale_compare_by_value_D31():
    left = pl.DataFrame({"k": [Decimal("1.5")]}, schema={"k": pl.Decimal(10, 1)})
    right = pl.DataFrame({"r.k": [Decimal("1.50")], "r.v": ["hit"]}, schema={"r.k": pl.Decimal(12, 2), "r.v": pl.Utf8})
    out = left_join_unique(
        left.lazy(),
        right,
        left_keys=[pl.col("k")],
        right_keys=[pl.col("r.k")],
        label=JoinLabel("ds-r", "r", ["k = r.k"]),
    ).collect()
    assert out["r.v"].to_list() == ["hit"]
