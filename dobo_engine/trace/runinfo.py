"""What the trace reader needs to know about a Run, and which steps it may read (trace.md §4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dobo_engine.errors import Location, RunNotFinished, StepOutOfRange, TraceDisabled
from dobo_engine.trace.format import LOAD, OUTPUT

FINISHED = frozenset({"completed", "failed", "cancelled"})
UNFINISHED = frozenset({"queued", "running"})


@dataclass(frozen=True)
class RunInfo:
    """A Run as the trace sees it: taken from the Run record and its snapshot.

    ``operation_types`` maps every operation ``order`` of the snapshot to its
    type (``output`` included); ``operation_orders`` are those orders, sorted.

    >>> from datetime import datetime, timezone
    >>> types = {10: "update", 20: "delete", 30: "output"}
    >>> done = RunInfo("run-1", "completed", datetime(2026, 2, 1, tzinfo=timezone.utc), types)
    >>> done.valid_steps(), done.traced_steps()  # an output has no trace file
    ([0, 10, 20, 30], [0, 10, 20])

    A failed Run is readable up to its last completed operation:

    >>> failed = RunInfo("run-2", "failed", datetime(2026, 2, 1), types, last_completed_operation=10)
    >>> failed.valid_steps()
    [0, 10]
    >>> failed.check_step(20)
    Traceback (most recent call last):
    ...
    dobo_engine.errors.StepOutOfRange: ...step 20 is past the last completed operation of this failed Run...
    """

    run_id: str
    status: str
    clock: datetime
    operation_types: Mapping[int, str] = field(default_factory=dict)
    last_completed_operation: int | None = None
    trace_enabled: bool = True

    def __post_init__(self) -> None:
        if self.status not in FINISHED | UNFINISHED:
            raise ValueError(f"unknown Run status {self.status!r}")
        if 0 in self.operation_types:
            raise ValueError("order 0 is the load; project operations start at 1 (TR-2)")
        # Every timestamp a Run writes is the Run clock in UTC (OP-SYS-1).
        clock = self.clock if self.clock.tzinfo else self.clock.replace(tzinfo=UTC)
        object.__setattr__(self, "clock", clock.astimezone(UTC))
        object.__setattr__(self, "operation_types", {int(k): v for k, v in self.operation_types.items()})

    @property
    def operation_orders(self) -> list[int]:
        return sorted(self.operation_types)

    def operation_type(self, step: int) -> str:
        return LOAD if step == 0 else self.operation_types[step]

    def valid_steps(self) -> list[int]:
        """0 and every snapshot order, cut at the last completed operation unless completed."""

        if self.status == "completed":
            return [0, *self.operation_orders]
        last = self.last_completed_operation
        if last is None:
            return []  # failed or cancelled before the load finished
        return [0, *(o for o in self.operation_orders if o <= last)]

    def traced_steps(self, upto: int | None = None) -> list[int]:
        """Readable steps that have a trace file (``output`` has none, TR-7)."""

        return [s for s in self.valid_steps() if (upto is None or s <= upto) and self.operation_type(s) != OUTPUT]

    def check_readable(self) -> None:
        if self.status in UNFINISHED:
            raise RunNotFinished(
                f"Run {self.run_id} is {self.status}; its trace is readable once it is completed, failed or cancelled",
                rule="trace.md §4",
            )
        if not self.trace_enabled:
            raise TraceDisabled(
                f"Run {self.run_id} was made with the trace switched off; it has no trace to read",
                rule="D32",
            )

    def check_step(self, step: int) -> None:
        valid = self.valid_steps()
        if step in valid:
            return
        listed = ", ".join(str(s) for s in valid) if valid else "none (the load did not finish)"
        if step in self.operation_types and self.status != "completed":
            why = f"step {step} is past the last completed operation of this {self.status} Run"
        else:
            why = f"step {step} is neither 0 nor an operation order of Run {self.run_id}"
        raise StepOutOfRange(
            why, detail=f"valid steps: {listed}", location=Location(operation_order=step), rule="trace.md §4"
        )
