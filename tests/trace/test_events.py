"""Event builders: TR-2, TR-3, TR-4, TR-5, TR-8, TR-12, TR-13, OP-UPD-7."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from dobo_engine.trace import (
    OLD_PREFIX,
    changed_mask,
    created_events,
    deleted_events,
    updated_events,
)
from tests.python_ast import parse_source

LABELS = pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8}))
DEC = pl.Decimal(38, 6)


def _frame(**columns: tuple[list, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame({k: v for k, (v, _) in columns.items()}, schema={k: t for k, (_, t) in columns.items()})


def _updated(before: pl.DataFrame, after: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    return updated_events(before.lazy(), after.lazy(), columns, run_id="run-1", operation_order=3).collect()


def test_tr4_assignment_leaving_value_unchanged_emits_no_event() -> None:
    before = _frame(_row_id=(["a", "b"], pl.Utf8), x=([1, 2], pl.Int64))
    after = _frame(_row_id=(["a", "b"], pl.Utf8), x=([1, 5], pl.Int64))
    events = _updated(before, after, ["x"])
    assert events["row_id"].to_list() == ["b"]


def test_tr4_null_to_null_is_no_event_null_to_value_is_one() -> None:
    before = _frame(_row_id=(["a", "b", "c"], pl.Utf8), x=([None, None, 4], pl.Int64))
    after = _frame(_row_id=(["a", "b", "c"], pl.Utf8), x=([None, 7, None], pl.Int64))
    events = _updated(before, after, ["x"])
    assert events["row_id"].to_list() == ["b", "c"]
    assert events["before"].struct.field("x").to_list() == [None, 4]
    assert events["after"].struct.field("x").to_list() == [7, None]


def test_tr4_equal_decimals_at_equal_scale_are_no_change() -> None:
    # OP-UPD-7: 9282.000000 vs 9282.00 after conversion to the target type is no change.
    before = _frame(_row_id=(["a", "b"], pl.Utf8), amount=([Decimal("9282.00"), Decimal("1.00")], DEC))
    after = _frame(_row_id=(["a", "b"], pl.Utf8), amount=([Decimal("9282.000000"), Decimal("1.000001")], DEC))
    events = _updated(before, after, ["amount"])
    assert events["row_id"].to_list() == ["b"]
    assert events.schema["after"] == pl.Struct({"amount": DEC})  # native type kept (TR-8)


def test_tr4_old_value_is_converted_to_the_target_type_before_comparing() -> None:
    before = _frame(_row_id=(["a", "b"], pl.Utf8), amount=([Decimal("9282.00"), Decimal("5.00")], pl.Decimal(38, 2)))
    after = _frame(_row_id=(["a", "b"], pl.Utf8), amount=([Decimal("9282.000000"), Decimal("5.5")], DEC))
    events = _updated(before, after, ["amount"])
    assert events["row_id"].to_list() == ["b"]
    assert events.schema["before"] == pl.Struct({"amount": DEC})


def test_tr4_new_column_counts_as_null_before() -> None:
    before = _frame(_row_id=(["a", "b"], pl.Utf8), x=([1, 2], pl.Int64))
    after = _frame(_row_id=(["a", "b"], pl.Utf8), x=([1, 2], pl.Int64), tag=([None, "t"], pl.Utf8))
    events = _updated(before, after, ["tag"])
    assert events["row_id"].to_list() == ["b"]
    assert events["changed_columns"].to_list() == [["tag"]]
    assert events["before"].struct.field("tag").to_list() == [None]


def test_tr3_changed_columns_list_only_the_columns_that_changed() -> None:
    before = _frame(_row_id=(["a", "b", "c"], pl.Utf8), x=([1, 2, 3], pl.Int64), y=(["p", "q", "r"], pl.Utf8))
    after = _frame(_row_id=(["a", "b", "c"], pl.Utf8), x=([9, 2, 9], pl.Int64), y=(["p", "z", "z"], pl.Utf8))
    events = _updated(before, after, ["x", "y"])
    assert events["changed_columns"].to_list() == [["x"], ["y"], ["x", "y"]]
    # TR-8: the structs hold every target column; only changed_columns count.
    assert events.schema["before"] == pl.Struct({"x": pl.Int64, "y": pl.Utf8})
    assert events.select(
        pl.col(c) for c in ("run_id", "operation_order", "operation_type", "change_type")
    ).unique().rows() == [("run-1", 3, "update", "updated")]
    assert events.schema["operation_order"] == pl.Int32


def test_tr5_labels_are_compared_as_a_whole_value() -> None:
    labels = [[{"key": "k", "value": "v"}], [], [], None]
    new = [[{"key": "k", "value": "v"}], [], [{"key": "k", "value": "w"}], []]
    before = _frame(_row_id=(["a", "b", "c", "d"], pl.Utf8), _labels=(labels, LABELS))
    after = _frame(_row_id=(["a", "b", "c", "d"], pl.Utf8), _labels=(new, LABELS))
    events = _updated(before, after, ["_labels"])
    assert events["row_id"].to_list() == ["c", "d"]
    assert events["after"].struct.field("_labels").to_list() == [[{"key": "k", "value": "w"}], []]


def test_tr5_updated_at_is_never_part_of_a_diff() -> None:
    before = _frame(_row_id=(["a"], pl.Utf8), x=([1], pl.Int64))
    with pytest.raises(ValueError, match="TR-5"):
        _updated(before, before, ["x", "_updated_at"])


def test_tr4_no_changed_rows_gives_an_empty_frame_with_the_event_schema() -> None:
    before = _frame(_row_id=(["a"], pl.Utf8), x=([1], pl.Int64))
    events = _updated(before, before, ["x"])
    assert events.height == 0
    assert events.schema["after"] == pl.Struct({"x": pl.Int64})


def test_op_upd_7_changed_mask_marks_only_really_changed_rows() -> None:
    frame = pl.DataFrame(
        {
            f"{OLD_PREFIX}x": [1, None, None, 2],
            "x": [1, None, 3, 2],
            f"{OLD_PREFIX}y": ["a", "b", "c", None],
            "y": ["a", "b", "c", "d"],
        }
    )
    assert frame.select(changed_mask(["x", "y"]).alias("m"))["m"].to_list() == [False, False, True, True]
    assert frame.select(changed_mask([]).alias("m"))["m"].to_list() == [False]


def test_tr2_tr3_created_events_hold_the_full_row_and_no_before() -> None:
    rows = _frame(
        _row_id=(["r2", "r1"], pl.Utf8),
        _deleted=([False, False], pl.Boolean),
        _labels=([[], [{"key": "a", "value": "b"}]], LABELS),
        amount=([Decimal("1.5"), None], DEC),
    )
    events = created_events(rows.lazy(), run_id="run-1", operation_order=0, operation_type="load").collect()
    assert events["row_id"].to_list() == ["r2", "r1"]
    assert events["change_type"].unique().to_list() == ["created"]
    assert events["changed_columns"].to_list() == [list(rows.columns)] * 2
    assert events["before"].null_count() == 2
    assert events.schema["after"] == pl.Struct(rows.schema)
    # TR-13: `after` is exactly the new rows' frame.
    assert events.select(pl.col("after").struct.unnest()).equals(rows)


def test_tr3_deleted_events_flip_the_deleted_flag() -> None:
    rows = pl.DataFrame({"_row_id": ["b", "a"], "other": [1, 2]})
    events = deleted_events(rows.lazy(), run_id="run-1", operation_order=7).collect()
    assert events["row_id"].to_list() == ["b", "a"]
    assert events["operation_type"].unique().to_list() == ["delete"]
    assert events["change_type"].unique().to_list() == ["deleted"]
    assert events["changed_columns"].to_list() == [["_deleted"], ["_deleted"]]
    assert events["before"].to_list() == [{"_deleted": False}] * 2
    assert events["after"].to_list() == [{"_deleted": True}] * 2


def _code_without_docstrings(source: str) -> str:
    """The module's code; docstring examples (doctests) may show rows as Python values."""
    tree = parse_source(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                body[0] = ast.Pass()
    return ast.unparse(tree)


def test_tr12_write_path_never_turns_rows_into_python_objects() -> None:
    folder = Path(__file__).resolve().parents[2] / "dobo_engine" / "trace"
    for name in ("events.py", "store.py", "format.py"):
        code = _code_without_docstrings((folder / name).read_text())
        for forbidden in ("iter_rows", "to_dicts", "map_elements", ".rows(", "to_list("):
            assert forbidden not in code, f"{name} uses {forbidden} (TR-12)"


def test_tr12_guard_reads_code_not_docstrings() -> None:
    source = 'def f():\n    """>>> frame.rows()"""\n    return frame.to_list()\n'
    code = _code_without_docstrings(source)
    assert ".rows(" not in code and "to_list(" in code
