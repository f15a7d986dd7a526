"""Run records: the Run, its snapshot, error detail and write results (entities.md §6)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import StrictBool, StrictInt

from dobo_engine.model.common import DoboModel
from dobo_engine.model.operations import Operation
from dobo_engine.model.resolver import ResolvedLocation
from dobo_engine.settings import CheckpointPolicy

RunStatus = Literal["queued", "running", "completed", "failed", "cancelled"]
TriggerType = Literal["manual", "scheduled", "sensor"]


class PeriodDetails(DoboModel):
    """A Period as a Run used it (D27); descendants in start_date order."""

    RULE: ClassVar[str] = "RUN-2"

    calendar_id: str | None = None
    identifier: str
    level: str
    year: StrictInt
    sequence: StrictInt
    start_date: date
    end_date: date
    descendants: list[PeriodDetails] = []

    def identifiers(self) -> list[str]:
        """This Period's identifier and every descendant's (TMP-1)."""
        return [self.identifier, *(d.identifier for d in self.descendants)]


class ResolverSnapshot(DoboModel):
    RULE: ClassVar[str] = "RUN-3"

    dataset_id: str
    dataset_version: StrictInt
    resolver_id: str
    resolver_version: StrictInt


class ProjectSnapshot(DoboModel):
    """Everything a Run uses, fixed at creation (D13, D26, D27, D32, D36)."""

    RULE: ClassVar[str] = "RUN-2"

    project_id: str
    project_version: StrictInt
    input_dataset_id: str
    input_dataset_version: StrictInt
    materialization: Literal["eager", "runtime"]
    selectors: dict[str, str] = {}
    operations: list[Operation]
    sandbox: StrictBool = False
    as_known_at: date | None = None
    period: PeriodDetails
    clock: datetime
    today: date
    resolver_snapshots: list[ResolverSnapshot] = []
    locations: list[ResolvedLocation] = []
    trace: StrictBool = True
    # D36. A snapshot recorded before the policy existed ran with a checkpoint per operation,
    # so that is what a resume of it must use; new Runs record the setting (default `none`).
    checkpoints: CheckpointPolicy = "operations"


class ValidationFailure(DoboModel):
    """One failed validation rule (validation.md §3)."""

    rule: str
    type: str
    operation_order: StrictInt | None = None
    detail: str
    path: str | None = None
    line: StrictInt | None = None
    column: StrictInt | None = None


class ErrorDetail(DoboModel):
    RULE: ClassVar[str] = "RUN-5"

    operation_order: StrictInt | None = None
    code: str
    message: str
    detail: str | None = None
    rule: str | None = None  # the rule id the error cites, when it cites one
    file: str | None = None  # the file the error is about, when there is one
    failures: list[ValidationFailure] = []  # ValidationFailed only


class OutputDatasetRef(DoboModel):
    operation_order: StrictInt
    dataset_id: str
    dataset_version: StrictInt


class WriteResult(DoboModel):
    """What one `output` wrote (OP-OUT-8)."""

    RULE: ClassVar[str] = "OP-OUT-8"

    operation_order: StrictInt
    destination: dict[str, Any] | str  # as resolved: a URI/path, or {datasource_id, table|path, schema}
    sandboxed: StrictBool
    rows_written: StrictInt
    columns: list[str]
    register_as: str | None = None


class Run(DoboModel):
    RULE: ClassVar[str] = "RUN-10"

    id: str
    project_id: str
    project_version: StrictInt
    period_id: str
    period_identifier: str
    status: RunStatus
    sandbox: StrictBool = False
    trigger_type: TriggerType = "manual"
    triggered_by: str | None = None
    as_known_at: date | None = None
    snapshot: ProjectSnapshot
    last_completed_operation: StrictInt | None = None
    attempt: StrictInt = 1
    error: ErrorDetail | None = None
    output_datasets: list[OutputDatasetRef] = []
    parent_run_id: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
