"""Round trip (trace.md §4): the trace rebuilds every row after every step exactly.

The test runs a six-step pipeline with plain Polars code (load, update with a
new column, delete, aggregate, update incl. `_labels`, output), writes each
step's trace with the builders, then checks that `row_state` of every row
after every step equals the frame the test held after that step.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dobo_engine.errors import RowNotFound
from dobo_engine.trace import (
    OLD_PREFIX,
    RunInfo,
    TraceReader,
    TraceWriter,
    changed_mask,
    created_events,
    deleted_events,
    updated_events,
)

RUN = "run-rt"
CLOCK = datetime(2024, 4, 2, 6, 30, 15, 123456, tzinfo=UTC)
LOADED_AT = datetime(2024, 1, 1, tzinfo=UTC)
LABELS = pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8}))
DEC = pl.Decimal(38, 6)
TS = pl.Datetime("us", "UTC")
STEPS = {10: "update", 20: "delete", 30: "aggregate", 40: "update", 50: "output"}
LABEL_CHOICES = [[], [{"key": "src", "value": "gl"}], [{"key": "k", "value": "x"}]]


def _load(
    accounts: list[str], amounts: list[Decimal | None], qtys: list[int | None], labels: list[int]
) -> pl.DataFrame:
    n = len(accounts)
    return pl.DataFrame(
        {
            "_row_id": [f"r{i:04d}" for i in range(n)],
            "_deleted": [False] * n,
            "_created_at": [LOADED_AT] * n,
            "_updated_at": [LOADED_AT] * n,
            "_period": ["2024-03"] * n,
            "_labels": [LABEL_CHOICES[i] for i in labels],
            "account": accounts,
            "amount": amounts,
            "qty": qtys,
        },
        schema={
            "_row_id": pl.Utf8,
            "_deleted": pl.Boolean,
            "_created_at": TS,
            "_updated_at": TS,
            "_period": pl.Utf8,
            "_labels": LABELS,
            "account": pl.Utf8,
            "amount": DEC,
            "qty": pl.Int64,
        },
    )


def _apply_update(frame: pl.DataFrame, new_values: dict[str, pl.Expr], order: int, writer: TraceWriter) -> pl.DataFrame:
    """An update as the engine does it: new values side by side, diff, `_updated_at` on changed rows."""

    targets = list(new_values)
    staged = frame.with_columns(
        *(pl.col(c).alias(OLD_PREFIX + c) for c in targets if c in frame.columns),
        *(
            pl.lit(None, dtype=expr_dtype).alias(OLD_PREFIX + c)
            for c, expr_dtype in _new_column_types(frame, new_values).items()
        ),
    ).with_columns(**new_values)
    after = staged.with_columns(
        pl.when(changed_mask(targets))
        .then(pl.lit(CLOCK, dtype=TS))
        .otherwise(pl.col("_updated_at"))
        .alias("_updated_at")
    ).drop([OLD_PREFIX + c for c in targets])
    events = updated_events(frame.lazy(), after.lazy(), targets, run_id=RUN, operation_order=order)
    writer.write(RUN, order, "update", events, after.schema)
    return after


def _new_column_types(frame: pl.DataFrame, new_values: dict[str, pl.Expr]) -> dict[str, pl.DataType]:
    schema = frame.lazy().with_columns(**new_values).collect_schema()
    return {c: schema[c] for c in new_values if c not in frame.columns}


def _pipeline(load: pl.DataFrame, writer: TraceWriter) -> dict[int, pl.DataFrame]:
    frames: dict[int, pl.DataFrame] = {}
    visible = ~pl.col("_deleted")

    # 0 load (TR-2)
    frame = load
    writer.write(
        RUN, 0, "load", created_events(frame.lazy(), run_id=RUN, operation_order=0, operation_type="load"), frame.schema
    )
    frames[0] = frame

    # 10 update: amount on A* rows (8500.00 x 1.0920 = 9282.00, exact) and a new column.
    frame = _apply_update(
        frame,
        {
            "amount": pl.when(visible & pl.col("account").str.starts_with("A"))
            .then((pl.col("amount") * pl.lit(Decimal("1.0920"))).cast(DEC))
            .otherwise(pl.col("amount")),
            "category": pl.when(visible & (pl.col("qty") > 5))
            .then(pl.lit("big"))
            .otherwise(pl.lit(None, dtype=pl.Utf8)),
        },
        10,
        writer,
    )
    frames[10] = frame

    # 20 delete: visible rows with no or a small quantity.
    flagged = visible & (pl.col("qty").is_null() | (pl.col("qty") < 2))
    events = deleted_events(frame.lazy().filter(flagged), run_id=RUN, operation_order=20)
    frame = frame.with_columns(
        pl.when(flagged).then(pl.lit(CLOCK, dtype=TS)).otherwise(pl.col("_updated_at")).alias("_updated_at"),
        (pl.col("_deleted") | flagged).alias("_deleted"),
    )
    writer.write(RUN, 20, "delete", events, frame.schema)
    frames[20] = frame

    # 30 aggregate: one summary row per account (first-appearance order), a new column `total`.
    groups = (
        frame.filter(visible)
        .group_by("account", maintain_order=True)
        .agg(pl.col("amount").sum().cast(DEC).alias("total"))
    )
    summary = groups.with_columns(
        pl.format("s{}", pl.int_range(pl.len()).cast(pl.Utf8).str.zfill(4)).alias("_row_id"),
        pl.lit(False).alias("_deleted"),
        pl.lit(CLOCK, dtype=TS).alias("_created_at"),
        pl.lit(CLOCK, dtype=TS).alias("_updated_at"),
        pl.lit("2024-03").alias("_period"),
        pl.lit([], dtype=LABELS).alias("_labels"),
    )
    frame = pl.concat([frame.with_columns(pl.lit(None, dtype=DEC).alias("total")), summary], how="diagonal_relaxed")
    new_rows = frame.filter(pl.col("_row_id").is_in(summary["_row_id"].implode()))
    writer.write(
        RUN,
        30,
        "aggregate",
        created_events(new_rows.lazy(), run_id=RUN, operation_order=30, operation_type="aggregate"),
        frame.schema,
    )
    frames[30] = frame

    # 40 update: qty + 1 on B rows (NULL stays NULL on summary rows), an unchanged
    # re-assignment of `category`, and `_labels.k <- "x"` on rows with an amount.
    set_label = (
        pl.col("_labels")
        .list.filter(pl.element().struct.field("key") != "k")
        .list.concat(pl.lit([{"key": "k", "value": "x"}], dtype=LABELS))
    )
    frame = _apply_update(
        frame,
        {
            "qty": pl.when(visible & (pl.col("account") == "B")).then(pl.col("qty") + 1).otherwise(pl.col("qty")),
            "category": pl.col("category"),
            "_labels": pl.when(visible & pl.col("amount").is_not_null()).then(set_label).otherwise(pl.col("_labels")),
        },
        40,
        writer,
    )
    frames[40] = frame

    # 50 output: writes data elsewhere and no trace file (TR-6).
    frames[50] = frame
    return frames


def _check_round_trip(load: pl.DataFrame, root: str) -> None:
    writer = TraceWriter(root)
    frames = _pipeline(load, writer)
    run = RunInfo(RUN, "completed", CLOCK, STEPS, last_completed_operation=50)
    reader = TraceReader(root)
    final_ids = frames[50]["_row_id"].to_list()
    for step, frame in frames.items():
        expected = {row["_row_id"]: row for row in frame.to_dicts()}
        for row_id in final_ids:
            if row_id not in expected:
                with pytest.raises(RowNotFound):
                    reader.row_state(run, row_id, step)
                continue
            state = reader.row_state(run, row_id, step)
            assert list(state) == frame.columns, (step, row_id)
            assert state == expected[row_id], (step, row_id)
    # The history's states are the same frames, at the steps where the row changed.
    for row_id in final_ids:
        for entry in reader.row_history(run, row_id):
            row = frames[entry.operation_order].filter(pl.col("_row_id") == row_id).to_dicts()[0]
            assert entry.state == row


amounts = st.one_of(
    st.none(), st.integers(-(10**9), 10**9).map(lambda c: Decimal(c).scaleb(-2)), st.just(Decimal("8500.00"))
)
row = st.tuples(st.sampled_from(["A1", "A2", "B"]), amounts, st.one_of(st.none(), st.integers(0, 9)), st.integers(0, 2))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, min_size=1, max_size=12))
def test_trace_round_trip_rebuilds_every_row_after_every_step(rows: list[tuple]) -> None:
    accounts, values, qtys, labels = (list(col) for col in zip(*rows))
    load = _load(accounts, values, qtys, labels)
    with tempfile.TemporaryDirectory() as root:
        _check_round_trip(load, root)


def test_trace_round_trip_fixed_example(tmp_path) -> None:
    load = _load(
        ["A1", "B", "A2", "B", "A1"],
        [Decimal("8500.00"), None, Decimal("3.5"), Decimal("7"), None],
        [7, 1, None, 3, 9],
        [0, 1, 2, 2, 0],
    )
    _check_round_trip(load, str(tmp_path))
    reader = TraceReader(str(tmp_path))
    run = RunInfo(RUN, "completed", CLOCK, STEPS, last_completed_operation=50)
    history = reader.row_history(run, "r0000")
    assert [(e.operation_order, e.change_type) for e in history] == [(0, "created"), (10, "updated"), (40, "updated")]
    assert history[1].before == {"amount": Decimal("8500.00"), "category": None}
    assert history[1].after == {"amount": Decimal("9282.00"), "category": "big"}
    assert history[2].after == {"_labels": [{"key": "k", "value": "x"}]}  # TR-4: qty/category unchanged
    assert "category" not in reader.row_state(run, "r0000", 0)  # not a column yet at step 0
    # A new column left NULL: no event (TR-4), NULL from the step schema (§4 step 2).
    assert [e.operation_order for e in reader.row_history(run, "r0003")] == [0, 40]
    assert reader.row_state(run, "r0003", 10)["category"] is None
    # Deleted at step 20: flag set and `_updated_at` moved to the Run clock (§4 steps 3-4).
    deleted = reader.row_state(run, "r0001", 20)
    assert deleted["_deleted"] is True and deleted["_updated_at"] == CLOCK
    assert reader.row_state(run, "r0001", 10)["_updated_at"] == LOADED_AT
