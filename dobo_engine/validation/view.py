"""The Project as validation reads it: header fields plus each operation as plain data.

Validation accepts a parsed :class:`Project` or the raw mapping under a
document's `project:` key. Working on plain data lets one pass report shape
mistakes that a parsed Project cannot even hold (an unknown `type`, a `_`
target, a `selector` on `append`) as VAL-012/VAL-013 failures next to every
other failure, instead of stopping at the first parse error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from dobo_engine.errors import DoboErrors, Location, error_class
from dobo_engine.model.common import Issue
from dobo_engine.model.operations import OPERATION_TYPES
from dobo_engine.model.project import Project
from dobo_engine.model.pydantic_errors import issues_from_validation_error
from dobo_engine.model.yaml_loader import format_path


@dataclass
class OperationView:
    """One operation: its position, its `order` when usable, and its content as plain data."""

    index: int
    order: int | None
    type: str | None
    raw: dict[str, Any]
    shape_issues: list[Issue] = field(default_factory=list)  # pydantic findings, paths relative to the op

    @property
    def known_type(self) -> bool:
        return self.type in OPERATION_TYPES

    @property
    def params(self) -> dict[str, Any]:
        value = self.raw.get("parameters")
        return value if isinstance(value, dict) else {}


@dataclass
class ProjectView:
    id: str | None
    version: int | None
    status: str | None
    input_dataset_id: str | None
    input_dataset_version: int | None
    calendar_id: str | None
    selectors: dict[str, str]
    resolver_overrides: dict[str, str]
    operations: list[OperationView]


def _order_of(raw: Mapping[str, Any]) -> int | None:
    order = raw.get("order")
    return order if isinstance(order, int) and not isinstance(order, bool) else None


def _operation(index: int, raw: Any) -> OperationView:
    data = dict(raw) if isinstance(raw, Mapping) else {}
    kind = data.get("type")
    return OperationView(index, _order_of(data), kind if isinstance(kind, str) else None, data)


def from_project(project: Project) -> ProjectView:
    ops = [
        _operation(i, op.model_dump(mode="python", exclude_none=True, exclude={"name"}))
        for i, op in enumerate(project.operations)
    ]
    return ProjectView(
        id=project.id,
        version=project.version,
        status=project.status,
        input_dataset_id=project.input_dataset_id,
        input_dataset_version=project.input_dataset_version,
        calendar_id=project.calendar_id,
        selectors=dict(project.selectors),
        resolver_overrides=dict(project.resolver_overrides),
        operations=ops,
    )


def from_mapping(body: Mapping[str, Any]) -> ProjectView:
    """A view of a raw Project body; fields outside `operations` must be well formed (else DoboErrors)."""
    data = dict(body)
    raw_ops = data.get("operations")
    ops = [_operation(i, raw) for i, raw in enumerate(raw_ops)] if isinstance(raw_ops, list) else []
    try:
        Project.model_validate(data)
        issues: list[Issue] = []
    except ValidationError as exc:
        issues = issues_from_validation_error(exc, Project, data)
    header_errors = []
    for issue in issues:
        if len(issue.path) >= 2 and issue.path[0] == "operations" and isinstance(issue.path[1], int):
            ops[issue.path[1]].shape_issues.append(Issue(issue.path[2:], issue.code, issue.rule, issue.message))
        else:
            header_errors.append(
                error_class(issue.code)(
                    issue.message, rule=issue.rule, location=Location(path=format_path(("project", *issue.path)))
                )
            )
    if header_errors:  # not a Project at all: bad input rather than a validation failure
        raise DoboErrors(header_errors)
    return ProjectView(
        id=data.get("id"),
        version=data.get("version"),
        status=data.get("status"),
        input_dataset_id=data.get("input_dataset_id"),
        input_dataset_version=data.get("input_dataset_version"),
        calendar_id=data.get("calendar_id"),
        selectors=dict(data.get("selectors") or {}),
        resolver_overrides=dict(data.get("resolver_overrides") or {}),
        operations=ops,
    )


def project_view(project: Project | Mapping[str, Any]) -> ProjectView:
    return from_project(project) if isinstance(project, Project) else from_mapping(project)
