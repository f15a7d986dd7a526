"""Column vocabulary (D4, entities.md §1 system row columns)."""

import polars as pl
import pytest

from dobo_engine.columns import LABELS_DTYPE, SYSTEM_COLUMNS, ordered_names, polars_dtype, system_columns_for


def test_declared_types_map_to_polars_dtypes_D4():
    assert polars_dtype("string") == pl.Utf8
    assert polars_dtype("integer") == pl.Int64
    assert polars_dtype("decimal") == pl.Decimal(38, 6)
    assert polars_dtype("decimal", 18, 2) == pl.Decimal(18, 2)
    assert polars_dtype("boolean") == pl.Boolean
    assert polars_dtype("date") == pl.Date
    assert polars_dtype("timestamp") == pl.Datetime("us", "UTC")
    with pytest.raises(ValueError):
        polars_dtype("float")


def test_system_columns_order_and_labels_dtype_ROW6():
    assert list(SYSTEM_COLUMNS)[:3] == ["_row_id", "_source_dataset_id", "_source_table"]
    assert SYSTEM_COLUMNS["_labels"] == LABELS_DTYPE == pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8}))
    assert system_columns_for("period")[-1] == "_period"
    assert system_columns_for("bitemporal")[-2:] == ["_period_from", "_period_to"]
    assert system_columns_for("bitemporal", knowledge_axis=True)[-2:] == ["_valid_from", "_valid_to"]


def test_column_order_convention_user_then_system():
    assert ordered_names(["b", "a"], ["_period", "a", "_row_id", "b", "x"]) == ["b", "a", "x", "_row_id", "_period"]
