"""A failure in operation 4 of 5 keeps earlier outputs; resuming from the checkpoint
gives exactly the outputs and trace of an uninterrupted Run (D14, RUN-4, RUN-5, RUN-7, TR-11)."""

from pathlib import Path

import polars as pl
import pytest

from dobo_engine.engine.checkpoints import CheckpointStore, step_holding
from dobo_engine.errors import ConnectionFailure, DoboError, InvalidResumePoint
from dobo_engine.harness.memory import MemoryOutputs, MemoryTables
from tests.engine import finance
from tests.engine.finance import project, run

FIVE = """
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
"""


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


def _checkpoints(root: Path, run_id: str = "run-x") -> Path:
    return root / "checkpoints" / f"run_id={run_id}"


def test_resume_refuses_when_the_checkpoint_it_needs_is_gone_RUN_7(tmp_path):
    prj = project(FIVE)
    run(prj, tmp_path, run_id="run-x")
    (_checkpoints(tmp_path) / "operation=3.arrow").unlink()
    with pytest.raises(InvalidResumePoint, match="after operation 3"):  # not a silent resume from operation 1
        run(prj, tmp_path, run_id="run-x", resume_after=3)
    with pytest.raises(InvalidResumePoint):
        CheckpointStore(str(tmp_path / "checkpoints")).verify("run-x", 3)


def test_after_an_output_the_resume_needs_the_checkpoint_before_it_RUN_7(tmp_path):
    prj = project(FIVE)
    run(prj, tmp_path, run_id="run-x")
    assert step_holding(prj.operations, 2) == 1  # an output leaves the frame: operation 1's checkpoint holds it
    (_checkpoints(tmp_path) / "operation=1.arrow").unlink()
    with pytest.raises(InvalidResumePoint, match="after operation 1"):
        run(prj, tmp_path, run_id="run-x", resume_after=2)


