"""A Run under `checkpoints: none` is one plan read in one pass (D36).

The input is counted where the plan reads it: every row of the loaded table
passes through the plan once, however many operations, outputs, counts and
trace events read the frames built on it, plus once through the load's own
row count. That count stays a query of its own: shared with the plan, the
streaming engine buffered the whole input for the slower readers (a 50M-row
Run's peak went from 1.2 to 4.3 GB).
"""

from __future__ import annotations

import polars as pl
import pytest

from dobo_engine.harness.memory import MemoryTables
from dobo_engine.model.dataset import Dataset, TableRef
from tests.engine.finance import project, run, sample_rows

SUMMARY_AND_ROWS = """
project:
  id: prj-one-pass
  name: one pass
  input_dataset_id: ds-gl
  materialization: eager
  operations:
    - order: 1
      type: update
      parameters: {assignments: [{column: band, expression: 'IF(ABS(amount_local) > 1000, "large", "small")'}]}
    - {order: 2, type: delete, selector: 'ISNULL(cost_center_code)'}
    - order: 3
      type: aggregate
      parameters:
        group_by: [account_code]
        aggregations: [{column: total, expression: 'SUM(amount_local)'}, {column: lines, expression: 'COUNT_ALL()'}]
    - {order: 4, type: output, selector: 'NOT ISNULL(lines)', parameters: {destination: default, columns: [account_code, total, lines]}}
    - {order: 5, type: output, parameters: {destination: default, columns: [journal_id, band, account_code, total, _row_id]}}
"""


class CountedTables(MemoryTables):
    """Serves the sample and counts the main table's rows as the plan reads them."""

    read: list[int] = []

    def load_table(self, dataset: Dataset, table: TableRef) -> pl.LazyFrame:
        frame = super().load_table(dataset, table)
        if table.name != "transactions":
            return frame

        def count(batch: pl.DataFrame) -> pl.DataFrame:
            CountedTables.read.append(batch.height)
            return batch

        return frame.map_batches(count, streamable=True, schema=frame.collect_schema())


@pytest.mark.parametrize("trace", [False, True], ids=["trace off", "trace on"])
def test_the_input_is_read_once_however_many_queries_read_the_plan_D36(tmp_path, trace):
    CountedTables.read = []
    outcome, outputs = run(project(SUMMARY_AND_ROWS), tmp_path, trace=trace, checkpoints="none", tables=CountedTables)
    loaded = sample_rows()[("ds-gl", "transactions")].height
    # The plan once, the load's row count once: not again for the totals, each output and each step's count.
    assert sum(CountedTables.read) == 2 * loaded
    reports = {s.order: s for s in outcome.steps}
    assert reports[3].rows_created == outputs.frames[4].height > 0  # counted in the same pass
    assert outputs.frames[5].height == reports[4].rows_in  # the visible rows, summary rows included


def test_one_pass_and_step_by_step_write_the_same_rows_D36(tmp_path):
    _, plan = run(project(SUMMARY_AND_ROWS), tmp_path / "plan", checkpoints="none", run_id="run-same")
    _, steps = run(project(SUMMARY_AND_ROWS), tmp_path / "steps", checkpoints="operations", run_id="run-same")
    for order in (4, 5):
        assert plan.frames[order].equals(steps.frames[order])
