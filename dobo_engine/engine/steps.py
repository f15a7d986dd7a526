"""What the executor knows of a step: its report, and the side outputs of a plan's steps (D36).

A step built on the lazy plan is a :class:`PendingStep` until it is collected;
:class:`SideOutputs` collects the counts and trace events of a plan's steps in
the same pass as whatever the plan materialises, and turns them into
:class:`StepReport`s (what `dobo run` prints and Dagster records).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from dobo_engine.engine.materialise import collect_together
from dobo_engine.engine.working import WorkingFrame
from dobo_engine.model.run import WriteResult


@dataclass(frozen=True)
class StepReport:
    order: int
    type: str
    name: str | None
    rows_in: int
    rows_changed: int = 0
    rows_created: int = 0
    rows_deleted: int = 0
    seconds: float = 0.0
    trace_file: str | None = None
    write: WriteResult | None = None


@dataclass
class PendingStep:
    """One step built on the plan and not collected yet: the frame after it and its side outputs."""

    order: int
    type: str
    name: str | None
    working: WorkingFrame  # after the step
    previous: WorkingFrame | None  # the frame it started from (None for the load)
    report: pl.LazyFrame  # one row: rows_in, rows_created, and rows_changed or rows_deleted if counted
    events: pl.LazyFrame | None
    seconds: float
    write: WriteResult | None = None
    changed: frozenset[str] | None = None
    counts: pl.LazyFrame | None = None  # the step's own counts, without rows_in (one plan, D36)
    rows_created: int = 0

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return working_schema(self.working)

    def plan_report(self, rows_in: int, counts: dict[str, int], created: int, trace_file: str | None) -> StepReport:
        changed, deleted = counts.get("rows_changed", 0), counts.get("rows_deleted", 0)
        return StepReport(
            self.order, self.type, self.name, rows_in, changed, created, deleted, self.seconds, trace_file, self.write
        )

    def report_with(self, counts: pl.DataFrame, trace_file: str | None) -> StepReport:
        row = counts.row(0, named=True)
        return StepReport(
            self.order,
            self.type,
            self.name,
            int(row["rows_in"]),
            int(row.get("rows_changed") or 0),
            int(row.get("rows_created") or 0),
            int(row.get("rows_deleted") or 0),
            self.seconds,
            trace_file,
            self.write,
        )


@dataclass
class SideOutputs:
    """The counts and trace events of a plan's steps, collected in the pass that collects its outputs (D36).

    `rows_in` is not counted in the plan: only a `delete` hides rows and only
    `aggregate`/`append` add (visible) rows, so each step's input is the
    previous step's plus what it created, less what it deleted.
    """

    steps: list[PendingStep]
    trace: bool
    counts: dict[int, dict[str, int]] = field(default_factory=dict)
    events: dict[int, pl.DataFrame] = field(default_factory=dict)

    def collect_with(self, queries: list[pl.LazyFrame]) -> list[pl.DataFrame]:
        """`queries` and the side outputs not collected yet, in one pass over the plan."""
        pending = [s for s in self.steps if s.order not in self.counts]
        counted = [s for s in pending if s.counts is not None]
        traced = [s for s in pending if self.trace and s.events is not None]
        side = [s.counts for s in counted if s.counts is not None] + [s.events for s in traced if s.events is not None]
        results = collect_together([*queries, *side])
        wanted, counts, events = (
            results[: len(queries)],
            results[len(queries) :],
            results[len(queries) + len(counted) :],
        )
        for step in pending:
            self.counts[step.order] = {}
        for step, frame in zip(counted, counts):
            self.counts[step.order] = {k: int(v or 0) for k, v in frame.row(0, named=True).items()}
        for step, frame in zip(traced, events):
            self.events[step.order] = frame
        return wanted

    def reports(self) -> list[StepReport]:
        reports, visible = [], 0
        for step in self.steps:
            counts = self.counts[step.order]
            created = counts.get("rows_created", step.rows_created)
            rows_in = counts.get("rows_in", visible)
            reports.append(step.plan_report(rows_in, counts, created, None))
            visible = rows_in + created - counts.get("rows_deleted", 0) if step.type != "load" else created
        return reports


def working_schema(working: WorkingFrame) -> dict[str, pl.DataType]:
    schema = working.schema
    return {c: schema[c] for c in working.working_columns}