@pytest.mark.parametrize("damage", ["truncated", "altered", "metadata gone"])
def test_a_damaged_checkpoint_is_an_invalid_resume_point_not_a_traceback_RUN_7(tmp_path, damage):
    prj = project(FIVE)
    run(prj, tmp_path, run_id="run-x")
    frame_file = _checkpoints(tmp_path) / "operation=1.arrow"
    data = frame_file.read_bytes()
    if damage == "truncated":
        frame_file.write_bytes(data[: len(data) // 2])
    elif damage == "altered":
        frame_file.write_bytes(data[:-20] + bytes(20))
    else:
        frame_file.with_suffix(".json").unlink()
    with pytest.raises(InvalidResumePoint, match="operation 1 of Run run-x is damaged") as err:
        run(prj, tmp_path, run_id="run-x", resume_after=3)  # operation 3's checkpoint builds on operation 1's
    assert err.value.location.file == str(frame_file)
    with pytest.raises(InvalidResumePoint):
        CheckpointStore(str(tmp_path / "checkpoints")).verify("run-x", 3)


def test_a_whole_checkpoint_chain_verifies_and_resumes_RUN_7(tmp_path):
    prj = project(FIVE)
    clean, clean_out = run(prj, tmp_path / "clean", run_id="run-x")
    run(prj, tmp_path / "again", run_id="run-x")
    CheckpointStore(str(tmp_path / "again" / "checkpoints")).verify("run-x", 3)
    resumed, out = run(prj, tmp_path / "again", run_id="run-x", resume_after=3)
    assert [s.order for s in resumed.steps] == [4, 5]
    assert out.frames[5].equals(clean_out.frames[5])


class DownTables(MemoryTables):
    """The budgets table cannot be loaded at all."""

    def load_table(self, dataset, table):
        if dataset.id == "ds-budgets":
            raise ConnectionFailure("budget store unreachable")
        return super().load_table(dataset, table)


def test_under_none_a_failure_leaves_no_checkpoint_and_no_trace_file_D36(tmp_path, monkeypatch):
    monkeypatch.setattr(finance, "MemoryTables", DownTables)
    outputs, steps = MemoryOutputs(), []
    with pytest.raises(DoboError) as err:
        run(project(FIVE), tmp_path, run_id="run-x", outputs=outputs, steps=steps, checkpoints="none")
    assert err.value.code == "ConnectionFailure" and err.value.location.operation_order == 4
    assert [s.order for s in steps] == [0, 1, 2, 3]  # every step is still reported
    assert 2 in outputs.frames  # an output written before the failure stays (D14)
    assert not (tmp_path / "checkpoints").exists() and not (tmp_path / "trace").exists()


def test_under_none_a_failing_trace_write_leaves_no_trace_file_D36_TR_1(tmp_path, monkeypatch):
    from dobo_engine.trace.store import TraceWriter

    real = TraceWriter.write

    def third_fails(self, run_id, order, *args, **kwargs):
        if order == 3:
            raise OSError("disk full")
        return real(self, run_id, order, *args, **kwargs)

    monkeypatch.setattr(TraceWriter, "write", third_fails)
    with pytest.raises(DoboError, match="disk full") as err:
        run(project(FIVE), tmp_path, run_id="run-x", checkpoints="none")
    assert err.value.location.operation_order == 3
    assert list((tmp_path / "trace").rglob("*.parquet")) == []


def test_under_none_the_outputs_and_trace_equal_those_under_operations_D36(tmp_path):
    prj = project(FIVE)
    durable, durable_out = run(prj, tmp_path / "operations", run_id="run-x")
    lean, lean_out = run(prj, tmp_path / "none", run_id="run-x", checkpoints="none")

    def counts(steps):
        return [(s.order, s.type, s.rows_in, s.rows_changed, s.rows_created, s.rows_deleted) for s in steps]

    assert counts(lean.steps) == counts(durable.steps)  # the plan's side outputs count what each step did
    assert [s.trace_file is None for s in lean.steps] == [s.trace_file is None for s in durable.steps]
    assert all(lean_out.frames[n].equals(durable_out.frames[n]) for n in (2, 5))
    assert _files(tmp_path / "none" / "trace") == _files(tmp_path / "operations" / "trace")
    assert not (tmp_path / "none" / "checkpoints").exists()


AGGREGATE_THEN_UPDATE = """
project:
  id: prj-agg-resume
  name: aggregate, then resume
  input_dataset_id: ds-gl
  materialization: eager
  operations:
    - order: 1
      type: aggregate
      parameters:
        group_by: [account_code]
        aggregations: [{column: total, expression: 'SUM(amount_local)'}, {column: lines, expression: 'COUNT_ALL()'}]
    - order: 2
      type: update
      selector: 'NOT ISNULL(lines)'
      parameters: {assignments: [{column: description, expression: 'CONCAT("total of ", account_code)'}]}
    - {order: 3, type: output, parameters: {destination: default, include_deleted: true}}
"""


def test_an_aggregate_checkpoint_holds_only_its_new_rows_and_resumes_exactly_RUN_4_RUN_7(tmp_path):
    prj = project(AGGREGATE_THEN_UPDATE)
    clean, clean_out = run(prj, tmp_path / "clean", run_id="run-a")
    created = next(s for s in clean.steps if s.order == 1).rows_created
    store = CheckpointStore(str(tmp_path / "clean" / "checkpoints"))
    # The columns the aggregate adds are NULL on the existing rows: not stored for them.
    stored = pl.read_ipc(store.path("run-a", 1))
    assert stored.height == created > 0
    resumed_from = store.load("run-a", 1, expect_step=1)
    outputs = MemoryOutputs()
    resumed, _ = run(prj, tmp_path / "clean", run_id="run-a", outputs=outputs, resume_after=1)
    assert [s.order for s in resumed.steps] == [2, 3]
    assert outputs.frames[3].equals(clean_out.frames[3])
    frame = resumed_from.data
    assert frame.schema["total"] == clean_out.frames[3].schema["total"]
    assert frame.head(frame.height - created)["total"].null_count() == frame.height - created  # NULL on old rows
