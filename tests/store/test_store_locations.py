"""Registered output locations per Period (D25, RUN-9), on SQLite and PostgreSQL."""

from __future__ import annotations

from dobo_engine.store import MetadataStore


def test_locations_are_recorded_per_period_and_filtered_D25(store: MetadataStore) -> None:
    store.record_registered_location(
        "ds-out", "gregorian", "2026-01", {"table": "out", "path": "a/2026-01.parquet"}, run_id="r1", dataset_version=1
    )
    store.record_registered_location(
        "ds-out", "gregorian", "2026-02", {"table": "out", "path": "a/2026-02.parquet"}, run_id="r2"
    )
    store.record_registered_location("ds-other", "gregorian", "2026-01", {"table": "x", "path": "b"})
    assert [loc.period_identifier for loc in store.registered_locations("ds-out")] == ["2026-01", "2026-02"]
    january = store.registered_locations("ds-out", "gregorian", "2026-01")
    assert [(loc.location["path"], loc.run_id, loc.dataset_version) for loc in january] == [
        ("a/2026-01.parquet", "r1", 1)
    ]
    assert store.registered_locations("ds-out", "fiscal") == []


def test_recording_the_same_location_again_refreshes_it_D25(store: MetadataStore) -> None:
    location = {"table": "out", "path": "a/2026-01.parquet"}
    store.record_registered_location("ds-out", "gregorian", "2026-01", location, run_id="r1")
    store.record_registered_location("ds-out", "gregorian", "2026-01", location, run_id="r2", dataset_version=2)
    recorded = store.registered_locations("ds-out", "gregorian", "2026-01")
    assert [(loc.run_id, loc.dataset_version) for loc in recorded] == [("r2", 2)]
