"""The lease a process holds on the Run it executes: liveness, cancel requests, and guarded writes.

While a process executes a Run it renews the Run's lease (``heartbeat_at``)
from a background thread every third of the lease. Every write it makes to
the Run goes through :meth:`RunLease.write`, which succeeds only while the
lease is still its own; so once a Run was reaped as lost (and perhaps
resumed by another process), the old process can no longer touch it. At
each operation boundary :meth:`RunLease.check` stops the Run if a cancel was
requested (RUN-8) or the lease was lost.

A Run executed without a lease (``owner`` None: one Dagster op per process,
where Dagster watches the process) gets the same guarded writes and cancel
checks, with no heartbeat.
"""

from __future__ import annotations

import os
import socket
import threading
from types import TracebackType
from typing import Any, Literal

from dobo_engine.store.api import MetadataStore
from dobo_engine.store.records import RunRecord

StopReason = Literal["cancelled", "lost"]


def lease_owner() -> str:
    """Who holds a lease: this host and process (host:pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class RunStopped(Exception):
    """The Run must stop here: its cancel was requested (RUN-8) or its lease is no longer this process's."""

    def __init__(self, reason: StopReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class RunLease:
    def __init__(self, store: MetadataStore, run_id: str, owner: str | None, lease_seconds: float) -> None:
        self.store = store
        self.run_id = run_id
        self.owner = owner
        self.interval = max(lease_seconds / 3, 0.05)
        self.stop_reason: StopReason | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the heartbeat ----------------------------------------------------------------

    def __enter__(self) -> RunLease:
        if self.owner is not None:
            self._thread = threading.Thread(target=self._beat, name=f"dobo-lease-{self.run_id}", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval * 2 + 5)

    def _beat(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                record = self.store.update_running_run(self.run_id, lease_owner=self.owner)
            except Exception:  # noqa: BLE001 - a store hiccup: the lease spans several beats, try again
                continue
            self._observe(record)

    # -- writes and boundaries --------------------------------------------------------------

    def write(self, **fields: Any) -> RunRecord:
        """Write fields of the running Run while the lease is ours (renewing it); `RunStopped` if it is not."""
        record = self.store.update_running_run(self.run_id, lease_owner=self.owner, **fields)
        self._observe(record)
        if record is None:
            raise self._stopped("lost")
        return record

    def finish(self, **fields: Any) -> RunRecord | None:
        """The last write of a Run that was not asked to stop (status completed/failed); None if it was."""
        return self.store.update_running_run(
            self.run_id, lease_owner=self.owner, unless_cancel_requested=True, **fields
        )

    def check(self) -> None:
        """At an operation boundary: `RunStopped` if a cancel was requested or the lease was lost."""
        if self.stop_reason is not None:
            raise self._stopped(self.stop_reason)

    def _observe(self, record: RunRecord | None) -> None:
        if record is None:
            self.stop_reason = "lost"
        elif record.cancel_requested_at is not None and self.stop_reason is None:
            self.stop_reason = "cancelled"

    def _stopped(self, reason: StopReason) -> RunStopped:
        if reason == "cancelled":
            return RunStopped(reason, f"Run {self.run_id} was cancelled; it stopped at an operation boundary")
        return RunStopped(
            reason,
            f"Run {self.run_id} is no longer held by this process ({self.owner or 'no lease'}): "
            "it was reaped as lost or finished elsewhere; this process stops without "
            "touching it",
        )


__all__ = ["RunLease", "RunStopped", "lease_owner"]
