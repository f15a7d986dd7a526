"""Load-time schema check and system-column filling (DS-6, ROW-1/2/7, OP-SYS-2)."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest
from io_stand_ins import CLOCK, GL, Col, Table

from dobo_engine.columns import SYSTEM_COLUMNS, system_columns_for
from dobo_engine.errors import DuplicateRowId, SchemaMismatch
from dobo_engine.io.row_ids import ROW_ID_DTYPE, readable_row_ids
from dobo_engine.io.schema_check import conform


def run(frame, table=GL, *, period="2026-01", ok=True, seed="ds-gl/gl/loc"):
    return conform(
        frame.lazy() if isinstance(frame, pl.DataFrame) else frame,
        table.columns,
        table.temporal_mode,
        dataset_id="ds-gl",
        table_name=table.name,
        period_identifier=period,
        clock=CLOCK,
        row_id_seed=seed,
        descendants_ok=ok,
    )


def text_frame(**overrides):
    data = {
        "journal_id": ["J1", "J2"],
        "line": ["1", "2"],
        "amount": ["8500.00", "-0.5"],
        "posted": ["2026-01-31"] * 2,
        "approved": ["true", "f"],
        "stamp": ["2026-01-31T10:00:00Z", "2026-01-31 11:00:00+01:00"],
    }
    data.update(overrides)
    return pl.DataFrame(data)


def test_all_problems_are_listed_in_one_error_DS6():
    bad = text_frame(journal_id=["J1", None], line=["1", "one"], amount=["0.0067235", "1"]).drop("posted")
    table = Table("gl", [*GL.columns, Col("scaled", "decimal", precision=38, scale=6)])
    bad = bad.with_columns(scaled=pl.Series(["0.0067235", "0.006723"]))
    with pytest.raises(SchemaMismatch) as err:
        run(bad, table)
    problems = {p["column"]: p for p in err.value.payload["columns"]}
    assert problems["journal_id"] == {"column": "journal_id", "problem": "nulls", "count": 1, "expected": "string"}
    assert problems["line"]["problem"] == "conversion" and problems["line"]["example"] == "one"
    assert problems["amount"]["problem"] == "conversion" and problems["amount"]["expected"] == "decimal(18,2)"
    assert problems["posted"]["problem"] == "missing"
    assert problems["scaled"]["count"] == 1 and problems["scaled"]["example"] == "0.0067235"  # never rounded
    assert err.value.rule == "DS-6" and "5 column problem(s)" in err.value.message


def test_decimal_sources_are_never_rounded_DS6():
    wide = pl.DataFrame(
        {"journal_id": ["J1"], "amount": [Decimal("1.005")]}, schema_overrides={"amount": pl.Decimal(10, 3)}
    )
    table = Table("gl", [GL.columns[0], GL.columns[2]])
    with pytest.raises(SchemaMismatch, match="amount"):
        run(wide, table)
    ok = pl.DataFrame(
        {"journal_id": ["J1"], "amount": [Decimal("1.050")]}, schema_overrides={"amount": pl.Decimal(10, 3)}
    )
    assert run(ok, table).collect()["amount"].to_list() == [Decimal("1.05")]
    overflow = pl.DataFrame({"journal_id": ["J1"], "amount": ["12345678901234567.5"]})
    with pytest.raises(SchemaMismatch, match="amount"):
        run(overflow, table)
    floats = pl.DataFrame({"journal_id": ["J1", "J2"], "amount": [0.1, 2.5]})
    assert run(floats, table).collect()["amount"].to_list() == [Decimal("0.10"), Decimal("2.50")]


def test_values_convert_exactly_from_text_DS6():
    out = run(text_frame()).collect()
    assert out["amount"].to_list() == [Decimal("8500.00"), Decimal("-0.50")]
    assert out["approved"].to_list() == [True, False]
    assert out["stamp"].to_list() == [datetime(2026, 1, 31, 10, tzinfo=UTC)] * 2
    assert out["posted"].to_list() == [date(2026, 1, 31)] * 2


def test_undeclared_columns_dropped_and_order_is_user_then_system_DS6():
    out = run(text_frame(extra=["x", "y"])).collect()
    assert out.columns == [c.name for c in GL.columns] + system_columns_for("period")
    assert out.schema["_labels"] == SYSTEM_COLUMNS["_labels"]


def test_missing_system_columns_are_filled_ROW2():
    out = readable_row_ids(run(text_frame()).collect())
    row = out.row(0, named=True)
    assert row["_source_dataset_id"] == "ds-gl" and row["_source_table"] == "gl"
    assert row["_created_by_project_id"] is None and row["_created_by_run_id"] is None
    assert row["_created_at"] == row["_updated_at"] == CLOCK
    assert row["_deleted"] is False and row["_labels"] == [] and row["_period"] == "2026-01"
    assert uuid.UUID(row["_row_id"]).version == 7
    assert readable_row_ids(run(text_frame()).collect())["_row_id"].equals(out["_row_id"])  # deterministic (D26)


def test_stored_system_columns_are_kept_ROW1():
    stored = text_frame(
        _row_id=["01900000-0000-7000-8000-000000000001", None],
        _period=["2025-12", "2025-12"],
        _labels=['{"k":"v"}', "{}"],
        _created_at=["2025-01-01T00:00:00Z"] * 2,
    )
    out = readable_row_ids(run(stored).collect())
    assert out["_row_id"][0] == "01900000-0000-7000-8000-000000000001"
    assert uuid.UUID(out["_row_id"][1]).version == 7  # a NULL id is filled
    assert out["_period"].to_list() == ["2025-12"] * 2
    assert out["_labels"].to_list() == [[{"key": "k", "value": "v"}], []]
    assert out["_created_at"][0] == datetime(2025, 1, 1, tzinfo=UTC)


def test_period_cannot_come_from_a_coarser_location_ROW2():
    with pytest.raises(SchemaMismatch, match="_period"):
        run(text_frame(), period="2026", ok=False)
    with pytest.raises(SchemaMismatch, match="_period"):
        run(text_frame(), period=None, ok=False)


def test_bitemporal_needs_period_from_ROW2():
    table = Table("rates", [Col("journal_id", "string")], temporal_mode="bitemporal")
    with pytest.raises(SchemaMismatch, match="_period_from"):
        run(pl.DataFrame({"journal_id": ["a"]}), table)
    data = pl.DataFrame({"journal_id": ["a", "b"], "_period_from": ["2026-01-01", None]})
    with pytest.raises(SchemaMismatch, match="1 NULL"):
        run(data, table)
    data = pl.DataFrame({"journal_id": ["a"], "_period_from": [date(2026, 1, 1)], "_valid_from": [date(2026, 1, 1)]})
    with pytest.raises(SchemaMismatch, match="together"):
        run(data, table)
    out = run(pl.DataFrame({"journal_id": ["a"], "_period_from": ["2026-01-01"]}), table).collect()
    assert out.columns[-2:] == ["_period_from", "_period_to"] and out["_period_to"][0] is None


def test_stored_deleted_rows_are_dropped_ROW7():
    out = run(text_frame(_deleted=["true", "false"])).collect()
    assert out["journal_id"].to_list() == ["J2"]


def test_duplicate_stored_row_ids_fail_the_load_OP_SYS_2():
    with pytest.raises(DuplicateRowId, match="1 row"):
        run(text_frame(_row_id=["01900000-0000-7000-8000-000000000001"] * 2))
    with pytest.raises(DuplicateRowId, match="1 row"):  # the same id, whatever the case of its hex digits
        run(text_frame(_row_id=["01900000-0000-7000-8000-00000000000a", "01900000-0000-7000-8000-00000000000A"]))


def test_loaded_row_ids_are_held_compact_D37():
    stored = text_frame(_row_id=["01900000-0000-7000-8000-0000000000AB", None])
    out = run(stored).collect()
    assert out.schema["_row_id"] == ROW_ID_DTYPE
    assert out["_row_id"][0] == 0x01900000_0000_7000_8000_0000000000AB
    # Read as canonical (lowercase) text wherever a user sees it.
    assert readable_row_ids(out)["_row_id"][0] == "01900000-0000-7000-8000-0000000000ab"


def test_a_stored_row_id_that_is_no_uuid_fails_the_load_D26_D37():
    with pytest.raises(SchemaMismatch, match="_row_id: 1 value.* UUID text.*'row-7'"):
        run(text_frame(_row_id=["01900000-0000-7000-8000-000000000001", "row-7"]))


def test_a_column_stored_in_a_type_that_always_fits_needs_no_value_check_DS6():
    from dobo_engine.io.exact_casts import conversion

    # Every value of these sources is exactly a value of the target: the load adds no check query for them.
    for source, target in [
        (pl.Decimal(18, 2), pl.Decimal(18, 2)),
        (pl.Decimal(10, 2), pl.Decimal(18, 4)),
        (pl.Int32, pl.Int64),
        (pl.UInt32, pl.Int64),
    ]:
        converted, failed = conversion("x", source, target)
        assert failed.meta.is_literal(), (source, target)
        values = pl.DataFrame({"x": [1, None]}, schema={"x": source})
        assert values.select(converted.alias("x")).schema["x"] == target
    # Narrower targets are still checked, value by value.
    for source, target, value in [
        (pl.Decimal(18, 4), pl.Decimal(18, 2), Decimal("1.2345")),
        (pl.Decimal(18, 2), pl.Decimal(6, 2), Decimal("123456.00")),
        (pl.UInt64, pl.Int64, 2**63),
    ]:
        converted, failed = conversion("x", source, target)
        assert not failed.meta.is_literal(), (source, target)
        assert pl.DataFrame({"x": [value]}, schema={"x": source}).select(failed).item() is True


def test_a_decimal_column_of_a_wider_stored_type_keeps_its_value_DS6():
    stored = text_frame().with_columns(pl.col("amount").cast(pl.Decimal(10, 2)))
    loaded = run(stored).collect()
    assert loaded.schema["amount"] == pl.Decimal(18, 2)
    assert loaded["amount"].to_list() == [Decimal("8500.00"), Decimal("-0.50")]
