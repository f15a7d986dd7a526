"""All-or-nothing units of work (D28), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from dobo_engine.errors import ConcurrentRunConflict, EntityNotFound, PeriodNotFound
from dobo_engine.store import MetadataStore

PERIOD = {
    "calendar_id": "gregorian",
    "identifier": "2026-01",
    "name": "January 2026",
    "level": "month",
    "year": 2026,
    "sequence": 1,
    "start_date": "2026-01-01",
    "end_date": "2026-01-31",
    "parent": "2026-Q1",
}
RUN = {
    "project_id": "prj",
    "project_version": 1,
    "calendar_id": "gregorian",
    "period_identifier": "2026-01",
    "snapshot": {},
}


class Boom(Exception):
    pass


def test_an_exception_rolls_back_every_write_D28(store: MetadataStore) -> None:
    with pytest.raises(Boom):
        with store.transaction() as tx:
            tx.put_entity("dataset", "ds-gl", {"id": "ds-gl"})
            tx.put_entity("calendar", "fiscal", {"id": "fiscal"}, status="draft")
            tx.set_default("calendar", "fiscal")
            tx.set_status("calendar", "gregorian", "deprecated")
            tx.put_period(PERIOD)
            tx.create_run(RUN)
            tx.record_registered_location("ds-out", "gregorian", "2026-01", {"path": "x"})
            raise Boom()
    with pytest.raises(EntityNotFound):
        store.get_entity("dataset", "ds-gl")
    with pytest.raises(PeriodNotFound):
        store.get_period("gregorian", "2026-01")
    gregorian = store.get_entity("calendar", "gregorian")
    assert gregorian.is_default and gregorian.status == "active"
    assert [e.id for e in store.list_entities("calendar")] == ["gregorian"]
    assert store.list_runs() == []
    assert store.registered_locations("ds-out") == []


def test_reads_inside_a_transaction_see_its_own_writes_D28(store: MetadataStore) -> None:
    with store.transaction() as tx:
        tx.put_entity("dataset", "ds-gl", {"id": "ds-gl"})
        assert tx.get_entity("dataset", "ds-gl").version == 1
        tx.put_period(PERIOD)
        assert tx.get_period("gregorian", "2026-01").status == "open"
    assert store.get_entity("dataset", "ds-gl").version == 1


def test_a_refused_run_leaves_the_transaction_usable_D15(store: MetadataStore) -> None:
    store.create_run(RUN)
    with store.transaction() as tx:
        tx.put_entity("dataset", "ds-gl", {"id": "ds-gl"})
        with pytest.raises(ConcurrentRunConflict):
            tx.create_run(RUN)
        tx.put_entity("dataset", "ds-fx", {"id": "ds-fx"})
    assert [e.id for e in store.list_entities("dataset")] == ["ds-fx", "ds-gl"]
    assert len(store.list_runs()) == 1


def test_a_write_through_the_store_inside_its_transaction_is_refused(store: MetadataStore) -> None:
    with store.transaction() as tx:
        with pytest.raises(RuntimeError, match="use its methods"):
            store.put_entity("dataset", "ds-gl", {"id": "ds-gl"})
        tx.put_entity("dataset", "ds-fx", {"id": "ds-fx"})
    assert [e.id for e in store.list_entities("dataset")] == ["ds-fx"]
