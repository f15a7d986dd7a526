"""Project: an ordered pipeline of operations over one input Dataset (entities.md §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import StrictBool

from dobo_engine.model.common import (
    Entity,
    EntityId,
    Expression,
    Issue,
    NonEmptyStr,
    Version,
    identifier_check,
    repeated,
)
from dobo_engine.model.conflict import ConflictReport
from dobo_engine.model.operations import Operation
from dobo_engine.model.orchestration import ProjectOrchestration

ProjectStatus = Literal["draft", "active", "inactive", "conflict"]
RUNNABLE_STATUSES: tuple[str, ...] = ("active", "draft")  # PRJ-10: inactive and conflict Projects do not run


def runs_in_sandbox(status: str | None) -> bool:
    """PRJ-10: only an active Project writes to its real destinations; a draft writes to the sandbox."""
    return status != "active"


SelectorName = Annotated[str, identifier_check("PRJ-3")]


def declared_status_issues(status: str | None) -> list[Issue]:
    """D22 on load: `draft`, `active` and `inactive` may be declared; apply moves the Project there.

    `conflict` is reached only through impact analysis and left only by resolution (PRJ-14/15).
    """
    if status == "conflict":
        return [
            Issue(("status",), "InvalidField", "D22", "`conflict` cannot be declared; resolve the conflict instead")
        ]
    return []


class Project(Entity):
    KIND: ClassVar[str] = "project"
    RULE: ClassVar[str] = "PRJ-2"
    FIELD_RULES: ClassVar[dict[str, str]] = {
        "id": "GEN-1",
        "status": "D22",
        "input_dataset_id": "VAL-018",
        "input_dataset_version": "PRJ-8",
        "calendar_id": "D23",
        "materialization": "LK-6",
        "trace": "D32",
        "dagster": "PRJ-6",
        "selectors": "PRJ-3",
        "resolver_overrides": "RES-9",
        "operations": "VAL-012",
    }

    id: EntityId
    name: NonEmptyStr
    description: str | None = None
    owner: str | None = None
    version: Version | None = None
    status: ProjectStatus | None = None  # declared status (D22); see declared_status_issues
    input_dataset_id: EntityId
    input_dataset_version: Version | None = None
    calendar_id: EntityId | None = None
    materialization: Literal["eager", "runtime"]
    trace: StrictBool = True
    dagster: ProjectOrchestration | None = None  # schedules, sensors, pod resources (off unless declared)
    selectors: dict[SelectorName, Expression] = {}
    resolver_overrides: dict[EntityId, EntityId] = {}
    operations: list[Operation]
    conflict_report: ConflictReport | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def operation(self, order: int) -> Operation | None:
        return next((op for op in self.operations if op.order == order), None)

    def structural_issues(self) -> list[Issue]:
        issues = declared_status_issues(self.status)
        if not self.operations:
            issues.append(Issue(("operations",), "InvalidField", "VAL-018", "a Project needs at least one operation"))
        for i, order in repeated([op.order for op in self.operations]):
            issues.append(
                Issue(
                    ("operations", i, "order"),
                    "DuplicateOperationOrder",
                    "VAL-009",
                    f"order {order} is used by another operation",
                )
            )
        for i, op in enumerate(self.operations):
            issues += op.issues(("operations", i))
        return issues
