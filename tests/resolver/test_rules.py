"""Rule matching, no-match diagnostics and rendering (RES-1/2/3/5/6)."""

from __future__ import annotations

import pytest

from dobo_engine.errors import NoResolverRuleMatched, UnknownDataLevel, UnknownTemplateToken
from dobo_engine.model.documents import parse_text
from dobo_engine.resolver import MemoryCatalog, match_rule, render_template, resolve_locations, resolve_table
from dobo_engine.resolver import rules as rules_module
from dobo_engine.resolver.templates import template_values
from tests.resolver.catalogs import FISCAL_CATALOG

SOURCES = """
datasource: { id: ds-csv, name: Legacy CSV, type: csv, options: { path_prefix: legacy/ } }
---
datasource: { id: ds-lake, name: Lake, type: parquet, options: { path_prefix: "s3://lake/data/" } }
---
datasource: { id: ds-wh, name: Warehouse, type: database,
              options: { connection_string: "postgresql://wh.internal:5432/finance", schema: public } }
"""

RESOLVER = """
resolver:
  id: gl-resolver
  name: GL resolver
  rules:
    - name: reference tables from warehouse
      when: 'table.name = "accounts"'
      data_level: any
      strategy: { type: table, datasource_id: ds-wh, table: "{{table_name}}", schema: "ref_{{YYYY}}" }
    - name: legacy monthly csv
      when: 'period.start_date < DATE("2026-02-01")'
      data_level: month
      strategy: { type: path, datasource_id: ds-csv, path: "{{YYYY}}/{{MM}}/{{table_name}}.csv" }
    - name: monthly parquet
      data_level: month
      strategy: { type: path, datasource_id: ds-lake, path: "{{table_name}}/{{YYYY}}/{{MM}}.parquet" }
"""


@pytest.fixture(scope="module")
def catalog() -> MemoryCatalog:
    return MemoryCatalog.from_yaml(FISCAL_CATALOG, SOURCES, RESOLVER)


def _resolver(text: str):
    (resolver,) = parse_text(text)
    return resolver


def _where(locations) -> list[tuple[str, str, str]]:
    return [(loc.period_identifier, loc.rule, loc.path or f"{loc.schema}.{loc.table}") for loc in locations]


def test_first_true_rule_wins_and_later_rules_are_not_evaluated(catalog, monkeypatch):
    """RES-1: the first rule with a true `when` wins; the ones after it are never evaluated."""
    resolver = _resolver("""
resolver:
  id: r
  name: r
  rules:
    - { name: not this, when: 'table.name = "other"', data_level: month,
        strategy: { type: path, datasource_id: ds-csv, path: a.csv } }
    - { name: this, when: 'period.level = "month"', data_level: month,
        strategy: { type: path, datasource_id: ds-csv, path: b.csv } }
    - { name: broken, when: 'period.identifier > 3', data_level: month,
        strategy: { type: path, datasource_id: ds-csv, path: c.csv } }
""")
    seen: list[str] = []
    real = rules_module.evaluate_when
    monkeypatch.setattr(
        rules_module, "evaluate_when", lambda text, ctx, **kw: seen.append(text) or real(text, ctx, **kw)
    )
    rule, outcomes = match_rule(resolver, "transactions", catalog.period("fiscal", "2026-01"))
    assert rule is not None and rule.name == "this"
    assert seen == ['table.name = "other"', 'period.level = "month"']
    assert [(o.rule, o.result) for o in outcomes] == [("not this", "false"), ("this", "true")]


def test_omitted_when_is_true_and_null_is_false(catalog):
    """RES-1/2: no `when` always matches; a NULL `when` counts as false."""
    resolver = _resolver("""
resolver:
  id: r
  name: r
  rules:
    - { name: unknown, when: 'period.level = "month" AND NULL', data_level: month,
        strategy: { type: path, datasource_id: ds-csv, path: a.csv } }
    - { name: fallback, data_level: month, strategy: { type: path, datasource_id: ds-csv, path: b.csv } }
""")
    rule, outcomes = match_rule(resolver, "transactions", catalog.period("fiscal", "2026-01"))
    assert rule is not None and rule.name == "fallback"
    assert [o.result for o in outcomes] == ["null", "true"]


def test_no_match_names_every_rule_with_its_reason(catalog):
    """RES-3: resolver id/version, table, Period, and per rule its name, `when` and result (false, null, error)."""
    resolver = _resolver("""
resolver:
  id: strict-resolver
  name: strict
  rules:
    - { name: before 2020, when: 'period.start_date < DATE("2020-01-01")', data_level: month,
        strategy: { type: path, datasource_id: ds-csv, path: a.csv } }
    - { name: undecided, when: 'NULL', data_level: month, strategy: { type: path, datasource_id: ds-csv, path: b.csv } }
    - { name: mistyped, when: 'period.identifier > 3', data_level: month,
        strategy: { type: path, datasource_id: ds-csv, path: c.csv } }
""")
    with pytest.raises(NoResolverRuleMatched) as info:
        resolve_locations(catalog, "fiscal", resolver, "transactions", catalog.period("fiscal", "2026-01"))
    error = info.value
    assert error.rule == "RES-3"
    assert (
        "'strict-resolver' v1" in error.message and "'transactions'" in error.message and "'2026-01'" in error.message
    )
    payload = error.payload
    assert (payload["resolver_id"], payload["resolver_version"], payload["table"], payload["period"]) == (
        "strict-resolver",
        1,
        "transactions",
        "2026-01",
    )
    assert [(r["rule"], r["when"], r["result"]) for r in payload["rules"]] == [
        ("before 2020", 'period.start_date < DATE("2020-01-01")', "false"),
        ("undecided", "NULL", "null"),
        ("mistyped", "period.identifier > 3", "error"),
    ]
    assert "TypeMismatch" in payload["rules"][2]["error"]
    for name in ("before 2020", "undecided", "mistyped", "TypeMismatch"):
        assert name in error.detail


