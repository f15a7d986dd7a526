"""Fault injection for the durability tests: stop this process at a named point of a Run.

Off unless the environment asks for it; a deployment never sets these:

- ``DOBO_FAULT_AT=<point>``: the process kills itself (SIGKILL, no clean-up,
  exactly like a lost pod or an OOM kill) when the Run reaches ``<point>``.
- ``DOBO_FAULT_HOLD=<point>`` with ``DOBO_FAULT_RELEASE=<file>``: the process
  waits at ``<point>`` until ``<file>`` exists, so a test can act (cancel,
  start a second Run) while the Run is busy.

Points: ``after-operation:<n>`` (step ``n`` is durable: trace, checkpoint and
``last_completed_operation`` written, RUN-4; ``0`` is the load),
``output-writing:<n>`` (inside the file write of ``output`` operation ``n``:
its data is in the temporary file, which is not yet renamed over the target;
kill only) and ``output-written:<n>`` (the write is done, the step is not
durable yet).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dobo_engine.model.run import WriteResult
from dobo_engine.runner.outputs import DestinationOutputs

KILL_AT = "DOBO_FAULT_AT"
HOLD_AT = "DOBO_FAULT_HOLD"
RELEASE_FILE = "DOBO_FAULT_RELEASE"


def enabled() -> bool:
    return bool(os.environ.get(KILL_AT) or os.environ.get(HOLD_AT))


def reach(point: str) -> None:
    """Act if the environment names this point (see the module docstring); otherwise nothing."""
    if os.environ.get(HOLD_AT) == point:
        release = Path(os.environ.get(RELEASE_FILE) or "")
        while not release.is_file():
            time.sleep(0.05)
    if os.environ.get(KILL_AT) == point:
        os.kill(os.getpid(), signal.SIGKILL)


class FaultingOutputs(DestinationOutputs):
    """The Run's outputs, with the point ``output-written:<n>`` after each write."""

    def write(self, frame: Any, *, operation_order: int, **options: Any) -> WriteResult:
        with _killed_inside_file_writes(f"output-writing:{operation_order}"):
            result = super().write(frame, operation_order=operation_order, **options)
        reach(f"output-written:{operation_order}")
        return result


@contextmanager
def _killed_inside_file_writes(point: str) -> Iterator[None]:
    """At ``point``, die once a file write has its data in the temporary file, before the rename."""
    if os.environ.get(KILL_AT) != point:
        yield
        return
    from dobo_engine.io import storage

    original = storage.fsync_file

    def kill_before_rename(path: str | Path) -> None:
        original(path)
        os.kill(os.getpid(), signal.SIGKILL)

    storage.fsync_file = kill_before_rename
    try:
        yield
    finally:
        storage.fsync_file = original


__all__ = ["FaultingOutputs", "enabled", "reach"]
