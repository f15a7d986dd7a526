"""apply_catalog and StoreCatalog on both store backends (D18, D22, D28, D31, D33, GEN-4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dobo_engine.catalog.apply import apply_catalog
from dobo_engine.errors import DoboErrors, EntityNotFound, PeriodNotFound, VersionNotFound
from dobo_engine.model.calendar import Period
from dobo_engine.store import MetadataStore, open_store
from dobo_engine.store.catalog_reader import StoreCatalog

from .helpers import EXAMPLE, copy_example, edit


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, dobo_home: Path) -> Iterator[MetadataStore]:
    url = f"sqlite:///{dobo_home / 'metadata.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = open_store(url)
    try:
        yield opened
    finally:
        opened.close()


def _write(folder: Path, rel: str, text: str) -> None:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _outcomes(report) -> dict[str, tuple[int, str]]:  # type: ignore[no-untyped-def]
    return {f"{e.kind}/{e.id}": (e.version, e.outcome) for e in report.entities}


def test_store_catalog_reads_models_with_version_and_status(store: MetadataStore) -> None:
    apply_catalog(store, EXAMPLE)
    catalog = StoreCatalog(store)
    gl = catalog.dataset("ds-gl")
    assert (gl.id, gl.version, gl.status) == ("ds-gl", 1, "active")
    assert [lk.alias for lk in gl.lookups] == ["accounts", "cost_centers"]
    assert catalog.dataset("ds-gl", 1) == gl
    default = catalog.default_resolver()
    assert default is not None and default.id == "finance-files" and default.is_default is True
    assert catalog.resolver("finance-files").rules[0].name == "reference rates"
    assert catalog.datasource("finance-csv").type == "csv"
    finance = catalog.calendar("finance")
    assert (finance.status, finance.is_default) == ("active", False)
    assert catalog.calendar("gregorian").is_default is True
    project = catalog.project("prj-fx-usd")
    stored = store.get_entity("project", "prj-fx-usd")
    assert (project.status, project.version, project.calendar_id) == (stored.status, 1, "finance")
    with pytest.raises(EntityNotFound):
        catalog.dataset("nope")
    with pytest.raises(VersionNotFound):
        catalog.dataset("ds-gl", 7)
    with pytest.raises(PeriodNotFound):
        catalog.period("finance", "2026-01")


def test_periods_in_catalog_any_order_and_calendar_status_after_them(store: MetadataStore, tmp_path: Path) -> None:
    """D28: references resolve in any order; D33: the Calendar becomes active after its Periods."""
    catalog = copy_example(tmp_path)
    periods = [
        {
            "calendar_id": "finance",
            "identifier": "2026-01",
            "name": "January 2026",
            "level": "month",
            "year": 2026,
            "sequence": 1,
            "start_date": "2026-01-01",
            "end_date": "2026-01-31",
            "parent": "2026-Q1",
        },
        {
            "calendar_id": "finance",
            "identifier": "2026-Q1",
            "name": "2026-Q1",
            "level": "quarter",
            "year": 2026,
            "sequence": 1,
            "start_date": "2026-01-01",
            "end_date": "2026-03-31",
            "parent": "FY2026",
        },
        {
            "calendar_id": "finance",
            "identifier": "FY2026",
            "name": "FY2026",
            "level": "year",
            "year": 2026,
            "sequence": 1,
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
        },
    ]
    # Children before parents, in JSON: both must work.
    _write(catalog, "periods/a.json", json.dumps({"period": periods[0]}))
    _write(catalog, "periods/b.yaml", "\n---\n".join(json.dumps({"period": p}) for p in periods[1:]))
    report = apply_catalog(store, catalog)
    assert _outcomes(report)["period/finance/2026-01"] == (1, "created")
    reader = StoreCatalog(store)
    assert [p.identifier for p in reader.children("finance", "2026-Q1")] == ["2026-01"]
    assert isinstance(reader.period("finance", "FY2026"), Period)
    assert reader.calendar("finance").status == "active"

    edit(catalog / "periods" / "a.json", "January 2026", "Jan 2026")
    again = _outcomes(apply_catalog(store, catalog))
    assert again["period/finance/2026-01"] == (2, "updated")
    assert again["period/finance/FY2026"] == (1, "unchanged")


def test_errors_of_all_files_are_collected_and_broken_documents_add_no_noise(
    store: MetadataStore, tmp_path: Path
) -> None:
    catalog = copy_example(tmp_path)
    edit(catalog / "datasets" / "ds-gl.yaml", "name: GL Transactions", "name: GL Transactions\n  colour: red")
    edit(catalog / "datasets" / "ds-fx.yaml", "resolver_id: finance-files", "resolver_id: nowhere")
    with pytest.raises(DoboErrors) as info:
        apply_catalog(store, catalog)
    # ds-gl is broken, so the Project's reference to it is not reported again.
    assert sorted((e.code, e.location.path) for e in info.value.errors) == [
        ("UnknownKey", "dataset.colour"),
        ("UnresolvedReference", "dataset.resolver_id"),
    ]
    assert store.list_entities("dataset") == []


def test_cycle_between_two_new_datasets(store: MetadataStore, tmp_path: Path) -> None:
    doc = (
        "dataset:\n  id: {me}\n  name: N\n  main_table: {{ name: t, columns: [{{ name: k, type: string }}] }}\n"
        "  lookups:\n    - {{ alias: o, target: {{ type: dataset, dataset_id: {other} }},"
        " join_conditions: [{{ source_column: k, target_column: k }}] }}\n"
    )
    _write(tmp_path / "c", "datasets/a.yaml", doc.format(me="ds-a", other="ds-b"))
    _write(tmp_path / "c", "datasets/b.yaml", doc.format(me="ds-b", other="ds-a"))
    with pytest.raises(DoboErrors) as info:
        apply_catalog(store, tmp_path / "c")
    assert [(e.code, e.rule) for e in info.value.errors] == [("ReferenceCycle", "DS-3")] * 2


def test_default_resolver_moves_and_warnings_are_reported(store: MetadataStore, tmp_path: Path) -> None:
    apply_catalog(store, EXAMPLE)
    catalog = tmp_path / "c"
    _write(
        catalog,
        "resolvers/other.yaml",
        (
            "resolver:\n  id: other\n  name: Other\n  is_default: true\n  rules:\n"
            "    - { name: all, data_level: any, strategy: { type: path, datasource_id: finance-parquet, path: a.parquet } }\n"
            "    - { name: never, data_level: any, strategy: { type: path, datasource_id: finance-parquet, path: b.parquet } }\n"
        ),
    )
    report = apply_catalog(store, catalog)
    assert [w.rule for w in report.warnings] == ["RES-1"]
    assert report.entities[0].changes == ["is_default set"]
    default = store.get_default("resolver")
    assert default is not None and default.id == "other"
    assert store.get_entity("resolver", "finance-files").is_default is False
    # The example declares `is_default: true`: re-applying it moves the flag back, without a new version.
    back = apply_catalog(store, EXAMPLE)
    entry = next(e for e in back.entities if e.id == "finance-files")
    assert (entry.version, entry.outcome, entry.changes) == (1, "updated", ["is_default set"])


def _without_declared_status(catalog: Path) -> Path:
    path = catalog / "projects" / "prj-fx-usd.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("  status:")), encoding="utf-8")
    return path


def test_structural_edit_takes_an_active_project_back_to_draft(store: MetadataStore, tmp_path: Path) -> None:
    catalog = copy_example(tmp_path)
    path = _without_declared_status(catalog)
    apply_catalog(store, catalog)
    store.set_status("project", "prj-fx-usd", "active")
    edit(path, "materialization: eager", "materialization: runtime")
    entry = next(e for e in apply_catalog(store, catalog).entities if e.id == "prj-fx-usd")
    assert (entry.version, entry.outcome, entry.status) == (2, "updated", "draft")
    assert store.get_entity("project", "prj-fx-usd").status == "draft"


def test_declared_active_project_is_activated_after_its_calendar(store: MetadataStore, tmp_path: Path) -> None:
    """D22 + D33: one apply makes the Calendar active and activates a Project on it."""
    catalog = copy_example(tmp_path)
    path = _without_declared_status(catalog)
    edit(path, "calendar_id: finance", "calendar_id: finance\n  status: active")
    entry = next(e for e in apply_catalog(store, catalog).entities if e.id == "prj-fx-usd")
    assert (entry.outcome, entry.status) == ("created", "active")
    assert store.get_entity("project", "prj-fx-usd").status == "active"
    assert StoreCatalog(store).calendar("finance").status == "active"


def test_failed_activation_rolls_back_the_whole_apply(store: MetadataStore, tmp_path: Path) -> None:
    catalog = copy_example(tmp_path)
    path = _without_declared_status(catalog)
    edit(path, "calendar_id: finance", "calendar_id: finance\n  status: active")
    edit(path, '"transactions.amount_local * fx.rate"', '"no_such_column * 2"')
    with pytest.raises(DoboErrors) as info:
        apply_catalog(store, catalog)
    assert info.value.exit_code == 2
    assert all(e.location.file and e.location.file.endswith("prj-fx-usd.yaml") for e in info.value.errors)
    assert store.list_entities("dataset") == [] and store.list_entities("project") == []
