"""Row ids inside a Run's plan (D37, D36): compact, built only when something reads them, text when read."""

import uuid

import polars as pl
import pytest

import dobo_engine.io.row_ids as row_ids
from dobo_engine.engine.checkpoints import CheckpointStore
from dobo_engine.io.row_ids import readable_row_ids
from tests.engine.finance import project, run

PLAN = """
project:
  id: prj-ids
  name: ids
  input_dataset_id: ds-gl
  materialization: eager
  operations:
    - order: 1
      type: update
      parameters: {{ assignments: [ {{ column: description, expression: 'CONCAT("line ", journal_id)' }} ] }}
    - {{ order: 2, type: delete, selector: 'amount_local < 0' }}
    - {{ order: 3, type: output, parameters: {{ destination: default, columns: [{columns}] }} }}
"""


@pytest.fixture
def id_batches(monkeypatch):
    """Counts the batches of loaded-row ids the engine builds (the one place compact ids are made)."""
    calls: list[int] = []
    build = row_ids._compact_ids

    def counted(h1: pl.Series, ms: int) -> pl.Series:
        calls.append(h1.len())
        return build(h1, ms)

    monkeypatch.setattr(row_ids, "_compact_ids", counted)
    return calls


def test_no_row_id_is_built_when_nothing_reads_it_D37_D36(tmp_path, id_batches):
    _, outputs = run(project(PLAN.format(columns="journal_id, description")), tmp_path, trace=False, checkpoints="none")
    assert outputs.frames[3].height > 0
    assert id_batches == []  # projection pushdown dropped `_row_id` from the plan


def test_row_ids_are_built_when_an_output_reads_them_and_written_as_text_D37(tmp_path, id_batches):
    _, outputs = run(project(PLAN.format(columns="journal_id, _row_id")), tmp_path, trace=False, checkpoints="none")
    written = outputs.frames[3]
    assert id_batches and written.schema["_row_id"] == pl.Utf8
    assert all(uuid.UUID(text).version == 7 and str(uuid.UUID(text)) == text for text in written["_row_id"])


def test_output_trace_and_checkpointed_run_agree_on_row_id_text_D37_D36(tmp_path):
    prj = project(PLAN.format(columns="journal_id, line_number, _row_id"))
    _, plan_outputs = run(prj, tmp_path / "plan", trace=True, checkpoints="none", run_id="run-ids")
    _, step_outputs = run(prj, tmp_path / "steps", trace=True, checkpoints="operations", run_id="run-ids")
    assert plan_outputs.frames[3].equals(step_outputs.frames[3])
    loaded = pl.read_parquet(tmp_path / "plan/trace/run_id=run-ids/operation=0.parquet")
    assert loaded.schema["row_id"] == pl.Utf8 and loaded["row_id"].is_sorted()  # TR-10 on the text
    assert loaded["row_id"].equals(loaded["after"].struct.field("_row_id"), check_names=False)
    kept = set(plan_outputs.frames[3]["_row_id"])
    assert kept < set(loaded["row_id"])  # deleted rows are not written, every written id was loaded


def test_a_checkpoint_saved_with_text_row_ids_resumes_with_the_same_ids_D37_RUN_7(tmp_path):
    """A Run checkpointed while ids were held as text goes on with the same 128-bit ids."""
    run(project(PLAN.format(columns="journal_id, _row_id")), tmp_path, trace=False, checkpoints="operations")
    store = CheckpointStore(str(tmp_path / "checkpoints"))
    compact = store.load("run-1", 1)
    as_text = compact.with_frame(readable_row_ids(compact.data))
    assert as_text.data.schema["_row_id"] == pl.Utf8
    store.save("run-old", 0, as_text)
    resumed = store.load("run-old", 0)
    assert resumed.data.schema["_row_id"] == row_ids.ROW_ID_DTYPE
    assert resumed.data.equals(compact.data)
