"""Comparing a Dagster-executed Run with a `dobo run` of the same Project and Period."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dobo_engine.engine import pipeline
from dobo_engine.errors import OperationFailure
from dobo_engine.runner.service import RunService
from dobo_engine.settings import Settings
from dobo_engine.store.api import open_store

# Depend on the run id or clock, which differ between two Runs by design (D26).
RUN_SPECIFIC = {
    "_row_id",
    "_created_by_run_id",
    "_created_at",
    "_updated_at",
    "run_id",
    "event_id",
    "row_id",
    "row_id_hi",  # `row_id` of updated/deleted trace files, as two integers (D37)
    "row_id_lo",
    "recorded_at",
}


def service() -> RunService:
    settings = Settings.from_env()
    return RunService(open_store(settings.metadata_url), settings)


def dobo_run(project_id: str, period: str) -> str:
    svc = service()
    record = svc.create_run(project_id, period)
    final = svc.execute(record.id)
    assert final.status == "completed", final.error
    return record.id


def _strip(value: object) -> object:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in RUN_SPECIFIC}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def comparable(frame: pl.DataFrame) -> list[str]:
    """The rows without run-specific values, in a stable order (frames may hold structs and lists)."""
    return sorted(repr(_strip(row)) for row in frame.to_dicts())


def outputs_of(run_id: str) -> dict[str, list[str]]:
    """What a Run wrote: its sandbox files, or the files at the (shared) destinations, read now."""
    settings = Settings.from_env()
    found = {}
    sandbox, destinations = Path(settings.sandbox_root), Path(settings.output_root)
    for path in sandbox.rglob("*.parquet") if sandbox.exists() else []:
        if run_id in str(path):
            found[path.name] = comparable(pl.read_parquet(path))
    if not found and destinations.exists():
        for path in destinations.rglob("*.parquet"):
            found[str(path.relative_to(destinations))] = comparable(pl.read_parquet(path))
    return found


def trace_of(run_id: str) -> dict[str, list[str]]:
    folder = Path(Settings.from_env().trace_root) / f"run_id={run_id}"
    return {p.name: comparable(pl.read_parquet(p)) for p in sorted(folder.glob("*.parquet"))}


def assert_same_as_dobo_run(run_a: str, project_id: str, period: str) -> None:
    """Run `dobo run` for the same Project and Period and compare outputs and trace with `run_a`."""
    outs_a = outputs_of(run_a)  # read before the second Run overwrites shared destinations
    run_b = dobo_run(project_id, period)
    outs_b = outputs_of(run_b)
    assert outs_a and outs_a.keys() == outs_b.keys()
    for name in outs_a:
        assert outs_a[name] == outs_b[name], name
    trace_a, trace_b = trace_of(run_a), trace_of(run_b)
    assert trace_a.keys() == trace_b.keys()
    for name in trace_a:
        assert trace_a[name] == trace_b[name], (name, run_a, run_b)


def inject_failure(patch: pytest.MonkeyPatch, order: int) -> None:
    """Operation `order` (an update) fails while `patch` (a monkeypatch context) is open."""
    real = pipeline.APPLY["update"]

    def failing(op, working, ctx):  # type: ignore[no-untyped-def]
        if op.order == order:
            raise OperationFailure("injected failure")
        return real(op, working, ctx)

    patch.setitem(pipeline.APPLY, "update", failing)
