"""Periods in the metadata store (D28, PER-2..4, CAL-8 idempotence), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from dobo_engine.errors import InvalidField, InvalidTransition, MissingField, PeriodNotFound, VersionNotFound
from dobo_engine.store import MetadataStore


def period(
    identifier: str, level: str, seq: int, start: str, end: str, parent: str | None, **extra: Any
) -> dict[str, Any]:
    return {
        "calendar_id": "gregorian",
        "identifier": identifier,
        "name": identifier,
        "level": level,
        "year": 2026,
        "sequence": seq,
        "start_date": start,
        "end_date": end,
        "parent": parent,
        **extra,
    }


YEAR = period("2026", "year", 1, "2026-01-01", "2026-12-31", None)
Q1 = period("2026-Q1", "quarter", 1, "2026-01-01", "2026-03-31", "2026")
Q2 = period("2026-Q2", "quarter", 2, "2026-04-01", "2026-06-30", "2026")
JAN = period("2026-01", "month", 1, "2026-01-01", "2026-01-31", "2026-Q1")
FEB = period("2026-02", "month", 2, "2026-02-01", "2026-02-28", "2026-Q1")
APR = period("2026-04", "month", 4, "2026-04-01", "2026-04-30", "2026-Q2")


def put_all(store: MetadataStore) -> None:
    with store.transaction() as tx:
        for p in (APR, FEB, JAN, Q2, Q1, YEAR):  # any order (D28)
            tx.put_period(p)


def test_new_period_gets_a_uuid_status_open_and_version_1_D28(store: MetadataStore) -> None:
    result = store.put_period(JAN)
    assert result.outcome == "created" and result.version == 1
    stored = store.get_period("gregorian", "2026-01")
    assert str(uuid.UUID(stored.id)) == stored.id == result.id
    assert stored.status == "open" and stored.version == 1
    assert (stored.start_date, stored.end_date) == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert stored.parent == "2026-Q1"


def test_periods_are_matched_by_calendar_and_identifier_D28(store: MetadataStore) -> None:
    first = store.put_period(JAN)
    again = store.put_period({**JAN, "start_date": dt.date(2026, 1, 1)})
    assert (again.id, again.version, again.outcome) == (first.id, 1, "unchanged")
    renamed = store.put_period({**JAN, "name": "January 2026"})
    assert (renamed.id, renamed.version, renamed.outcome) == (first.id, 2, "updated")
    assert store.get_period("gregorian", "2026-01").name == "January 2026"
    old = store.get_period("gregorian", "2026-01", version=1)  # GEN-4: every version kept
    assert (old.id, old.version, old.name, old.start_date) == (first.id, 1, "2026-01", dt.date(2026, 1, 1))
    with pytest.raises(VersionNotFound):
        store.get_period("gregorian", "2026-01", version=5)


def test_the_same_identifier_in_another_calendar_is_another_period_D23(store: MetadataStore) -> None:
    store.put_period(JAN)
    store.put_period({**JAN, "calendar_id": "fiscal"})
    assert store.get_period("fiscal", "2026-01").id != store.get_period("gregorian", "2026-01").id


def test_level_year_sequence_is_unique_in_a_calendar(store: MetadataStore) -> None:
    store.put_period(JAN)
    with pytest.raises(InvalidField, match="2026-01"):
        store.put_period({**JAN, "identifier": "2026-M01"})


def test_missing_and_unknown_period_fields_are_refused(store: MetadataStore) -> None:
    with pytest.raises(MissingField, match="end_date"):
        store.put_period({k: v for k, v in JAN.items() if k != "end_date"})
    with pytest.raises(InvalidField, match="colour"):
        store.put_period({**JAN, "colour": "red"})
    with pytest.raises(PeriodNotFound):
        store.get_period("gregorian", "2031-01")


def test_list_periods_in_start_date_order_and_by_level_PER_2(store: MetadataStore) -> None:
    put_all(store)
    listed = [p.identifier for p in store.list_periods("gregorian")]
    assert listed == ["2026", "2026-Q1", "2026-01", "2026-02", "2026-Q2", "2026-04"]
    assert [p.identifier for p in store.list_periods("gregorian", level="month")] == ["2026-01", "2026-02", "2026-04"]
    assert store.list_periods("fiscal") == []


def test_children_and_descendants_follow_parent_links_PER_2(store: MetadataStore) -> None:
    put_all(store)
    assert [p.identifier for p in store.children("gregorian", "2026")] == ["2026-Q1", "2026-Q2"]
    assert [p.identifier for p in store.children("gregorian", "2026-Q1")] == ["2026-01", "2026-02"]
    assert store.children("gregorian", "2026-01") == []
    descendants = [p.identifier for p in store.descendants("gregorian", "2026")]
    assert descendants == ["2026-Q1", "2026-01", "2026-02", "2026-Q2", "2026-04"]


def test_period_status_is_one_way_open_closed_locked_PER_3(store: MetadataStore) -> None:
    store.put_period(JAN)
    assert store.set_period_status("gregorian", "2026-01", "closed").status == "closed"
    with pytest.raises(InvalidTransition, match="closed to open"):
        store.set_period_status("gregorian", "2026-01", "open")
    locked = store.set_period_status("gregorian", "2026-01", "locked")
    assert locked.status == "locked" and locked.version == 1  # status never bumps (GEN-4)
    for backwards in ("open", "closed"):
        with pytest.raises(InvalidTransition):
            store.set_period_status("gregorian", "2026-01", backwards)
    assert store.get_period("gregorian", "2026-01").status == "locked"


def test_an_open_period_cannot_skip_closing_PER_3(store: MetadataStore) -> None:
    store.put_period(JAN)
    with pytest.raises(InvalidTransition):
        store.set_period_status("gregorian", "2026-01", "locked")
    with pytest.raises(InvalidField):
        store.set_period_status("gregorian", "2026-01", "reopened")


def test_name_and_dates_change_only_while_open_PER_4(store: MetadataStore) -> None:
    store.put_period(JAN)
    store.set_period_status("gregorian", "2026-01", "closed")
    with pytest.raises(InvalidTransition, match="name"):
        store.put_period({**JAN, "name": "January"})
    assert store.put_period(JAN).outcome == "unchanged"
