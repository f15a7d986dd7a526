"""Impact analysis of new ds-gl versions, upgrades and conflict resolution (PRJ-12..15, DS-8)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dobo_engine.catalog.apply import apply_catalog
from dobo_engine.cli.main import cli
from dobo_engine.errors import DoboErrors, InvalidTransition
from dobo_engine.lifecycle import resolve_conflict, upgrade
from dobo_engine.lifecycle.diff import column_changes
from dobo_engine.model.documents import entity_from_dict
from dobo_engine.store import MetadataStore

from .conftest import edit

SOURCE_SYSTEM = "      - { name: source_system, type: string, nullable: false }\n"
EXAMPLES = ("prj-fx-usd", "prj-budget-vs-actual", "prj-monthly-summary")


def _gl(catalog: Path) -> Path:
    return catalog / "datasets" / "ds-gl.yaml"


def _add_column(catalog: Path, name: str) -> None:
    path = _gl(catalog)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(SOURCE_SYSTEM, SOURCE_SYSTEM + f"      - {{ name: {name}, type: string }}\n"), encoding="utf-8"
    )


def _system(store: MetadataStore, project_id: str) -> tuple[str | None, dict[str, Any]]:
    record = store.get_entity("project", project_id)
    return record.status, record.system


def test_removed_column_used_by_operation_2_puts_the_project_in_conflict_PRJ_14(
    store: MetadataStore, catalog: Path
) -> None:
    apply_catalog(store, catalog)
    edit(_gl(catalog), SOURCE_SYSTEM, "")
    report = apply_catalog(store, catalog)
    status, system = _system(store, "prj-impact")
    assert status == "conflict" and system["pinned_dataset_version"] == 1
    assert system["conflict_report"] == {
        "dataset_version_from": 1,
        "dataset_version_to": 2,
        "breaking_changes": [{"column": "source_system", "change_type": "removed", "affected_operations": [2]}],
    }
    assert [(i.project_id, i.status_after) for i in report.impacts if i.conflict_report] == [("prj-impact", "conflict")]
    # Projects that do not read the column keep running on their pin and are offered v2.
    for project_id in EXAMPLES:
        other_status, other = _system(store, project_id)
        assert (other_status, other["pinned_dataset_version"], other.get("upgrade_available")) == ("active", 1, 2)
        assert "conflict_report" not in other
    assert _system(store, "prj-review-flags")[1] == {}  # drafts are not analysed


def test_added_column_offers_an_upgrade_and_upgrade_moves_the_pin_PRJ_13(store: MetadataStore, catalog: Path) -> None:
    apply_catalog(store, catalog)
    _add_column(catalog, "batch")
    apply_catalog(store, catalog)
    status, system = _system(store, "prj-impact")
    assert (status, system["pinned_dataset_version"], system["upgrade_available"]) == ("active", 1, 2)
    state = upgrade(store, "prj-impact")
    assert (state.status, state.pinned_dataset_version, state.upgrade_available, state.version) == (
        "active",
        2,
        None,
        1,
    )
    with pytest.raises(InvalidTransition):
        upgrade(store, "prj-impact")  # nothing offered any more


def test_rename_type_change_and_removed_lookup_alias_are_breaking_PRJ_12(store: MetadataStore, catalog: Path) -> None:
    apply_catalog(store, catalog)
    gl = _gl(catalog)
    edit(
        gl,
        SOURCE_SYSTEM,
        "      - { name: origin_system, type: string, nullable: false, renamed_from: source_system }\n",
    )
    edit(gl, "precision: 18, scale: 2, nullable: false", "precision: 18, scale: 4, nullable: false")
    text = gl.read_text(encoding="utf-8")
    gl.write_text(text[: text.index("    - alias: cost_centers")], encoding="utf-8")  # drop the cost_centers lookup
    apply_catalog(store, catalog)
    changes = {c["column"]: c for c in _system(store, "prj-impact")[1]["conflict_report"]["breaking_changes"]}
    assert changes == {
        "amount_local": {"column": "amount_local", "change_type": "type_changed", "affected_operations": [1]},
        "cost_centers.region": {"column": "cost_centers.region", "change_type": "removed", "affected_operations": [3]},
        "source_system": {
            "column": "source_system",
            "change_type": "renamed",
            "new_name": "origin_system",
            "affected_operations": [2],
        },
    }
    summary = _system(store, "prj-monthly-summary")[1]["conflict_report"]["breaking_changes"]
    assert {c["column"]: c["affected_operations"] for c in summary} == {
        "amount_local": [30],
        "cost_centers.region": [10],
    }


def test_column_changes_cover_every_column_of_a_removed_alias() -> None:
    def dataset(lookup: bool) -> Any:
        body: dict[str, Any] = {
            "id": "d",
            "name": "D",
            "main_table": {
                "name": "t",
                "columns": [
                    {"name": "k", "type": "string"},
                    {"name": "n", "type": "decimal", "precision": 10, "scale": 2},
                ],
            },
        }
        if lookup:
            body["lookups"] = [
                {
                    "alias": "l",
                    "target": {
                        "type": "table",
                        "name": "lt",
                        "columns": [{"name": "k", "type": "string"}, {"name": "v", "type": "integer"}],
                    },
                    "join_conditions": [{"source_column": "k", "target_column": "k"}],
                }
            ]
        return entity_from_dict("dataset", body)

    assert set(column_changes(dataset(True), dataset(False))) == {"l.k", "l.v"}
    assert column_changes(dataset(False), dataset(True)) == {}


def test_a_further_version_during_conflict_recomputes_the_report_PRJ_14(store: MetadataStore, catalog: Path) -> None:
    apply_catalog(store, catalog)
    edit(_gl(catalog), SOURCE_SYSTEM, "")
    apply_catalog(store, catalog)
    # While in conflict a declared status is refused (D22), so the catalog stops declaring one.
    with pytest.raises(DoboErrors) as info:
        apply_catalog(store, catalog)
    assert [e.code for e in info.value.errors] == ["ProjectInConflict"]
    edit(catalog / "projects" / "prj-impact.yaml", "  status: active\n", "")
    edit(_gl(catalog), "      - { name: description, type: string }\n", "")
    apply_catalog(store, catalog)
    status, system = _system(store, "prj-impact")
    assert status == "conflict" and system["pinned_dataset_version"] == 1
    report = system["conflict_report"]
    assert (report["dataset_version_from"], report["dataset_version_to"]) == (1, 3)
    assert {c["column"]: c["affected_operations"] for c in report["breaking_changes"]} == {
        "description": [2],
        "source_system": [2],
    }


def test_resolve_by_pin_keeps_the_pin_and_reactivates_PRJ_15(store: MetadataStore, catalog: Path) -> None:
    apply_catalog(store, catalog)
    edit(_gl(catalog), SOURCE_SYSTEM, "")
    apply_catalog(store, catalog)
    state = resolve_conflict(store, "prj-impact", "pin")
    assert (state.status, state.pinned_dataset_version, state.conflict_report) == ("active", 1, None)
    resolved = _system(store, "prj-impact")[1]["last_conflict_resolution"]
    assert [c["resolution"] for c in resolved["breaking_changes"]] == ["pinned"]
    with pytest.raises(InvalidTransition):
        resolve_conflict(store, "prj-impact", "pin")  # no longer in conflict


def test_resolve_by_adapt_moves_the_pin_and_returns_to_draft_PRJ_15(store: MetadataStore, catalog: Path) -> None:
    apply_catalog(store, catalog)
    edit(_gl(catalog), SOURCE_SYSTEM, "")
    apply_catalog(store, catalog)
    state = resolve_conflict(store, "prj-impact", "adapt")
    assert (state.status, state.pinned_dataset_version, state.conflict_report) == ("draft", 2, None)
    resolved = _system(store, "prj-impact")[1]["last_conflict_resolution"]
    assert [c["resolution"] for c in resolved["breaking_changes"]] == ["adapted"]


def test_conflict_commands(dobo_home: Path, catalog: Path) -> None:
    def dobo(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args))

    assert dobo("apply", str(catalog)).exit_code == 0
    edit(_gl(catalog), SOURCE_SYSTEM, "")
    applied = dobo("apply", str(catalog), "--json")
    assert applied.exit_code == 0, applied.output
    assert dobo("run", "prj-impact", "--period", "2026-01").exit_code == 2  # ProjectNotRunnable in conflict
    assert dobo("upgrade", "prj-fx-usd", "--json").exit_code == 0
    result = dobo("resolve-conflict", "prj-impact", "--adapt", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "draft"
