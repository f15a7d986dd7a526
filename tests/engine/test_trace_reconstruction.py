"""The trace rebuilds every row after every step exactly as the engine held it
(trace.md §4, TR-2..TR-9, RUN-4)."""

import polars as pl
import pytest

from dobo_engine.engine.checkpoints import CheckpointStore
from dobo_engine.errors import RowNotFound
from dobo_engine.io.row_ids import readable_row_ids
from dobo_engine.trace.reader import TraceReader
from dobo_engine.trace.runinfo import RunInfo
from tests.engine.finance import CLOCK, project, run

SIX = """
project:
  id: prj-six
  name: six steps
  input_dataset_id: ds-gl
  materialization: eager
  operations:
    - order: 1
      type: update
      parameters:
        joins: [ { alias: fx, dataset_id: ds-fx, on: 'transactions.currency = fx.from_currency AND fx.to_currency = "USD" AND fx.rate_type = "closing"' } ]
        assignments: [ { column: amount_reporting, expression: 'amount_local * fx.rate' } ]
    - order: 2
      type: update
      parameters: { assignments: [ { column: account_type, expression: 'accounts.type' }, { column: _labels.src, expression: 'LOWER(source_system)' } ] }
    - { order: 3, type: delete, selector: 'account_type = "liability"' }
    - order: 4
      type: aggregate
      parameters: { group_by: [account_type], aggregations: [ { column: amount_reporting, expression: 'SUM(amount_reporting)' } ] }
    - { order: 5, type: output, parameters: { destination: default, include_deleted: true } }
    - order: 6
      type: update
      selector: 'ISNULL(journal_id)'
      parameters: { assignments: [ { column: description, expression: 'CONCAT("total ", account_type)' } ] }
"""


def test_rebuilt_state_of_every_row_after_every_step_equals_the_engine_frame(tmp_path):
    prj = project(SIX)
    run(prj, tmp_path, run_id="run-six")
    checkpoints = CheckpointStore(str(tmp_path / "checkpoints"))
    reader = TraceReader(str(tmp_path / "trace"))
    info = RunInfo(
        "run-six", "completed", CLOCK, {op.order: op.type for op in prj.operations}, last_completed_operation=6
    )
    compared = 0
    for step in [0, 1, 2, 3, 4, 5, 6]:
        # Checkpoints keep the engine's compact ids (D37); the trace reads back their text.
        loaded = checkpoints.load("run-six", step)
        held = readable_row_ids(loaded.data.select(loaded.working_columns))
        for row in held.to_dicts():
            state = reader.row_state(info, row["_row_id"], step)
            assert {k: state.get(k) for k in row} == row, (step, row["_row_id"])
            compared += 1
    assert compared == 10 * 4 + 13 * 3  # three account types survive the delete


def test_row_created_later_is_not_found_at_an_earlier_step(tmp_path):
    prj = project(SIX)
    run(prj, tmp_path, run_id="run-six")
    summary_id = readable_row_ids(CheckpointStore(str(tmp_path / "checkpoints")).load("run-six", 4).data)["_row_id"][-1]
    info = RunInfo("run-six", "completed", CLOCK, {op.order: op.type for op in prj.operations}, 6)
    with pytest.raises(RowNotFound):
        TraceReader(str(tmp_path / "trace")).row_state(info, summary_id, 3)


def test_each_operation_writes_one_file_and_output_none_D17_TR_6(tmp_path):
    outcome, _ = run(project(SIX), tmp_path, run_id="run-six")
    files = sorted(p.name for p in (tmp_path / "trace" / "run_id=run-six").iterdir())
    assert files == [f"operation={n}.parquet" for n in (0, 1, 2, 3, 4, 6)]
    assert pl.read_parquet(tmp_path / "trace/run_id=run-six/operation=3.parquet").height == 2
