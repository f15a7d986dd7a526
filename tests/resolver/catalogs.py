"""Catalog text shared by the resolver tests: a fiscal Calendar whose year starts in April."""

from __future__ import annotations

FISCAL = """
calendar:
  id: fiscal
  name: Fiscal Calendar
  status: active
  levels:
    - { name: year, identifier_pattern: "FY{year}" }
    - { name: quarter, parent_level: year, identifier_pattern: "FY{year}-Q{sequence}" }
    - { name: month, parent_level: quarter, identifier_pattern: "{year}-{sequence:02d}" }
---
period: { calendar_id: fiscal, identifier: FY2025, name: FY2025, level: year, year: 2025, sequence: 1,
          start_date: 2025-04-01, end_date: 2026-03-31 }
---
period: { calendar_id: fiscal, identifier: FY2025-Q1, name: Q1, level: quarter, year: 2025, sequence: 1,
          start_date: 2025-04-01, end_date: 2025-06-30, parent: FY2025 }
---
period: { calendar_id: fiscal, identifier: FY2025-Q2, name: Q2, level: quarter, year: 2025, sequence: 2,
          start_date: 2025-07-01, end_date: 2025-09-30, parent: FY2025 }
---
period: { calendar_id: fiscal, identifier: FY2025-Q3, name: Q3, level: quarter, year: 2025, sequence: 3,
          start_date: 2025-10-01, end_date: 2025-12-31, parent: FY2025 }
---
period: { calendar_id: fiscal, identifier: FY2025-Q4, name: Q4, level: quarter, year: 2025, sequence: 4,
          start_date: 2026-01-01, end_date: 2026-03-31, parent: FY2025 }
"""

_MONTHS = [
    ("2025-04", 1, "2025-04-01", "2025-04-30", "FY2025-Q1"),
    ("2025-06", 3, "2025-06-01", "2025-06-30", "FY2025-Q1"),  # listed out of order on purpose
    ("2025-05", 2, "2025-05-01", "2025-05-31", "FY2025-Q1"),
    ("2025-07", 4, "2025-07-01", "2025-07-31", "FY2025-Q2"),
    ("2025-08", 5, "2025-08-01", "2025-08-31", "FY2025-Q2"),
    ("2025-09", 6, "2025-09-01", "2025-09-30", "FY2025-Q2"),
    ("2025-10", 7, "2025-10-01", "2025-10-31", "FY2025-Q3"),
    ("2025-11", 8, "2025-11-01", "2025-11-30", "FY2025-Q3"),
    ("2025-12", 9, "2025-12-01", "2025-12-31", "FY2025-Q3"),
    ("2026-01", 10, "2026-01-01", "2026-01-31", "FY2025-Q4"),
    ("2026-02", 11, "2026-02-01", "2026-02-28", "FY2025-Q4"),
    ("2026-03", 12, "2026-03-01", "2026-03-31", "FY2025-Q4"),
]

FISCAL_MONTHS = "".join(
    f"""---
period: {{ calendar_id: fiscal, identifier: "{ident}", name: "{ident}", level: month, year: 2025, sequence: {seq},
          start_date: {start}, end_date: {end}, parent: {parent} }}
"""
    for ident, seq, start, end, parent in _MONTHS
)

FISCAL_CATALOG = FISCAL + FISCAL_MONTHS

GL_DATASET = """
dataset:
  id: ds-gl
  name: GL Transactions
  resolver_id: gl-resolver
  main_table:
    name: transactions
    columns:
      - { name: journal_id, type: string, nullable: false }
      - { name: amount, type: decimal, precision: 18, scale: 2 }
  lookups:
    - alias: accounts
      target:
        type: table
        name: accounts
        columns: [{ name: code, type: string, nullable: false }, { name: name, type: string }]
      join_conditions: [{ source_column: journal_id, target_column: code }]
"""
