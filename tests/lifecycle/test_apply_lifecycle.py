"""Declared Project status and edits through `dobo apply` (D22, D31, PRJ-6, PRJ-7, PRJ-11, D28)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dobo_engine.catalog.apply import apply_catalog
from dobo_engine.errors import DoboErrors
from dobo_engine.lifecycle import deactivate
from dobo_engine.store import MetadataStore

from .conftest import EXAMPLE, edit

FX = ("projects", "prj-fx-usd.yaml")
DECLARED = "  status: active  # apply activates it, pinned to ds-gl v1 (D22)"


def _declare(catalog: Path, file: tuple[str, str], status: str | None) -> None:
    line = "" if status is None else f"  status: {status}"
    edit(catalog.joinpath(*file), DECLARED + "\n", line + "\n" if line else "")


def _state(store: MetadataStore, project_id: str) -> tuple[Any, ...]:
    record = store.get_entity("project", project_id)
    return record.status, record.latest_version, record.system.get("pinned_dataset_version")


def _entry(report: Any, project_id: str) -> Any:
    return next(e for e in report.entities if e.id == project_id)


def _everything(store: MetadataStore) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for kind in ("dataset", "project", "calendar", "resolver", "datasource"):
        for record in store.list_entities(kind):
            state[f"{kind}/{record.id}"] = (record.status, record.latest_version, record.system)
    return state


def test_example_catalog_activates_three_projects_and_reapplies_unchanged(store: MetadataStore) -> None:
    first = apply_catalog(store, EXAMPLE)
    statuses = {e.id: e.status for e in first.entities if e.kind == "project"}
    assert statuses == {
        "prj-fx-usd": "active",
        "prj-budget-vs-actual": "active",
        "prj-monthly-summary": "active",
        "prj-review-flags": "draft",
    }
    assert _state(store, "prj-fx-usd") == ("active", 1, 1)
    again = apply_catalog(store, EXAMPLE)
    assert {e.outcome for e in again.entities} == {"unchanged"}


@pytest.mark.parametrize(
    ("steps", "final"),
    [
        (["inactive"], "inactive"),  # active → inactive (deactivate)
        (["draft"], "draft"),  # active → draft (take back)
        (["inactive", "draft"], "draft"),  # inactive → draft (reopen)
        (["inactive", "active"], "active"),  # inactive → active (reopen, then activate)
        (["draft", "active"], "active"),  # draft → active (activate)
    ],
)
def test_allowed_declared_transitions_D22(store: MetadataStore, catalog: Path, steps: list[str], final: str) -> None:
    apply_catalog(store, catalog)
    current = "active"
    for status in steps:
        edit(catalog.joinpath(*FX), f"  status: {current}", f"  status: {status}")
        report = apply_catalog(store, catalog)
        entry = _entry(report, "prj-fx-usd")
        assert (entry.status, entry.version) == (status, 1) and entry.outcome == "updated"
        current = status
    assert _state(store, "prj-fx-usd") == (final, 1, 1)  # no new version, the pin is kept


@pytest.mark.parametrize(
    ("setup", "declared", "code"),
    [
        ("draft", "inactive", "InvalidTransition"),
        ("new", "inactive", "InvalidTransition"),
        ("conflict", "active", "ProjectInConflict"),
        ("conflict", "draft", "ProjectInConflict"),
    ],
)
def test_refused_declared_transitions_D22(
    store: MetadataStore, catalog: Path, setup: str, declared: str, code: str
) -> None:
    path = catalog.joinpath(*FX)
    if setup != "new":
        apply_catalog(store, catalog)
    if setup == "draft":
        store.set_status("project", "prj-fx-usd", "draft")
    if setup == "conflict":
        store.set_status("project", "prj-fx-usd", "conflict")
    edit(path, "  status: active", f"  status: {declared}")
    before = _everything(store)
    with pytest.raises(DoboErrors) as info:
        apply_catalog(store, catalog)
    assert [(e.code, e.location.file) for e in info.value.errors] == [(code, str(path))]
    assert _everything(store) == before


def test_failed_declared_activation_rejects_the_apply_and_changes_nothing_D22(
    store: MetadataStore, catalog: Path
) -> None:
    apply_catalog(store, catalog)
    path = catalog / "projects" / "prj-review-flags.yaml"
    edit(path, "  status: draft", "  status: active")
    edit(path, "ABS(amount_local)", "ABS(amount_locl)")
    edit(catalog / "projects" / "prj-fx-usd.yaml", "Converts every", "Converts each")  # a valid edit elsewhere
    before = _everything(store)
    with pytest.raises(DoboErrors) as info:
        apply_catalog(store, catalog)
    [error] = info.value.errors
    assert error.code == "ValidationFailed" and error.location.file == str(path)
    assert [f.type for f in error.failures] == ["UnresolvedColumnRef"]  # type: ignore[attr-defined]
    assert _everything(store) == before


def test_inactive_project_rejects_edits_PRJ_7(store: MetadataStore, catalog: Path) -> None:
    apply_catalog(store, catalog)
    deactivate(store, "prj-fx-usd")
    _declare(catalog, FX, None)
    edit(catalog.joinpath(*FX), "Converts every", "Converts each")
    with pytest.raises(DoboErrors) as info:
        apply_catalog(store, catalog)
    assert [e.code for e in info.value.errors] == ["ProjectInactive"]
    # Declaring draft (reopen) lets the same edit through.
    _declare_text = (
        catalog.joinpath(*FX)
        .read_text(encoding="utf-8")
        .replace("  materialization: eager\n", "  materialization: eager\n  status: draft\n")
    )
    catalog.joinpath(*FX).write_text(_declare_text, encoding="utf-8")
    entry = _entry(apply_catalog(store, catalog), "prj-fx-usd")
    assert (entry.status, entry.version) == ("draft", 2)


def test_structural_edit_takes_an_active_project_back_to_draft_keeping_the_pin_PRJ_6(
    store: MetadataStore, catalog: Path
) -> None:
    apply_catalog(store, catalog)
    _declare(catalog, FX, None)
    edit(catalog.joinpath(*FX), "materialization: eager", "materialization: runtime")
    entry = _entry(apply_catalog(store, catalog), "prj-fx-usd")
    assert (entry.status, entry.version) == ("draft", 2)
    assert _state(store, "prj-fx-usd") == ("draft", 2, 1)


def test_structural_edit_of_a_project_declared_active_is_reactivated(store: MetadataStore, catalog: Path) -> None:
    apply_catalog(store, catalog)
    edit(catalog.joinpath(*FX), "materialization: eager", "materialization: runtime")
    entry = _entry(apply_catalog(store, catalog), "prj-fx-usd")
    assert (entry.status, entry.version) == ("active", 2)


def test_metadata_edit_of_an_active_project_is_validated_against_the_pin_PRJ_6(
    store: MetadataStore, catalog: Path
) -> None:
    apply_catalog(store, catalog)
    path = catalog / "projects" / "prj-impact.yaml"
    edit(path, "name: Impact probe", "name: Impact probe, renamed")
    entry = _entry(apply_catalog(store, catalog), "prj-impact")
    assert (entry.status, entry.version) == ("active", 2)
    # A named selector is metadata; a broken one is refused and nothing is stored.
    edit(path, 'cost_centers.region = "EMEA"', 'cost_centers.regio = "EMEA"')
    before = _everything(store)
    with pytest.raises(DoboErrors) as info:
        apply_catalog(store, catalog)
    assert [e.code for e in info.value.errors] == ["ValidationFailed"]
    assert _everything(store) == before
    assert _state(store, "prj-impact") == ("active", 2, 1)


def test_changing_input_dataset_version_of_an_active_project_re_pins_D31(store: MetadataStore, catalog: Path) -> None:
    apply_catalog(store, catalog)
    edit(
        catalog / "datasets" / "ds-gl.yaml",
        "      - { name: source_system, type: string, nullable: false }\n",
        "      - { name: source_system, type: string, nullable: false }\n      - { name: batch, type: string }\n",
    )
    apply_catalog(store, catalog)
    path = catalog.joinpath(*FX)
    edit(path, "input_dataset_version: 1", "input_dataset_version: 2")
    entry = _entry(apply_catalog(store, catalog), "prj-fx-usd")
    assert (entry.status, entry.version) == ("active", 2) and entry.changes == ["re-pinned v1 → v2"]
    assert _state(store, "prj-fx-usd") == ("active", 2, 2)
    edit(path, "input_dataset_version: 2", "input_dataset_version: 9")
    with pytest.raises(DoboErrors) as info:
        apply_catalog(store, catalog)
    assert [e.code for e in info.value.errors] == ["UnresolvedReference"]  # no such version: refused early
    assert _state(store, "prj-fx-usd") == ("active", 2, 2)
