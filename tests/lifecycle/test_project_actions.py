"""activate / deactivate / reopen as actions and commands (PRJ-9, PRJ-11, V-2, D22, DS-4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dobo_engine.catalog.apply import apply_catalog
from dobo_engine.cli.main import cli
from dobo_engine.errors import InvalidTransition
from dobo_engine.lifecycle import activate, deactivate, reopen, set_enabled
from dobo_engine.store import MetadataStore
from dobo_engine.validation import ActivationError

from .conftest import edit

BROKEN_OPS = """\
  operations:
    - order: 10
      name: flag large foreign lines
      type: update
      selector: 'currency <> "USD" AND ABS(amount_locl) >= 10000'
      parameters:
        assignments:
          - { column: _labels.review, expression: 'NOPE("pending")' }
"""


def _break_review_flags(catalog: Path) -> None:
    path = catalog / "projects" / "prj-review-flags.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("  operations:\n")] + BROKEN_OPS, encoding="utf-8")


def test_activate_pins_the_latest_version_without_a_new_project_version_PRJ_9(
    store: MetadataStore, catalog: Path
) -> None:
    apply_catalog(store, catalog)
    state = activate(store, "prj-review-flags")
    assert (state.status, state.previous_status, state.pinned_dataset_version, state.version) == (
        "active",
        "draft",
        1,
        1,
    )
    record = store.get_entity("project", "prj-review-flags")
    assert (record.status, record.latest_version, record.system["pinned_dataset_version"]) == ("active", 1, 1)


def test_failed_activation_lists_every_failure_and_changes_nothing_V_2(store: MetadataStore, catalog: Path) -> None:
    _break_review_flags(catalog)
    apply_catalog(store, catalog)
    before = store.get_entity("project", "prj-review-flags")
    with pytest.raises(ActivationError) as info:
        activate(store, "prj-review-flags")
    err = info.value
    assert err.code == "ValidationFailed" and err.project_id == "prj-review-flags" and err.dataset_version == 1
    assert {(f.type, f.operation_order) for f in err.failures} >= {("UnresolvedColumnRef", 10), ("UnknownFunction", 10)}
    after = store.get_entity("project", "prj-review-flags")
    assert (after.status, after.system, after.latest_version) == (before.status, before.system, before.latest_version)


def test_activation_against_a_missing_or_disabled_version_fails_VAL_018_DS_4(
    store: MetadataStore, catalog: Path
) -> None:
    apply_catalog(store, catalog)
    with pytest.raises(ActivationError) as info:
        activate(store, "prj-review-flags", dataset_version=7)
    assert [f.type for f in info.value.failures] == ["UnresolvedDatasetRef"]
    set_enabled(store, "dataset", "ds-gl", False)
    with pytest.raises(ActivationError) as info:
        activate(store, "prj-review-flags")
    assert "disabled" in info.value.failures[0].detail
    assert store.get_entity("project", "prj-review-flags").status == "draft"


def test_activating_an_active_project_is_refused_as_not_draft(store: MetadataStore, catalog: Path) -> None:
    apply_catalog(store, catalog)
    with pytest.raises(ActivationError) as info:
        activate(store, "prj-fx-usd")
    assert [f.type for f in info.value.failures] == ["ProjectNotDraft"]


def test_deactivate_and_reopen_go_one_way_through_draft_PRJ_11(store: MetadataStore, catalog: Path) -> None:
    apply_catalog(store, catalog)
    with pytest.raises(InvalidTransition):
        reopen(store, "prj-fx-usd")
    assert deactivate(store, "prj-fx-usd").status == "inactive"
    with pytest.raises(InvalidTransition):
        deactivate(store, "prj-fx-usd")
    with pytest.raises(ActivationError):
        activate(store, "prj-fx-usd")  # reactivation always goes through draft
    state = reopen(store, "prj-fx-usd")
    assert (state.status, state.pinned_dataset_version, state.version) == ("draft", 1, 1)
    assert activate(store, "prj-fx-usd").status == "active"


def _dobo(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def test_commands_exit_0_1_2(dobo_home: Path, catalog: Path) -> None:
    _break_review_flags(catalog)
    edit(catalog / "projects" / "prj-monthly-summary.yaml", "  status: active", "  status: draft")
    assert _dobo("apply", str(catalog)).exit_code == 0
    ok = _dobo("activate", "prj-monthly-summary", "--dataset-version", "1", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["status"] == "active"
    failed = _dobo("activate", "prj-review-flags", "--json")
    assert failed.exit_code == 1
    assert json.loads(failed.stdout)["code"] == "ValidationFailed"
    assert _dobo("activate", "nope").exit_code == 2
    assert _dobo("reopen", "prj-fx-usd").exit_code == 2  # active: refused transition
    assert _dobo("deactivate", "prj-fx-usd").exit_code == 0
    assert _dobo("reopen", "prj-fx-usd").exit_code == 0
    assert _dobo("upgrade", "prj-monthly-summary").exit_code == 2  # nothing offered
    assert _dobo("resolve-conflict", "prj-monthly-summary").exit_code == 2  # neither --pin nor --adapt
    for command in ("activate", "deactivate", "reopen", "upgrade", "resolve-conflict", "enable", "disable"):
        help_text = _dobo(command, "--help")
        assert help_text.exit_code == 0 and "Example" in help_text.output
