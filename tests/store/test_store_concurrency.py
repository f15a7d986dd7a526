"""Concurrent openers and writers wait for each other instead of failing (D18), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

from dobo_engine.store import MetadataStore, open_store


def _together(count: int, work: Callable[[int], None]) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_simultaneous_first_opens_migrate_and_seed_once_D18_CAL_1(store_url: str) -> None:
    def open_and_close(_: int) -> None:
        open_store(store_url).close()

    assert _together(8, open_and_close) == []
    with open_store(store_url) as store:
        assert [(e.id, e.version, e.is_default) for e in store.list_entities("calendar")] == [("gregorian", 1, True)]


def test_concurrent_write_transactions_all_commit_D18(store_url: str, store: MetadataStore) -> None:
    def write_five(index: int) -> None:
        with open_store(store_url) as own, own.transaction() as tx:
            for n in range(5):
                tx.put_entity("dataset", f"ds-{index}-{n}", {"id": f"ds-{index}-{n}"})
            tx.put_entity("resolver", "shared", {"id": "shared", "writer": index})

    assert _together(10, write_five) == []
    assert len(store.list_entities("dataset")) == 50
    shared = store.get_entity("resolver", "shared")
    assert shared.latest_version == len(store.list_versions("resolver", "shared"))


def test_simultaneous_puts_of_one_new_entity_make_one_history_GEN_4(store_url: str, store: MetadataStore) -> None:
    stores = [open_store(store_url) for _ in range(10)]
    try:
        errors = _together(10, lambda i: stores[i].put_entity("dataset", "ds-new", {"id": "ds-new", "writer": i % 2}))
    finally:
        for opened in stores:
            opened.close()
    assert errors == []
    versions = store.list_versions("dataset", "ds-new")
    assert versions == list(range(1, len(versions) + 1))
    assert store.get_entity("dataset", "ds-new").latest_version == versions[-1]
