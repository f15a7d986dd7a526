"""A failure in operation 4 of 5 keeps earlier outputs; resuming from the checkpoint
gives exactly the outputs and trace of an uninterrupted Run (D14, RUN-4, RUN-5, RUN-7, TR-11)."""

from pathlib import Path

import pytest

from dobo_engine.errors import ConnectionFailure, DoboError
from dobo_engine.harness.memory import MemoryOutputs, MemoryTables
from tests.engine import finance
from tests.engine.finance import project, run

FIVE = '''
project:
  id: prj-five
  name: five
  input_dataset_id: ds-gl
  materialization: eager
  operations:
    - order: 1
      type: update
      parameters:
        joins: [ { alias: fx, dataset_id: ds-fx, on: 'transactions.currency = fx.from_currency AND fx.to_currency = "USD" AND fx.rate_type = "closing"' } ]
        assignments: [ { column: amount_reporting, expression: 'amount_local * fx.rate' } ]
    - { order: 2, type: output, parameters: { destination: default } }
    - { order: 3, type: delete, selector: 'accounts.type = "liability"' }
    - order: 4
      type: append
      parameters:
        source: { dataset_id: ds-budgets }
        aggregation: { group_by: [currency], aggregations: [ { column: amount_local, expression: 'SUM(amount)' } ] }
    - { order: 5, type: output, parameters: { destination: default, include_deleted: true } }
'''


class FlakyTables(MemoryTables):
    """Fails the first load of the budgets table, as a lost connection would."""

    failed = False

    def load_table(self, dataset, table):
        if dataset.id == "ds-budgets" and not FlakyTables.failed:
            FlakyTables.failed = True
            raise ConnectionFailure("budget store unreachable")
        return super().load_table(dataset, table)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def test_failed_run_resumes_to_the_same_outputs_and_trace(tmp_path, monkeypatch):
    prj = project(FIVE)
    clean, clean_out = run(prj, tmp_path / "clean", run_id="run-x")

    monkeypatch.setattr(finance, "MemoryTables", FlakyTables)
    FlakyTables.failed = False
    outputs, steps = MemoryOutputs(), []
    with pytest.raises(DoboError) as err:
        run(prj, tmp_path / "broken", run_id="run-x", outputs=outputs, steps=steps)
    assert err.value.code == "ConnectionFailure" and err.value.location.operation_order == 4
    assert [s.order for s in steps] == [0, 1, 2, 3]  # last_completed_operation would be 3
    assert 2 in outputs.frames and 5 not in outputs.frames  # the output of operation 2 stays

    resumed, _ = run(prj, tmp_path / "broken", run_id="run-x", outputs=outputs, resume_after=3)
    assert [s.order for s in resumed.steps] == [4, 5]
    assert outputs.frames[5].equals(clean_out.frames[5])
    assert outputs.frames[2].equals(clean_out.frames[2])
    assert _files(tmp_path / "broken" / "trace") == _files(tmp_path / "clean" / "trace")
