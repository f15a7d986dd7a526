"""The data behind `dobo resolve <dataset-id> --period P [--project ID]` (cli.md, RES-3, RES-9)."""

from __future__ import annotations

from dobo_engine.model.documents import parse_text
from dobo_engine.resolver import MemoryCatalog, explain_resolution
from tests.resolver.catalogs import FISCAL_CATALOG, GL_DATASET

RESOLVERS = """
resolver:
  id: gl-resolver
  name: GL
  rules:
    - { name: monthly parquet, when: 'table.name = "transactions"', data_level: month,
        strategy: { type: path, datasource_id: ds-lake, path: "{{table_name}}/{{identifier}}.parquet" } }
---
resolver:
  id: staging
  name: Staging
  rules:
    - { name: staging, data_level: any, strategy: { type: path, datasource_id: ds-lake, path: "staging/{{table_name}}.parquet" } }
---
datasource: { id: ds-lake, name: Lake, type: parquet, options: { path_prefix: "s3://lake/" } }
"""

PROJECT = """
project:
  id: prj
  name: Staging run
  input_dataset_id: ds-gl
  calendar_id: fiscal
  materialization: eager
  resolver_overrides: { ds-gl: staging }
  operations: [{ order: 10, type: delete, selector: "amount = 0" }]
"""


def _catalog() -> MemoryCatalog:
    return MemoryCatalog.from_yaml(FISCAL_CATALOG, GL_DATASET, RESOLVERS)


def test_every_table_with_its_rule_locations_or_diagnostics():
    report = explain_resolution(_catalog(), "ds-gl", "FY2025-Q4", "fiscal")
    assert (report.resolver_id, report.resolver_version, report.resolver_source) == ("gl-resolver", 1, "dataset")
    main, accounts = report.tables
    assert (main.table_name, main.status, main.rule) == ("transactions", "resolved", "monthly parquet")
    assert [loc.path for loc in main.locations] == [
        "transactions/2026-01.parquet",
        "transactions/2026-02.parquet",
        "transactions/2026-03.parquet",
    ]
    assert (accounts.table_name, accounts.status, accounts.error.code) == ("accounts", "error", "NoResolverRuleMatched")
    assert [d.as_dict() for d in accounts.diagnostics] == [
        {"rule": "monthly parquet", "when": 'table.name = "transactions"', "result": "false"}
    ]
    assert not report.ok
    text = "\n".join(report.render_lines())
    assert "Resolver gl-resolver v1 (from dataset)" in text and "NoResolverRuleMatched" in text
    assert report.as_dict()["tables"][0]["locations"][0]["path"] == "transactions/2026-01.parquet"


def test_project_overrides_and_calendar_apply():
    (project,) = parse_text(PROJECT)
    report = explain_resolution(_catalog(), "ds-gl", "2026-02", "some-default", project=project)
    assert report.calendar_id == "fiscal" and report.resolver_source == "override"
    assert [t.locations[0].path for t in report.tables] == ["staging/transactions.parquet", "staging/accounts.parquet"]
    assert report.ok


def test_selection_failure_is_reported():
    catalog = MemoryCatalog.from_yaml(FISCAL_CATALOG, GL_DATASET.replace("  resolver_id: gl-resolver\n", ""))
    report = explain_resolution(catalog, "ds-gl", "2026-02", "fiscal")
    assert report.error is not None and report.error.code == "ResolverNotFound" and report.tables == []
