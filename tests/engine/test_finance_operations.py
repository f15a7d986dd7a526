"""Each operation type on the finance sample, with the numbers worked out by hand.

Rule ids: OP-UPD-1/5/8, OP-DEL-2, OP-AGG-3/5, OP-APP-4/7, OP-OUT-2/3, LK-1/6, D20, TMP-1/2/3, PRJ-3.
"""

from datetime import date
from decimal import Decimal

import polars as pl

from tests.engine.finance import MONTHS, QUARTER, project, run, sample_rows

HEAD = """
project:
  id: prj-t
  name: T
  input_dataset_id: ds-gl
  materialization: {mat}
  selectors: {{ EMEA_ONLY: 'cost_centers.region = "EMEA"' }}
  operations:
"""


def make(ops: str, mat: str = "eager"):
    return project(HEAD.format(mat=mat) + ops)


def rows_of(frame: pl.DataFrame, *cols: str) -> list[tuple]:
    return [tuple(r[c] for c in cols) for r in frame.to_dicts()]


def test_markup_by_named_selector_over_a_lookup_PRJ_3_OP_UPD_5(tmp_path):
    prj = make("""
    - order: 1
      type: update
      selector: '{{EMEA_ONLY}} AND amount_local > 0'
      parameters:
        assignments:
          - { column: marked_up, expression: 'ROUND(amount_local * 1.05, 2)' }
    - { order: 2, type: output, parameters: { destination: default, columns: [journal_id, line_number, marked_up] } }
""")
    _, out = run(prj, tmp_path)
    got = {(j, n): v for j, n, v in rows_of(out.frames[2], "journal_id", "line_number", "marked_up")}
    assert got[("JE-002", 1)] == Decimal("8925.00")  # CC-200 is EMEA
    assert got[("JE-002", 2)] is None  # negative amount: not selected, new column NULL
    assert got[("JE-003", 1)] == Decimal("23100.00")
    assert got[("JE-001", 1)] is None  # AMER
    assert out.frames[2].schema["marked_up"] == pl.Decimal(38, 6)


def test_delete_by_lookup_flag_hides_rows_from_later_operations_OP_DEL_2_ROW_7(tmp_path):
    prj = make("""
    - { order: 1, type: delete, selector: 'accounts.type = "liability"' }
    - { order: 2, type: output, parameters: { destination: default, columns: [journal_id, line_number] } }
    - { order: 3, type: output, parameters: { destination: default, include_deleted: true, columns: [journal_id, line_number, _deleted] } }
""")
    outcome, out = run(prj, tmp_path)
    assert outcome.steps[0].rows_deleted == 2  # the two AP lines on account 2100
    assert out.frames[2].height == 8
    everything = out.frames[3]
    assert everything.height == 10
    assert sorted(rows_of(everything.filter(pl.col("_deleted")), "journal_id", "line_number")) == [
        ("JE-002", 2),
        ("JE-004", 2),
    ]


def test_aggregate_by_account_type_appends_summary_rows_in_first_seen_order_OP_AGG_3_OP_AGG_5(tmp_path):
    prj = make("""
    - order: 1
      type: update
      parameters: { assignments: [ { column: account_type, expression: 'accounts.type' } ] }
    - order: 2
      type: aggregate
      selector: 'currency = "USD"'
      parameters:
        group_by: [account_type]
        aggregations:
          - { column: total_local, expression: 'SUM(amount_local)' }
          - { column: line_count, expression: 'COUNT_ALL()' }
    - { order: 3, type: output, selector: 'ISNULL(journal_id)', parameters: { destination: default } }
""")
    outcome, out = run(prj, tmp_path)
    summary = out.frames[3]
    assert rows_of(summary, "account_type", "total_local", "line_count") == [
        ("revenue", Decimal("15000.00"), 1),
        ("asset", Decimal("15000.00"), 1),
        ("expense", Decimal("3200.00"), 1),
        ("liability", Decimal("-3200.00"), 1),
    ]
    assert summary["_created_by_project_id"].to_list() == ["prj-t"] * 4
    assert summary["_period"].to_list() == ["2026-01"] * 4
    assert outcome.steps[1].rows_created == 4


def test_budget_append_with_a_columns_mapping_OP_APP_7(tmp_path):
    prj = make("""
    - order: 1
      type: append
      parameters:
        source: { dataset_id: ds-budgets }
        source_selector: 'budget_type = "original"'
        columns:
          account_code: account_code
          cost_center_code: cost_center_code
          currency: currency
          amount_local: amount
          description: 'CONCAT("Budget ", budget_id)'
    - { order: 2, type: output, selector: 'ISNULL(journal_id)', parameters: { destination: default, columns: [account_code, currency, amount_local, description, _source_dataset_id] } }
""")
    outcome, out = run(prj, tmp_path)
    assert rows_of(out.frames[2], "account_code", "amount_local", "description", "_source_dataset_id") == [
        ("4100", Decimal("20000.00"), "Budget BUD-001", "ds-budgets"),
        ("5100", Decimal("10000.00"), "Budget BUD-001", "ds-budgets"),
        ("4200", Decimal("25000.00"), "Budget BUD-001", "ds-budgets"),
        ("5200", Decimal("5000.00"), "Budget BUD-001", "ds-budgets"),
    ]
    assert outcome.steps[0].rows_created == 4


