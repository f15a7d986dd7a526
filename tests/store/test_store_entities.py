"""Versioned entities in the metadata store (GEN-4, D18, CAL-1, RES-10), on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dobo_engine.errors import EntityNotFound, VersionNotFound
from dobo_engine.store import MetadataStore

DATASET = {"id": "ds-gl", "name": "GL Transactions", "tables": [{"name": "gl", "columns": ["amount"]}]}


def test_new_entity_starts_at_version_1_with_given_status_GEN_4(store: MetadataStore) -> None:
    result = store.put_entity("dataset", "ds-gl", DATASET, status="active")
    assert (result.kind, result.id, result.version, result.outcome) == ("dataset", "ds-gl", 1, "created")
    stored = store.get_entity("dataset", "ds-gl")
    assert stored.version == stored.latest_version == 1
    assert stored.status == "active"
    assert stored.content == DATASET
    assert stored.is_default is False and stored.system == {}


def test_same_content_in_any_key_order_is_unchanged_GEN_4(store: MetadataStore) -> None:
    store.put_entity("dataset", "ds-gl", DATASET)
    reordered = {"tables": DATASET["tables"], "name": DATASET["name"], "id": DATASET["id"]}
    result = store.put_entity("dataset", "ds-gl", reordered)
    assert (result.version, result.outcome) == (1, "unchanged")
    assert store.list_versions("dataset", "ds-gl") == [1]


def test_changed_content_makes_version_2_and_version_1_stays_readable_GEN_4(store: MetadataStore) -> None:
    store.put_entity("dataset", "ds-gl", DATASET)
    changed = {**DATASET, "name": "GL Transactions (EUR)"}
    result = store.put_entity("dataset", "ds-gl", changed)
    assert (result.version, result.outcome) == (2, "updated")
    assert store.get_entity("dataset", "ds-gl").content == changed
    old = store.get_entity("dataset", "ds-gl", version=1)
    assert old.content == DATASET
    assert (old.version, old.latest_version) == (1, 2)
    assert store.list_versions("dataset", "ds-gl") == [1, 2]


def test_reapplying_an_old_content_is_a_new_version_GEN_4(store: MetadataStore) -> None:
    store.put_entity("dataset", "ds-gl", DATASET)
    store.put_entity("dataset", "ds-gl", {**DATASET, "name": "other"})
    assert store.put_entity("dataset", "ds-gl", DATASET).version == 3


def test_status_and_system_changes_never_bump_the_version_GEN_4(store: MetadataStore) -> None:
    store.put_entity("project", "prj", {"id": "prj"}, status="draft")
    store.set_status("project", "prj", "active")
    merged = store.set_system("project", "prj", input_dataset_version=3, conflict_report={"reason": "x"})
    assert merged == {"input_dataset_version": 3, "conflict_report": {"reason": "x"}}
    store.set_system("project", "prj", conflict_report=None)
    stored = store.get_entity("project", "prj")
    assert stored.version == 1 and stored.status == "active"
    assert stored.system == {"input_dataset_version": 3}


def test_put_does_not_change_the_status_of_an_existing_entity_GEN_3(store: MetadataStore) -> None:
    store.put_entity("project", "prj", {"id": "prj"}, status="draft")
    store.put_entity("project", "prj", {"id": "prj", "name": "x"}, status="active")
    assert store.get_entity("project", "prj").status == "draft"


def test_decimals_and_dates_keep_their_exact_text_D29(store: MetadataStore) -> None:
    content = {"id": "x", "rate": Decimal("1.0920"), "whole": Decimal("5"), "limit": 10}
    store.put_entity("dataset", "x", content)
    stored = store.get_entity("dataset", "x").content
    assert stored == content
    assert str(stored["rate"]) == "1.0920" and isinstance(stored["whole"], Decimal)
    assert isinstance(stored["limit"], int)


def test_unknown_entity_and_unknown_version_are_reported(store: MetadataStore) -> None:
    with pytest.raises(EntityNotFound, match="ds-nope"):
        store.get_entity("dataset", "ds-nope")
    store.put_entity("dataset", "ds-gl", DATASET)
    store.put_entity("dataset", "ds-gl", {**DATASET, "name": "v2"})
    with pytest.raises(VersionNotFound) as caught:
        store.get_entity("dataset", "ds-gl", version=7)
    assert "available versions: 1, 2" in caught.value.render()
    with pytest.raises(EntityNotFound):
        store.set_status("dataset", "ds-nope", "active")


def test_list_entities_gives_latest_versions_by_id(store: MetadataStore) -> None:
    store.put_entity("resolver", "r-b", {"id": "r-b"})
    store.put_entity("resolver", "r-a", {"id": "r-a"})
    store.put_entity("resolver", "r-a", {"id": "r-a", "rules": []})
    listed = store.list_entities("resolver")
    assert [(e.id, e.version) for e in listed] == [("r-a", 2), ("r-b", 1)]
    assert store.list_entities("dataset") == []


def test_setting_a_default_moves_the_flag_CAL_1_RES_10(store: MetadataStore) -> None:
    store.put_entity("calendar", "fiscal", {"id": "fiscal"}, status="active")
    store.set_default("calendar", "fiscal")
    default = store.get_default("calendar")
    assert default is not None and default.id == "fiscal"
    assert store.get_entity("calendar", "gregorian").is_default is False
    assert [e.id for e in store.list_entities("calendar") if e.is_default] == ["fiscal"]
    assert store.get_entity("calendar", "fiscal").version == 1


def test_defaults_are_per_kind_and_may_be_absent_D31(store: MetadataStore) -> None:
    assert store.get_default("resolver") is None
    store.put_entity("resolver", "r1", {"id": "r1"})
    store.set_default("resolver", "r1")
    assert store.get_default("calendar").id == "gregorian"  # type: ignore[union-attr]
    store.clear_default("resolver", "r1")
    assert store.get_default("resolver") is None


def test_store_is_seeded_with_the_default_gregorian_calendar_CAL_1(store: MetadataStore) -> None:
    gregorian = store.get_default("calendar")
    assert gregorian is not None
    assert (gregorian.id, gregorian.status, gregorian.version, gregorian.is_default) == ("gregorian", "active", 1, True)
    levels = {level["name"]: level for level in gregorian.content["levels"]}
    assert levels["year"]["identifier_pattern"] == "{year}"
    assert levels["quarter"]["identifier_pattern"] == "{year}-Q{sequence}"
    assert levels["month"]["identifier_pattern"] == "{year}-{sequence:02d}"
    assert len(levels["quarter"]["date_rules"]) == 4
    february = levels["month"]["date_rules"][1]
    assert (february["start_month"], february["end_month"], february["end_day"]) == (2, 2, 29)
