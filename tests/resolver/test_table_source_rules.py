"""ResolvingTableSource checks before any IO (SRC-1, SRC-6, RES-7) and registered Datasets (D25)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from dobo_engine.errors import DataNotFound, DataSourceDisabled, UnsupportedSourceType, UnsupportedStrategy
from dobo_engine.model.resolver import ResolvedLocation
from dobo_engine.resolver import MemoryCatalog, MemoryRegisteredLocations, ResolvingTableSource, period_details
from tests.resolver.catalogs import FISCAL_CATALOG

CLOCK = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)

DATASET = """
dataset:
  id: ds-out
  name: Output
  resolver_id: {resolver}
  main_table: {{ name: results, columns: [{{ name: k, type: string, nullable: false }}, {{ name: v, type: integer }}] }}
"""


def _resolver(strategy: str) -> str:
    return f"""
resolver:
  id: r
  name: r
  rules: [{{ name: only, data_level: month, strategy: {strategy} }}]
"""


def _source(catalog: MemoryCatalog, period: str, root: Path | None = None, **kwargs) -> ResolvingTableSource:
    return ResolvingTableSource(
        catalog, period_details(catalog, "fiscal", period), clock=CLOCK, data_root=str(root) if root else None, **kwargs
    )


def _load(source: ResolvingTableSource) -> pl.DataFrame:
    dataset = source.dataset("ds-out")
    return source.load_table(dataset, dataset.main_table).collect()


def test_disabled_datasource_fails_the_load():
    """SRC-6: a disabled DataSource named by a rule fails with DataSourceDisabled naming it."""
    catalog = MemoryCatalog.from_yaml(
        FISCAL_CATALOG,
        DATASET.format(resolver="r"),
        _resolver("{ type: path, datasource_id: ds-old, path: x.parquet }"),
        "datasource: { id: ds-old, name: Old, type: parquet, status: disabled, options: { path_prefix: /nowhere } }",
    )
    with pytest.raises(DataSourceDisabled) as info:
        _load(_source(catalog, "2026-01"))
    assert "'ds-old'" in info.value.message


def test_catalog_strategy_is_unsupported():
    catalog = MemoryCatalog.from_yaml(
        FISCAL_CATALOG,
        DATASET.format(resolver="r"),
        _resolver('{ type: catalog, endpoint: "https://x.example/{{table_name}}" }'),
    )
    with pytest.raises(UnsupportedStrategy):
        _load(_source(catalog, "2026-01"))


def test_api_datasource_is_unsupported():
    """SRC-1: `api` validates but any read fails with UnsupportedSourceType."""
    catalog = MemoryCatalog.from_yaml(
        FISCAL_CATALOG,
        DATASET.format(resolver="r"),
        _resolver("{ type: path, datasource_id: ds-api, path: x.json }"),
        'datasource: { id: ds-api, name: Api, type: api, options: { endpoint: "https://x.example" } }',
    )
    with pytest.raises(UnsupportedSourceType):
        _load(_source(catalog, "2026-01"))


def _registered_catalog(tmp_path: Path) -> tuple[MemoryCatalog, MemoryRegisteredLocations]:
    for month, rows in {"2026-01": ["a", "b"], "2026-02": ["c"]}.items():
        path = tmp_path / "out" / f"{month}.parquet"
        path.parent.mkdir(exist_ok=True)
        pl.DataFrame({"k": rows, "v": list(range(len(rows)))}).write_parquet(path)
    catalog = MemoryCatalog.from_yaml(
        FISCAL_CATALOG,
        DATASET.format(resolver="dobo-registered"),
        "datasource: { id: ds-out-files, name: Out, type: parquet, options: { path_prefix: out } }",
    )
    registry = MemoryRegisteredLocations()
    for month in ("2026-01", "2026-02"):
        registry.record(
            "ds-out",
            "fiscal",
            month,
            [
                ResolvedLocation(
                    resolver_id="dobo-registered",
                    resolver_version=1,
                    rule="output",
                    table_name="results",
                    period_identifier=month,
                    strategy="path",
                    datasource_id="ds-out-files",
                    path=f"{month}.parquet",
                )
            ],
        )
    return catalog, registry


def test_registered_dataset_serves_the_recorded_months_of_a_quarter(tmp_path):
    """D25: `dobo-registered` serves exactly the recorded locations; a quarter Run reads its months' ones."""
    catalog, registry = _registered_catalog(tmp_path)
    source = _source(catalog, "FY2025-Q4", tmp_path, registered=registry)
    frame = _load(source)
    assert list(frame.select("k", "_period").iter_rows()) == [("a", "2026-01"), ("b", "2026-01"), ("c", "2026-02")]
    assert [(loc.resolver_id, loc.rule, loc.path) for loc in source.locations] == [
        ("dobo-registered", "registered:ds-out", "2026-01.parquet"),
        ("dobo-registered", "registered:ds-out", "2026-02.parquet"),
    ]
    assert [(s.resolver_id, s.resolver_version) for s in source.resolver_snapshots] == [("dobo-registered", 1)]


def test_registered_dataset_without_a_location_for_the_period(tmp_path):
    catalog, registry = _registered_catalog(tmp_path)
    with pytest.raises(DataNotFound) as info:
        _load(_source(catalog, "2026-03", tmp_path, registered=registry))
    assert "'ds-out'" in info.value.message and "'2026-03'" in info.value.message