def test_append_with_aggregation_renames_through_output_names_OP_APP_3(tmp_path):
    prj = make("""
    - order: 1
      type: append
      parameters:
        source: { dataset_id: ds-budgets }
        aggregation:
          group_by: [currency]
          aggregations: [ { column: amount_local, expression: 'SUM(amount)' } ]
    - { order: 2, type: output, selector: 'ISNULL(journal_id)', parameters: { destination: default, columns: [currency, amount_local] } }
""")
    _, out = run(prj, tmp_path)
    assert rows_of(out.frames[2], "currency", "amount_local") == [
        ("USD", Decimal("25000.00")),
        ("EUR", Decimal("10000.00")),
        ("GBP", Decimal("25000.00")),
    ]


def test_labels_are_set_read_and_removed_OP_UPD_8_D7(tmp_path):
    prj = make("""
    - order: 1
      type: update
      selector: 'currency <> "USD"'
      parameters: { assignments: [ { column: _labels.review, expression: '"pending"' } ] }
    - order: 2
      type: update
      selector: 'LABEL("review") = "pending" AND currency = "JPY"'
      parameters: { assignments: [ { column: _labels.review, expression: 'NULL' }, { column: _labels.fx, expression: '"jpy"' } ] }
    - { order: 3, type: output, parameters: { destination: default, columns: [journal_id, line_number, _labels] } }
""")
    _, out = run(prj, tmp_path)
    labels = {(j, n): l for j, n, l in rows_of(out.frames[3], "journal_id", "line_number", "_labels")}
    assert labels[("JE-001", 1)] == []
    assert labels[("JE-002", 1)] == [{"key": "review", "value": "pending"}]
    assert labels[("JE-005", 1)] == [{"key": "fx", "value": "jpy"}]


def test_quarter_run_sees_every_month_and_month_aligned_lookups_TMP_1_D20(tmp_path):
    prj = make("""
    - order: 1
      type: update
      parameters: { assignments: [ { column: region, expression: 'cost_centers.region' } ] }
    - { order: 2, type: output, parameters: { destination: default, columns: [journal_id, _period, region] } }
""")
    rows = sample_rows(months=(1, 2, 3))
    _, out = run(prj, tmp_path, period=QUARTER, rows=rows)
    frame = out.frames[2]
    assert frame.height == 10 + 300 + 300
    assert set(frame["_period"].unique()) == {"2026-01", "2026-02", "2026-03"}
    with_cc = rows[("ds-gl", "transactions")].filter(pl.col("cost_center_code").is_not_null()).height
    assert frame["region"].is_not_null().sum() == with_cc
    _, feb = run(prj, tmp_path / "feb", period=MONTHS[2], rows=rows, run_id="run-feb")
    assert feb.frames[2].height == 300


def test_bitemporal_as_of_and_as_known_at_TMP_2_TMP_3(tmp_path):
    rates = pl.DataFrame(
        {
            "from_currency": ["EUR", "EUR"],
            "to_currency": ["USD", "USD"],
            "rate": ["1.0920", "1.1000"],
            "rate_type": ["closing", "closing"],
            "_period_from": [date(2026, 1, 1)] * 2,
            "_period_to": [None, None],
            "_valid_from": [date(2026, 1, 1), date(2026, 1, 20)],
            "_valid_to": [date(2026, 1, 20), None],
        },
        schema_overrides={"_period_to": pl.Date},
    )
    rows = {**sample_rows(), ("ds-fx", "exchange_rates"): rates}
    prj = make("""
    - order: 1
      type: update
      selector: 'currency = "EUR"'
      parameters:
        joins: [ { alias: fx, dataset_id: ds-fx, on: 'transactions.currency = fx.from_currency AND fx.rate_type = "closing"' } ]
        assignments: [ { column: amount_reporting, expression: 'amount_local * fx.rate' } ]
    - { order: 2, type: output, selector: 'currency = "EUR"', parameters: { destination: default, columns: [amount_reporting] } }
""")
    _, current = run(prj, tmp_path / "now", rows=rows)
    assert current.frames[2]["amount_reporting"].to_list() == [Decimal("9350.00"), Decimal("-9350.00")]
    _, known = run(prj, tmp_path / "then", rows=rows, as_known_at=date(2026, 1, 10), run_id="run-then")
    assert known.frames[2]["amount_reporting"].to_list() == [Decimal("9282.00"), Decimal("-9282.00")]


def test_runtime_materialization_looks_up_current_keys_LK_6(tmp_path):
    ops = """
    - order: 1
      type: update
      selector: 'journal_id = "JE-001" AND line_number = 1'
      parameters: { assignments: [ { column: account_code, expression: '"5100"' } ] }
    - order: 2
      type: update
      parameters: { assignments: [ { column: account_type, expression: 'accounts.type' } ] }
    - { order: 3, type: output, selector: 'journal_id = "JE-001"', parameters: { destination: default, columns: [line_number, account_type] } }
"""
    _, eager = run(make(ops, "eager"), tmp_path / "e")
    _, runtime = run(make(ops, "runtime"), tmp_path / "r", run_id="run-r")
    assert rows_of(eager.frames[3], "line_number", "account_type") == [(1, "revenue"), (2, "asset")]
    assert rows_of(runtime.frames[3], "line_number", "account_type") == [(1, "expense"), (2, "asset")]
