"""An output written by its caller (prepare, write, finish) is the output `run_operation` writes
(OP-OUT-1, OP-OUT-3, RUN-4, LK-6): the same rows, the same step report, reported only when finished."""

from dataclasses import replace
from pathlib import Path

import polars as pl

from dobo_engine.engine.pipeline import Executor, StepReport
from dobo_engine.engine.working import WorkingFrame
from dobo_engine.harness.memory import MemoryTables
from dobo_engine.model.operations import OutputOperation
from tests.engine.finance import executor, project

PROJECT = """
project:
  id: prj-two-outputs
  name: two outputs
  input_dataset_id: ds-gl
  materialization: {mat}
  operations:
    - order: 1
      type: update
      parameters: {{ assignments: [ {{ column: account_type, expression: 'accounts.type' }} ] }}
    - {{ order: 2, type: output, parameters: {{ destination: default, columns: [_row_id, journal_id, account_type] }} }}
    - {{ order: 3, type: delete, selector: 'accounts.type = "liability"' }}
    - {{ order: 4, type: output, parameters: {{ destination: default, include_deleted: true }} }}
"""


class CountingTables(MemoryTables):
    """Counts the tables loaded, to see what finishing an output reads."""

    loads = 0

    def load_table(self, dataset, table):  # type: ignore[no-untyped-def]
        CountingTables.loads += 1
        return super().load_table(dataset, table)


def _comparable(step: StepReport) -> StepReport:
    """A report without what differs between two executions: the time, the trace folder."""
    return replace(step, seconds=0.0, trace_file=Path(step.trace_file).name if step.trace_file else None)


def _files(root: Path) -> dict[str, pl.DataFrame]:
    """The checkpoint and trace files under `root`, read (their bytes may differ in layout)."""
    read = {".arrow": pl.read_ipc, ".parquet": pl.read_parquet}
    return {str(p.relative_to(root)): read[p.suffix](p) for p in sorted(root.rglob("*")) if p.suffix in read}


def _by_the_caller(engine: Executor, reports: list[StepReport]) -> None:
    """Every operation in turn, each output prepared, written with the Run's writer, then finished."""
    working: WorkingFrame = engine.load()
    for op in engine.operations():
        if not isinstance(op, OutputOperation):
            working, _ = engine.run_operation(op, working)
            continue
        request = engine.prepare_output(op, working)
        reported = len(reports)
        written = request.write_with(engine.ctx.outputs)
        assert len(reports) == reported  # nothing reported before the caller finishes the step (RUN-4)
        step = engine.finish_output(op, working, written)
        assert reports[-1] == step and step.write == written


def test_prepare_write_and_finish_give_the_output_and_report_of_run_operation_OP_OUT_1_RUN_4(tmp_path):
    prj = project(PROJECT.format(mat="eager"))
    engine_steps: list[StepReport] = []
    engine, engine_out = executor(prj, tmp_path / "engine", steps=engine_steps)
    working = engine.load()
    for op in engine.operations():
        working, _ = engine.run_operation(op, working)

    caller_steps: list[StepReport] = []
    caller, caller_out = executor(prj, tmp_path / "caller", steps=caller_steps)
    _by_the_caller(caller, caller_steps)

    assert engine_out.frames.keys() == caller_out.frames.keys() == {2, 4}
    for order in (2, 4):
        assert caller_out.frames[order].equals(engine_out.frames[order])
    assert [_comparable(s) for s in caller_steps] == [_comparable(s) for s in engine_steps]
    caller_files, engine_files = _files(tmp_path / "caller"), _files(tmp_path / "engine")
    assert caller_files.keys() == engine_files.keys()  # the same checkpoints and trace files
    assert {"trace/run_id=run-1/operation=1.parquet", "checkpoints/run_id=run-1/operation=3.arrow"} <= set(caller_files)
    assert all(caller_files[name].equals(engine_files[name]) for name in caller_files)


def test_an_output_finished_by_another_executor_of_the_run_loads_no_table_LK_6(tmp_path):
    """As a Dagster IO manager does: the op prepares the rows, a fresh engine of the Run writes and finishes."""
    prj = project(PROJECT.format(mat="runtime"))
    op_engine, _ = executor(prj, tmp_path, tables=CountingTables)
    working = op_engine.load()
    working, _ = op_engine.run_operation(op_engine.operations()[0], working)
    output = op_engine.operations()[1]
    assert isinstance(output, OutputOperation)
    request = op_engine.prepare_output(output, working)

    steps: list[StepReport] = []
    writer, outputs = executor(prj, tmp_path, steps=steps, tables=CountingTables)
    loaded = CountingTables.loads
    step = writer.finish_output(output, working, request.write_with(writer.ctx.outputs))
    assert CountingTables.loads == loaded  # the runtime lookups are not loaded again for rows already written
    assert steps == [step] and step.order == 2 and step.write is not None
    assert outputs.frames[2].height == step.rows_in > 0
