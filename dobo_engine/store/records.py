"""What the metadata store returns: frozen records holding plain values.

Content, system state, snapshots and errors are plain dicts decoded fresh
from the database on every read, so callers may not change what is stored
by changing a record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

Outcome = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class PutResult:
    kind: str
    id: str
    version: int
    outcome: Outcome


@dataclass(frozen=True)
class StoredEntity:
    kind: str
    id: str
    version: int  # the version this record shows
    latest_version: int
    status: str | None
    is_default: bool
    system: dict[str, Any]  # system-managed state (pinned versions, conflict report, ...)
    content: dict[str, Any]  # the authored content of `version`
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class PeriodRecord:
    id: str
    calendar_id: str
    identifier: str
    name: str
    description: str | None
    level: str
    year: int
    sequence: int
    start_date: dt.date
    end_date: dt.date
    parent: str | None
    status: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class RunRecord:
    id: str
    project_id: str
    project_version: int
    calendar_id: str
    period_id: str | None
    period_identifier: str
    status: str
    sandbox: bool
    trigger_type: str
    triggered_by: str | None
    as_known_at: dt.date | None
    snapshot: dict[str, Any]
    last_completed_operation: int | None
    attempt: int
    error: dict[str, Any] | None
    output_datasets: list[dict[str, Any]]
    parent_run_id: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    heartbeat_at: dt.datetime | None = None  # last lease renewal by the executing process
    lease_owner: str | None = None  # host:pid of that process
    cancel_requested_at: dt.datetime | None = None  # RUN-8: stop at the next operation boundary
    warnings: list[dict[str, Any]] | None = None  # e.g. rows labelled with another Period (TMP-1)


@dataclass(frozen=True)
class RegisteredLocation:
    dataset_id: str
    calendar_id: str
    period_identifier: str
    location: dict[str, Any]
    dataset_version: int | None
    run_id: str | None
    created_at: dt.datetime
