"""Run records around the lifecycle (RUN-1, RUN-7, V-1, D15) and Period/Calendar status (PER-3, PER-5, CAL-5)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dobo_engine.catalog.apply import apply_catalog
from dobo_engine.cli.main import cli
from dobo_engine.errors import (
    ConcurrentRunConflict,
    DoboError,
    InvalidTransition,
    PeriodNotRunnable,
)
from dobo_engine.lifecycle import move_calendar, move_period, set_enabled
from dobo_engine.model.calendar_generation import generate_range
from dobo_engine.model.documents import authored_content
from dobo_engine.runner.service import RunService
from dobo_engine.settings import Settings
from dobo_engine.store import MetadataStore
from dobo_engine.store.catalog_reader import StoreCatalog

from .conftest import EXAMPLE

THREADS = 20


def _with_periods(store: MetadataStore) -> MetadataStore:
    apply_catalog(store, EXAMPLE)
    with store.transaction() as tx:
        catalog = StoreCatalog(tx)
        result = generate_range(catalog.calendar("finance"), 2026, 2026, catalog.periods("finance"))
        for period in result.periods:
            tx.put_period(authored_content(period))
    return store


def test_only_one_of_20_simultaneous_creations_wins_D15(store: MetadataStore) -> None:
    service = RunService(_with_periods(store), Settings.from_env())
    barrier = threading.Barrier(THREADS)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def create() -> None:
        barrier.wait()
        try:
            found: Any = service.create_run("prj-fx-usd", "2026-01")
        except DoboError as err:
            found = err
        with lock:
            outcomes.append(found)

    threads = [threading.Thread(target=create) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    created = [o for o in outcomes if not isinstance(o, DoboError)]
    refused = [o for o in outcomes if isinstance(o, DoboError)]
    assert len(outcomes) == THREADS and len(created) == 1
    assert all(isinstance(err, ConcurrentRunConflict) for err in refused), {type(e).__name__ for e in refused}
    assert [r.id for r in store.list_runs(project_id="prj-fx-usd")] == [created[0].id]


def test_run_of_a_project_that_became_invalid_fails_before_the_first_operation_V_1(store: MetadataStore) -> None:
    service = RunService(_with_periods(store), Settings.from_env())
    run = service.create_run("prj-fx-usd", "2026-01")
    set_enabled(store, "dataset", "ds-fx", False)  # the RuntimeJoin of operation 10 may no longer be used
    final = service.execute(run.id)
    assert final.status == "failed" and final.last_completed_operation is None
    error = final.error or {}
    assert (error["code"], error["operation_order"]) == ("ValidationFailed", None)
    assert [(f["type"], f["operation_order"]) for f in error["failures"]] == [("UnresolvedDatasetRef", 10)]
    # RUN-7: a resume is refused once the Period is locked.
    move_period(store, "finance", "2026-01", "close")
    move_period(store, "finance", "2026-01", "lock")
    with pytest.raises(PeriodNotRunnable):
        service.resume(run.id)


def test_period_status_is_one_way_PER_3(store: MetadataStore) -> None:
    _with_periods(store)
    assert move_period(store, "finance", "2026-01", "close").status == "closed"
    assert move_period(store, "finance", "2026-01", "close").changed is False  # already so: a no-op
    with pytest.raises(InvalidTransition):
        move_period(store, "finance", "2026-02", "lock")  # open → locked skips closed
    assert move_period(store, "finance", "2026-01", "lock").status == "locked"
    with pytest.raises(InvalidTransition):
        move_period(store, "finance", "2026-01", "close")  # never unlocked
    assert store.get_period("finance", "2026-Q1").status == "open"  # no cascade


def test_calendar_status_is_one_way_CAL_5(store: MetadataStore) -> None:
    _with_periods(store)
    assert move_calendar(store, "finance", "activate").changed is False
    assert move_calendar(store, "finance", "deprecate").status == "deprecated"
    with pytest.raises(InvalidTransition):
        move_calendar(store, "finance", "activate")


def _dobo(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_status_commands_and_run_on_a_locked_period(dobo_home: Path) -> None:
    assert _dobo("apply", str(EXAMPLE)).exit_code == 0
    assert _dobo("periods", "generate", "finance", "--from-year", "2026", "--to-year", "2026").exit_code == 0
    assert _dobo("periods", "lock", "finance", "2026-02").exit_code == 2  # open: close first
    closed = _dobo("periods", "close", "finance", "2026-02", "--json")
    assert closed.exit_code == 0 and json.loads(closed.stdout)["status"] == "closed"
    assert _dobo("periods", "lock", "finance", "2026-02").exit_code == 0
    assert _dobo("periods", "close", "finance", "2026-02").exit_code == 2
    assert _dobo("periods", "close", "finance", "2031-01").exit_code == 2  # unknown Period
    refused = _dobo("run", "prj-fx-usd", "--period", "2026-02")
    assert refused.exit_code == 2 and "PeriodNotRunnable" in refused.output
    assert json.loads(_dobo("runs", "--json").stdout) == []
    assert _dobo("calendar", "activate", "finance").exit_code == 0  # already active
    assert _dobo("calendar", "deprecate", "finance").exit_code == 0
    assert _dobo("calendar", "activate", "finance").exit_code == 2
    disabled = _dobo("disable", "dataset", "ds-budgets", "--json")
    assert disabled.exit_code == 0 and json.loads(disabled.stdout)["status"] == "disabled"
    assert _dobo("enable", "dataset", "ds-budgets").exit_code == 0
    assert _dobo("disable", "resolver", "nope").exit_code == 2
    assert _dobo("disable", "project", "prj-fx-usd").exit_code == 2
    for args in (("periods", "close"), ("periods", "lock"), ("calendar", "activate"), ("calendar", "deprecate")):
        help_text = _dobo(*args, "--help")
        assert help_text.exit_code == 0 and "Example" in help_text.output
