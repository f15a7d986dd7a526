"""Read-back (trace.md §4): entries, output steps, and the read-back errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from dobo_engine.errors import DataNotFound, RowNotFound, RunNotFinished, StepOutOfRange, TraceDisabled
from dobo_engine.trace import RunInfo, TraceReader, TraceWriter, created_events, deleted_events, updated_events

RUN = "run-r"
CLOCK = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
OLD = datetime(2024, 1, 1, tzinfo=UTC)
TS = pl.Datetime("us", "UTC")
OPS = {1: "update", 2: "output", 3: "aggregate", 4: "delete"}


@pytest.fixture
def root(tmp_path: Path) -> str:
    """A Run: load r1, r2; 1 update x on r1; 2 output; 3 aggregate creates s1; 4 delete r2."""

    writer = TraceWriter(str(tmp_path))
    load = pl.DataFrame(
        {"_row_id": ["r1", "r2"], "_deleted": [False, False], "_updated_at": [OLD, OLD], "x": [1, 2]},
        schema={"_row_id": pl.Utf8, "_deleted": pl.Boolean, "_updated_at": TS, "x": pl.Int64},
    )
    writer.write(
        RUN, 0, "load", created_events(load, run_id=RUN, operation_order=0, operation_type="load"), load.schema
    )
    step1 = load.with_columns(
        pl.when(pl.col("_row_id") == "r1").then(10).otherwise(pl.col("x")).alias("x"),
        pl.when(pl.col("_row_id") == "r1")
        .then(pl.lit(CLOCK, dtype=TS))
        .otherwise(pl.col("_updated_at"))
        .alias("_updated_at"),
    )
    writer.write(RUN, 1, "update", updated_events(load, step1, ["x"], run_id=RUN, operation_order=1), step1.schema)
    summary = pl.DataFrame(
        {"_row_id": ["s1"], "_deleted": [False], "_updated_at": [CLOCK], "x": [None], "total": [12]},
        schema={**step1.schema, "total": pl.Int64},
    )
    step3 = pl.concat([step1.with_columns(pl.lit(None, dtype=pl.Int64).alias("total")), summary])
    writer.write(
        RUN,
        3,
        "aggregate",
        created_events(summary, run_id=RUN, operation_order=3, operation_type="aggregate"),
        step3.schema,
    )
    writer.write(
        RUN, 4, "delete", deleted_events(pl.DataFrame({"_row_id": ["r2"]}), run_id=RUN, operation_order=4), step3.schema
    )
    return str(tmp_path)


def _run(status: str = "completed", last: int | None = 4, **kwargs: object) -> RunInfo:
    return RunInfo(RUN, status, CLOCK, OPS, last_completed_operation=last, **kwargs)


def test_row_history_lists_events_in_ascending_order_with_state(root: str) -> None:
    history = TraceReader(root).row_history(_run(), "r2")
    assert [(e.operation_order, e.operation_type, e.change_type) for e in history] == [
        (0, "load", "created"),
        (4, "delete", "deleted"),
    ]
    assert history[0].before is None
    assert history[0].after == {"_row_id": "r2", "_deleted": False, "_updated_at": OLD, "x": 2}
    assert history[1].before == {"_deleted": False} and history[1].after == {"_deleted": True}
    assert history[1].state == {"_row_id": "r2", "_deleted": True, "_updated_at": CLOCK, "x": 2, "total": None}
    assert history[1].as_dict()["state"] == history[1].state


def test_row_state_at_an_output_step_equals_the_step_before(root: str) -> None:
    reader = TraceReader(root)
    assert reader.row_state(_run(), "r1", 2) == reader.row_state(_run(), "r1", 1)
    assert reader.row_state(_run(), "r1", 2) == {"_row_id": "r1", "_deleted": False, "_updated_at": CLOCK, "x": 10}


def test_row_state_adds_columns_of_later_steps_as_null(root: str) -> None:
    state = TraceReader(root).row_state(_run(), "r1", 3)
    assert list(state) == ["_row_id", "_deleted", "_updated_at", "x", "total"]
    assert state["total"] is None


def test_operation_changes_returns_the_events_and_nothing_for_output(root: str) -> None:
    reader = TraceReader(root)
    changes = reader.operation_changes(_run(), 1)
    assert changes["row_id"].to_list() == ["r1"]
    assert changes["after"].to_list() == [{"x": 10}]
    output = reader.operation_changes(_run(), 2)
    assert output.height == 0 and "row_id" in output.columns
    assert reader.operation_schema(_run(), 3) == {
        "_row_id": "string",
        "_deleted": "boolean",
        "_updated_at": "timestamp",
        "x": "integer",
        "total": "integer",
    }


@pytest.mark.parametrize("status", ["queued", "running"])
def test_reading_an_unfinished_run_is_run_not_finished(root: str, status: str) -> None:
    with pytest.raises(RunNotFinished):
        TraceReader(root).row_history(_run(status, None), "r1")


def test_reading_a_run_without_trace_says_so_d32(root: str) -> None:
    with pytest.raises(TraceDisabled) as caught:
        TraceReader(root).row_state(_run(trace_enabled=False), "r1", 0)
    assert "trace switched off" in caught.value.message


def test_row_not_found_when_the_row_has_no_event(root: str) -> None:
    with pytest.raises(RowNotFound) as caught:
        TraceReader(root).row_state(_run(), "nope", 4)
    assert "no event" in (caught.value.detail or "")
    with pytest.raises(RowNotFound):
        TraceReader(root).row_history(_run(), "nope")


def test_row_not_found_when_the_row_was_created_after_the_step(root: str) -> None:
    with pytest.raises(RowNotFound) as caught:
        TraceReader(root).row_state(_run(), "s1", 2)
    assert "created by operation 3, after step 2" in (caught.value.detail or "")


def test_step_out_of_range_lists_the_valid_steps(root: str) -> None:
    with pytest.raises(StepOutOfRange) as caught:
        TraceReader(root).row_state(_run(), "r1", 7)
    assert caught.value.detail == "valid steps: 0, 1, 2, 3, 4"
    with pytest.raises(StepOutOfRange):
        TraceReader(root).operation_changes(_run(), 7)


def test_step_past_the_last_completed_operation_of_a_failed_run_is_out_of_range(root: str) -> None:
    failed = _run("failed", 2)
    with pytest.raises(StepOutOfRange) as caught:
        TraceReader(root).row_state(failed, "r1", 3)
    assert "past the last completed operation" in caught.value.message
    assert caught.value.detail == "valid steps: 0, 1, 2"
    # Its history stops there too, even though a later file exists (TR-11, RUN-4).
    assert [e.operation_order for e in TraceReader(root).row_history(failed, "r2")] == [0]


def test_a_run_cancelled_before_its_load_has_no_valid_step(root: str) -> None:
    with pytest.raises(StepOutOfRange) as caught:
        TraceReader(root).row_state(_run("cancelled", None), "r1", 0)
    assert "none" in (caught.value.detail or "")


def test_a_missing_trace_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DataNotFound):
        TraceReader(str(tmp_path)).row_state(_run(), "r1", 0)
