"""Run records and the D15 guard (RUN-1, RUN-7, entities §6), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import pytest

from dobo_engine.errors import ConcurrentRunConflict, InvalidField, InvalidTransition, MissingField, RunNotFound
from dobo_engine.store import MetadataStore, RunRecord, open_store

SNAPSHOT = {
    "project_id": "prj",
    "project_version": 3,
    "clock": "2026-02-03T09:15:00.004000Z",
    "rate": Decimal("1.0920"),
}


def run(period: str = "2026-01", project: str = "prj", **extra: Any) -> dict[str, Any]:
    return {
        "project_id": project,
        "project_version": 3,
        "calendar_id": "gregorian",
        "period_identifier": period,
        "snapshot": SNAPSHOT,
        **extra,
    }


def test_a_new_run_is_queued_attempt_1_with_its_snapshot_RUN_2(store: MetadataStore) -> None:
    created = store.create_run(run(triggered_by="ana", as_known_at="2026-01-15"))
    assert created.status == "queued" and created.attempt == 1 and created.sandbox is False
    assert created.trigger_type == "manual" and created.triggered_by == "ana"
    assert created.as_known_at == dt.date(2026, 1, 15)
    assert created.output_datasets == [] and created.error is None
    assert created.created_at.tzinfo is not None
    assert store.get_run(created.id) == created
    assert created.snapshot["rate"] == Decimal("1.0920")


def test_run_fields_are_checked(store: MetadataStore) -> None:
    with pytest.raises(MissingField, match="snapshot"):
        store.create_run({k: v for k, v in run().items() if k != "snapshot"})
    with pytest.raises(InvalidField, match="colour"):
        store.create_run(run(colour="red"))
    with pytest.raises(RunNotFound):
        store.get_run("00000000-0000-0000-0000-000000000000")


def test_the_period_id_is_filled_from_the_stored_period(store: MetadataStore) -> None:
    stored = store.put_period(
        {
            "calendar_id": "gregorian",
            "identifier": "2026-01",
            "name": "January 2026",
            "level": "month",
            "year": 2026,
            "sequence": 1,
            "start_date": "2026-01-01",
            "end_date": "2026-01-31",
        }
    )
    assert store.create_run(run()).period_id == stored.id


def test_a_second_queued_run_of_the_same_project_and_period_is_refused_D15_RUN_1(store: MetadataStore) -> None:
    first = store.create_run(run())
    with pytest.raises(ConcurrentRunConflict) as caught:
        store.create_run(run())
    message = caught.value.render()
    assert "'prj'" in message and "'2026-01'" in message and first.id in message
    assert caught.value.payload == {"run_id": first.id}
    assert [r.id for r in store.list_runs()] == [first.id]


def test_other_periods_and_projects_may_run_at_the_same_time_D15(store: MetadataStore) -> None:
    store.create_run(run())
    store.create_run(run(period="2026-02"))
    store.create_run(run(project="prj-2"))
    store.create_run({**run(), "calendar_id": "fiscal"})  # same identifier, another Calendar (D23)
    assert len(store.list_runs(status=["queued", "running"])) == 4


def _race(create: Any, count: int) -> tuple[list[RunRecord], list[BaseException]]:
    barrier = threading.Barrier(count)
    created: list[RunRecord] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            record = create()
            with lock:
                created.append(record)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return created, errors


def test_twenty_simultaneous_creations_yield_exactly_one_run_D15_RUN_1(store: MetadataStore) -> None:
    created, errors = _race(lambda: store.create_run(run()), 20)
    assert len(created) == 1
    assert len(errors) == 19 and all(isinstance(e, ConcurrentRunConflict) for e in errors), errors
    assert [r.id for r in store.list_runs(project_id="prj")] == [created[0].id]


def test_twenty_processes_worth_of_stores_yield_exactly_one_run_D15(store_url: str, store: MetadataStore) -> None:
    stores = [open_store(store_url) for _ in range(20)]
    try:
        iterator = iter(stores)
        lock = threading.Lock()

        def create() -> RunRecord:
            with lock:
                own = next(iterator)
            return own.create_run(run())

        created, errors = _race(create, 20)
    finally:
        for opened in stores:
            opened.close()
    assert len(created) == 1
    assert all(isinstance(e, ConcurrentRunConflict) for e in errors) and len(errors) == 19, errors


def test_after_the_run_ends_a_new_one_can_be_created_D15(store: MetadataStore) -> None:
    first = store.create_run(run())
    store.update_run(first.id, status="running", started_at=dt.datetime.now(dt.UTC))
    with pytest.raises(ConcurrentRunConflict):
        store.create_run(run())
    done = store.update_run(
        first.id,
        expect_status="running",
        status="completed",
        completed_at=dt.datetime.now(dt.UTC),
        output_datasets=[{"operation_order": 30, "dataset_id": "ds-out", "dataset_version": 1}],
    )
    assert done.status == "completed" and done.output_datasets[0]["dataset_id"] == "ds-out"
    second = store.create_run(run())
    assert second.id != first.id and second.status == "queued"
    assert [r.id for r in store.list_runs(project_id="prj", period_identifier="2026-01")] == [first.id, second.id]


def test_resuming_a_failed_run_is_guarded_like_a_creation_RUN_7_D15(store: MetadataStore) -> None:
    failed = store.create_run(run())
    store.update_run(failed.id, status="failed", error={"operation_order": 20, "code": "WriteFailure", "message": "x"})
    store.create_run(run())  # the slot is free while the first is failed
    with pytest.raises(ConcurrentRunConflict):
        store.update_run(failed.id, expect_status="failed", status="queued", attempt=2, error=None)
    assert store.get_run(failed.id).status == "failed"


def test_expect_status_makes_a_transition_compare_and_set(store: MetadataStore) -> None:
    created = store.create_run(run())
    store.update_run(created.id, expect_status=["queued", "running"], status="cancelled")
    with pytest.raises(InvalidTransition, match="cancelled"):
        store.update_run(created.id, expect_status="queued", status="running")
    with pytest.raises(InvalidField, match="project_id"):
        store.update_run(created.id, project_id="other")
    with pytest.raises(RunNotFound):
        store.update_run("nope", status="running")


def test_list_runs_filters_by_project_period_and_status(store: MetadataStore) -> None:
    a = store.create_run(run())
    b = store.create_run(run(period="2026-02"))
    c = store.create_run(run(project="prj-2"))
    store.update_run(b.id, status="running")
    assert [r.id for r in store.list_runs()] == [a.id, b.id, c.id]
    assert [r.id for r in store.list_runs(project_id="prj")] == [a.id, b.id]
    assert [r.id for r in store.list_runs(period_identifier="2026-02")] == [b.id]
    assert [r.id for r in store.list_runs(status="queued")] == [a.id, c.id]
    assert store.list_runs(project_id="prj", status="completed") == []


# -- liveness: leases, reaping and cancel requests (RUN-5, RUN-8, D15) ---------------------------

LEASE = 30.0


def _lost(record: RunRecord) -> dict[str, Any]:
    return {"code": "WorkerLost", "message": f"lost after {record.last_completed_operation}"}


def _leased(store: MetadataStore, owner: str, heartbeat_age_seconds: float, **extra: Any) -> RunRecord:
    created = store.create_run(run(**extra))
    beat = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=heartbeat_age_seconds)
    return store.update_run(
        created.id,
        expect_status="queued",
        status="running",
        lease_owner=owner,
        heartbeat_at=beat,
        last_completed_operation=20,
    )


def test_a_run_whose_lease_expired_is_failed_once_and_frees_its_period_RUN_5_D15(store: MetadataStore) -> None:
    lost = _leased(store, "host-a:1", heartbeat_age_seconds=LEASE + 5)
    with pytest.raises(ConcurrentRunConflict):
        store.create_run(run())
    moved = store.reap_lost_runs(lease_seconds=LEASE, error_for=_lost)
    assert [r.id for r in moved] == [lost.id]
    assert moved[0].status == "failed" and moved[0].error == {"code": "WorkerLost", "message": "lost after 20"}
    assert moved[0].last_completed_operation == 20  # kept: the Run resumes from its checkpoint (RUN-7)
    assert store.reap_lost_runs(lease_seconds=LEASE, error_for=_lost) == []  # a second observer moves nothing
    assert store.create_run(run()).status == "queued"


def test_two_observers_reaping_at_once_fail_a_lost_run_exactly_once_RUN_5(store_url: str, store: MetadataStore) -> None:
    lost = _leased(store, "host-a:1", heartbeat_age_seconds=LEASE + 5)
    others = [open_store(store_url) for _ in range(4)]
    moved: list[list[RunRecord]] = []
    barrier = threading.Barrier(len(others))

    def observe(other: MetadataStore) -> None:
        barrier.wait()
        moved.append(other.reap_lost_runs(lease_seconds=LEASE, error_for=_lost))

    threads = [threading.Thread(target=observe, args=(other,)) for other in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in others:
        other.close()
    assert sorted(len(m) for m in moved) == [0, 0, 0, 1]
    assert store.get_run(lost.id).status == "failed"


def test_a_live_lease_and_a_run_without_a_lease_are_never_reaped_RUN_5(store: MetadataStore) -> None:
    live = _leased(store, "host-a:1", heartbeat_age_seconds=1)
    unleased = store.update_run(store.create_run(run(period="2026-02")).id, status="running")
    assert store.reap_lost_runs(lease_seconds=LEASE, error_for=_lost) == []
    assert store.get_run(live.id).status == store.get_run(unleased.id).status == "running"


def test_only_the_lease_owner_writes_a_running_run_and_each_write_renews_it(store: MetadataStore) -> None:
    leased = _leased(store, "host-a:1", heartbeat_age_seconds=LEASE - 1)
    assert store.update_running_run(leased.id, lease_owner="host-b:2", last_completed_operation=30) is None
    renewed = store.update_running_run(leased.id, lease_owner="host-a:1", last_completed_operation=30)
    assert renewed is not None and renewed.last_completed_operation == 30
    assert renewed.heartbeat_at > leased.heartbeat_at  # type: ignore[operator]
    assert store.reap_lost_runs(lease_seconds=LEASE, error_for=_lost) == []


def test_cancelling_a_queued_run_is_immediate_RUN_8(store: MetadataStore) -> None:
    queued = store.create_run(run())
    assert store.cancel_run(queued.id, lease_seconds=LEASE).status == "cancelled"
    assert store.create_run(run()).status == "queued"


def test_cancelling_a_live_run_asks_it_to_stop_and_keeps_its_period_busy_RUN_8_D15(store: MetadataStore) -> None:
    live = _leased(store, "host-a:1", heartbeat_age_seconds=1)
    asked = store.cancel_run(live.id, lease_seconds=LEASE)
    assert asked.status == "running" and asked.cancel_requested_at is not None
    with pytest.raises(ConcurrentRunConflict):
        store.create_run(run())
    # A cancelled Run never completes: the final write of its process is refused.
    assert (
        store.update_running_run(live.id, lease_owner="host-a:1", unless_cancel_requested=True, status="completed")
        is None
    )
    done = store.update_running_run(live.id, lease_owner="host-a:1", status="cancelled")
    assert done is not None and done.status == "cancelled"
    assert store.create_run(run()).status == "queued"


def test_cancelling_a_run_whose_process_is_gone_is_immediate_RUN_8(store: MetadataStore) -> None:
    lost = _leased(store, "host-a:1", heartbeat_age_seconds=LEASE + 5)
    assert store.cancel_run(lost.id, lease_seconds=LEASE).status == "cancelled"


def test_a_lost_run_whose_cancel_was_requested_is_reaped_as_cancelled_RUN_8(store: MetadataStore) -> None:
    live = _leased(store, "host-a:1", heartbeat_age_seconds=1)
    store.cancel_run(live.id, lease_seconds=LEASE)
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=LEASE + 5)
    store.update_run(live.id, heartbeat_at=stale)
    (moved,) = store.reap_lost_runs(lease_seconds=LEASE, error_for=_lost)
    assert moved.status == "cancelled" and moved.error is None


def test_a_finished_run_cannot_be_cancelled_RUN_8(store: MetadataStore) -> None:
    done = store.update_run(store.create_run(run()).id, status="completed")
    with pytest.raises(InvalidTransition, match="completed"):
        store.cancel_run(done.id, lease_seconds=LEASE)
