"""FX conversion on the finance sample gives the spec's exact numbers (entities.md §8)."""

from decimal import Decimal

import polars as pl

from tests.engine.finance import project, run

FX = """
project:
  id: prj-fx
  name: FX
  input_dataset_id: ds-gl
  materialization: eager
  operations:
    - order: 1
      type: update
      parameters:
        joins:
          - alias: fx
            dataset_id: ds-fx
            on: 'transactions.currency = fx.from_currency AND fx.to_currency = "USD" AND fx.rate_type = "closing"'
        assignments:
          - { column: amount_reporting, expression: 'transactions.amount_local * fx.rate' }
    - order: 2
      type: output
      parameters:
        destination: default
        columns: [journal_id, line_number, currency, amount_reporting]
"""


def test_closing_rate_conversion_is_exact_to_the_cent_D4(tmp_path):
    outcome, outputs = run(project(FX), tmp_path)
    out = outputs.frames[2]
    got = {(r["journal_id"], r["line_number"]): r["amount_reporting"] for r in out.to_dicts()}
    assert got[("JE-002", 1)] == Decimal("9282.00")
    assert got[("JE-002", 2)] == Decimal("-9282.00")
    assert got[("JE-003", 1)] == Decimal("27962.00")
    assert got[("JE-005", 2)] == Decimal("16800.00")
    assert got[("JE-001", 1)] == Decimal("15000.00")
    assert out.schema["amount_reporting"] == pl.Decimal(18, 2)


def test_recomputing_an_equal_value_is_no_update_TR_4(tmp_path):
    outcome, _ = run(project(FX), tmp_path)
    update = outcome.steps[0]
    assert update.rows_changed == 6
    events = pl.read_parquet(update.trace_file)
    assert events.height == 6