def test_resolve_table_reports_instead_of_raising(catalog):
    resolver = _resolver("""
resolver:
  id: r
  name: r
  rules: [{ name: never, when: 'FALSE', data_level: month, strategy: { type: path, datasource_id: ds-csv, path: a.csv } }]
""")
    result = resolve_table(catalog, "fiscal", resolver, "transactions", catalog.period("fiscal", "2026-01"))
    assert result.status == "error" and result.error is not None and result.error.code == "NoResolverRuleMatched"
    assert [d.as_dict() for d in result.diagnostics] == [{"rule": "never", "when": "FALSE", "result": "false"}]


def test_quarter_straddling_a_storage_change_is_matched_month_by_month(catalog):
    """RES-5: the quarter expands to its months; each month is served by the rule written for it."""
    resolver = catalog.resolver("gl-resolver")
    locations = resolve_locations(catalog, "fiscal", resolver, "transactions", catalog.period("fiscal", "FY2025-Q4"))
    assert _where(locations) == [
        ("2026-01", "legacy monthly csv", "2026/01/transactions.csv"),
        ("2026-02", "monthly parquet", "transactions/2026/02.parquet"),
        ("2026-03", "monthly parquet", "transactions/2026/03.parquet"),
    ]
    first = locations[0]
    assert (first.resolver_id, first.resolver_version, first.table_name, first.strategy, first.datasource_id) == (
        "gl-resolver",
        1,
        "transactions",
        "path",
        "ds-csv",
    )


def test_table_strategy_and_any_level(catalog):
    """RES-5 `any`: one location rendered from the requested Period; `schema` is a template too."""
    resolver = catalog.resolver("gl-resolver")
    (location,) = resolve_locations(catalog, "fiscal", resolver, "accounts", catalog.period("fiscal", "FY2025-Q4"))
    assert location.model_dump(exclude_none=True) == {
        "resolver_id": "gl-resolver",
        "resolver_version": 1,
        "rule": "reference tables from warehouse",
        "table_name": "accounts",
        "period_identifier": "FY2025-Q4",
        "strategy": "table",
        "datasource_id": "ds-wh",
        "table": "accounts",
        "schema": "ref_2026",
    }


def test_year_level_rule_for_a_month(catalog):
    """RES-5 coarser: a month read through a year-level rule gets its fiscal year's location."""
    resolver = _resolver("""
resolver:
  id: yearly
  name: yearly
  rules: [{ name: yearly files, data_level: year,
            strategy: { type: path, datasource_id: ds-lake, path: "{{table_name}}/{{identifier}}-{{year}}-{{YYYY}}.parquet" } }]
""")
    locations = resolve_locations(catalog, "fiscal", resolver, "budgets", catalog.period("fiscal", "2026-01"))
    assert _where(locations) == [("FY2025", "yearly files", "budgets/FY2025-2025-2025.parquet")]


def test_catalog_strategy_is_rendered(catalog):
    resolver = _resolver("""
resolver:
  id: api
  name: api
  rules: [{ name: service, data_level: month,
            strategy: { type: catalog, endpoint: "https://data.example/{{table_name}}", method: POST,
                        params: { period: "{{identifier}}", q: "{{QQ}}" } } }]
""")
    (location,) = resolve_locations(catalog, "fiscal", resolver, "transactions", catalog.period("fiscal", "2025-11"))
    assert (location.strategy, location.endpoint, location.method, location.params, location.datasource_id) == (
        "catalog",
        "https://data.example/transactions",
        "POST",
        {"period": "2025-11", "q": "04"},
        None,
    )


def test_every_template_token(catalog):
    """§4 tokens: `year`/`sequence` are the calendar position, `YYYY`/`MM`/`DD`/`QQ` come from start_date."""
    values = template_values("transactions", catalog.period("fiscal", "2026-01"))
    assert values == {
        "table_name": "transactions",
        "identifier": "2026-01",
        "level": "month",
        "year": "2025",
        "sequence": "10",
        "YYYY": "2026",
        "MM": "01",
        "DD": "01",
        "QQ": "01",
    }
    assert render_template("{{ table_name }}/{{YYYY}}{{MM}}{{DD}}-q{{QQ}}", values) == "transactions/20260101-q01"


def test_unknown_token_at_render(catalog):
    """RES-6: a stored template with a token outside the list fails at render with UnknownTemplateToken."""
    with pytest.raises(UnknownTemplateToken) as info:
        render_template("{{table_name}}/{{month}}.parquet", {"table_name": "t"})
    assert "{{month}}" in info.value.message and info.value.rule == "RES-6"
    resolver = _resolver("""
resolver:
  id: r
  name: r
  rules: [{ name: monthly, data_level: month, strategy: { type: path, datasource_id: ds-lake, path: x.parquet } }]
""")
    resolver.rules[0].strategy.path = "{{table_name}}/{{period}}.parquet"  # as if stored before a check existed
    with pytest.raises(UnknownTemplateToken):
        resolve_locations(catalog, "fiscal", resolver, "transactions", catalog.period("fiscal", "2026-01"))


def test_unknown_data_level_names_the_rule(catalog):
    """RES-4 at resolution time."""
    resolver = _resolver("""
resolver:
  id: r
  name: r
  rules: [{ name: weekly, data_level: week, strategy: { type: path, datasource_id: ds-lake, path: x.parquet } }]
""")
    with pytest.raises(UnknownDataLevel) as info:
        resolve_locations(catalog, "fiscal", resolver, "transactions", catalog.period("fiscal", "2026-01"))
    assert "'weekly'" in info.value.message
