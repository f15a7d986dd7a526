"""Comparison (§5), value conversion (§2) and failure-case semantics (§1 rule 7)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from dobo_engine.errors import Location, SchemaValidationError
from dobo_engine.harness.compare import CompareConfig, compare_frames
from dobo_engine.harness.runner import run_scenario
from dobo_engine.harness.values import convert_frame, rows_frame

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def scenario_copy(tmp_path: Path, text: str) -> Path:
    """A changed copy of a suite scenario, beside a copy of the fixtures it names (§10)."""
    shutil.copy(SCENARIOS / "_fixtures.yaml", tmp_path / "_fixtures.yaml")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def where(i: int, c: str) -> Location:
    return Location(file="x.yaml", line=i + 10)


def typed(rows, targets):
    frame = rows_frame(rows, list(targets), table="t", where=where)
    return convert_frame(frame, targets, table="t", where=where, decimals_as_text=False)


def test_values_convert_exactly_and_timestamps_to_utc() -> None:
    frame = typed(
        [{"d": Decimal("0.00672"), "ts": "2026-02-01T07:00:00+01:00", "day": "2026-01-31"}],
        {"d": pl.Decimal(38, 6), "ts": pl.Datetime("us", "UTC"), "day": pl.Date},
    )
    row = frame.row(0, named=True)
    assert row["d"] == Decimal("0.00672")
    assert row["ts"] == datetime(2026, 2, 1, 6, 0, tzinfo=UTC)


def test_bad_value_names_table_row_and_column() -> None:
    with pytest.raises(SchemaValidationError) as err:
        typed([{"n": 1}, {"n": "two"}], {"n": pl.Int64})
    assert "table 't', row 2, column 'n'" in err.value.message and err.value.location.line == 11


def test_unknown_key_is_a_schema_validation_error() -> None:
    with pytest.raises(SchemaValidationError, match="'other'"):
        rows_frame([{"other": 1}], ["n"], table="t", where=where)


def actual() -> pl.DataFrame:
    return pl.DataFrame(
        {"k": ["a", "b", "c"], "v": [Decimal("1.000000"), Decimal("2.5"), None]},
        schema={"k": pl.Utf8, "v": pl.Decimal(38, 6)},
    )


def expected(rows) -> pl.DataFrame:
    return rows_frame(rows, ["k", "v"], table="expected", where=where)


def test_decimals_compare_by_value_and_nulls_equal() -> None:
    exp = expected([{"k": "a", "v": Decimal("1.00")}, {"k": "b", "v": Decimal("2.50")}, {"k": "c", "v": None}])
    assert compare_frames(actual(), exp, CompareConfig(key_columns=["k"])) == []
    assert compare_frames(actual(), exp, CompareConfig()) == []


def test_every_mismatch_kind_is_collected() -> None:
    exp = expected([{"k": "a", "v": Decimal("1.01")}, {"k": "z", "v": Decimal("1")}])
    found = compare_frames(actual().with_columns(extra=pl.lit(1)), exp, CompareConfig(key_columns=["k"]), output=3)
    kinds = sorted(m["type"] for m in found)
    assert kinds == ["extra_column", "extra_row", "extra_row", "missing_row", "value_mismatch"]
    value = next(m for m in found if m["type"] == "value_mismatch")
    assert value["key"] == {"k": "a"} and value["columns"] == ["v"] and value["output"] == 3


def test_subset_tolerates_extra_rows_and_columns() -> None:
    exp = expected([{"k": "b", "v": Decimal("2.5")}])
    assert compare_frames(actual().with_columns(extra=pl.lit(1)), exp, CompareConfig(match_mode="subset")) == []


def test_order_sensitive_pairs_by_position() -> None:
    exp = expected([{"k": "b"}, {"k": "a"}, {"k": "c"}])
    found = compare_frames(actual().drop("v"), exp, CompareConfig(order_sensitive=True))
    assert [m["key"] for m in found] == [{"row": 0}, {"row": 1}]


def test_float_expected_values_use_the_tolerance() -> None:
    exp = (
        pl.DataFrame({"k": ["a", "b", "c"], "v": [1.0000000001, 2.5, None]})
        .with_columns(pl.col("v").cast(pl.Float64), pl.lit(False).alias("__bad__v").alias("unused"))
        .drop("unused")
    )
    assert compare_frames(actual(), exp, CompareConfig(key_columns=["k"])) == []
    assert compare_frames(actual(), exp, CompareConfig(key_columns=["k"], float_tolerance=1e-12)) != []


def test_unconvertible_expected_value_is_a_value_mismatch() -> None:
    exp = expected([{"k": "a", "v": "one"}, {"k": "b", "v": Decimal("2.5")}, {"k": "c", "v": None}])
    found = compare_frames(actual(), exp, CompareConfig(key_columns=["k"]))
    assert [(m["type"], m["expected"]) for m in found] == [("value_mismatch", {"v": "one"})]


def test_expected_error_that_does_not_happen_fails_not_errors(tmp_path: Path) -> None:
    text = (SCENARIOS / "general" / "pipeline_order.yaml").read_text()
    head, _, _ = text.partition("expected_output:")
    path = scenario_copy(tmp_path, head + "expected_error: { code: LookupNotUnique }\n")
    result = run_scenario(path, tmp_path)
    assert result.status == "fail" and "the Run succeeded" in result.notes[0]


def test_run_failure_without_expected_error_is_an_execution_failure(tmp_path: Path) -> None:
    text = (SCENARIOS / "lookups" / "lookup_not_unique.yaml").read_text()
    path = scenario_copy(
        tmp_path, text.replace("expected_error: { code: LookupNotUnique }", "expected_output: { data: { rows: [] } }")
    )
    result = run_scenario(path, tmp_path)
    assert result.status == "error" and result.error["code"] == "ExecutionFailure"
    assert "LookupNotUnique" in result.error["message"]


def test_trace_assertions_are_ignored_with_a_warning_unless_enabled(tmp_path: Path) -> None:
    text = (SCENARIOS / "delete" / "delete_by_lookup_with_trace.yaml").read_text()
    path = scenario_copy(tmp_path, text.replace("validate_traceability: true", "validate_traceability: false"))
    result = run_scenario(path, tmp_path)
    assert result.status == "pass" and any("validate_traceability" in w for w in result.warnings)


def test_trace_exact_mode_reports_unclaimed_events(tmp_path: Path) -> None:
    text = (SCENARIOS / "delete" / "delete_by_lookup_with_trace.yaml").read_text()
    lines = [line for line in text.splitlines() if not ("deleted" in line and "JE-3" in line)]
    path = scenario_copy(tmp_path, "\n".join(lines) + "\n")
    result = run_scenario(path, tmp_path)
    assert result.status == "fail"
    assert [m["type"] for m in result.trace_mismatches] == ["extra_event"]
