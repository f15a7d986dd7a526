"""What validation returns (validation.md §3): failures, warnings, ActivationError.

Failures are collected in one pass (V-3) by a :class:`Collector` and sorted
as §3 says: Project-level ones (no operation order) first, then by
``operation_order``, then by ``path``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dobo_engine.errors import Location, ValidationFailed
from dobo_engine.model.run import ValidationFailure


def op_path(order: int | None, index: int, suffix: str = "") -> str:
    """`operations[order=N].suffix`, or `operations[i]` when the order itself is unusable."""
    head = f"operations[order={order}]" if order is not None else f"operations[{index}]"
    return f"{head}.{suffix}" if suffix else head


def _sort_key(failure: ValidationFailure) -> tuple[int, int, str, int, int]:
    order = failure.operation_order
    return (
        0 if order is None else 1,
        order or 0,
        failure.path or "",
        failure.line or 0,
        failure.column or 0,
    )


@dataclass
class Collector:
    """Failures and warnings found so far; every check appends here and never raises."""

    failures: list[ValidationFailure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def fail(
        self,
        rule: str,
        type_: str,
        order: int | None,
        detail: str,
        path: str | None = None,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.failures.append(
            ValidationFailure(
                rule=rule, type=type_, operation_order=order, detail=detail, path=path, line=line, column=column
            )
        )

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`~dobo_engine.validation.validate_project`."""

    project_id: str | None
    project_version: int | None
    dataset_id: str | None
    dataset_version: int | None
    failures: list[ValidationFailure]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures

    @staticmethod
    def build(collector: Collector, **header: Any) -> ValidationReport:
        return ValidationReport(
            failures=sorted(collector.failures, key=_sort_key), warnings=list(collector.warnings), **header
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "project_id": self.project_id,
            "project_version": self.project_version,
            "dataset_id": self.dataset_id,
            "dataset_version": self.dataset_version,
            "failures": [f.model_dump(mode="json", exclude_none=True) for f in self.failures],
            "warnings": list(self.warnings),
        }

    def render(self) -> str:
        """The report as people read it: one line per failure, then the warnings."""
        count = len(self.failures)
        lines = [
            f"{count} validation failure{'s' if count != 1 else ''} in Project {self.project_id}"
            f" (input {self.dataset_id} v{self.dataset_version}):"
            if count
            else "valid"
        ]
        for f in self.failures:
            where = f.path or ("project" if f.operation_order is None else f"operation {f.operation_order}")
            pos = f" (line {f.line}, column {f.column})" if f.line is not None else ""
            lines.append(f"  {f.rule} {f.type} at {where}{pos}: {f.detail}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def raise_for_failures(self) -> None:
        """Raise :class:`ActivationError` when anything failed (activation, Run start)."""
        if self.failures:
            raise ActivationError(self)


class ActivationError(ValidationFailed):
    """Validation failed (code ``ValidationFailed``, D30); carries the whole report (validation.md §3)."""

    def __init__(self, report: ValidationReport) -> None:
        if not report.failures:
            raise ValueError("an ActivationError needs at least one failure")
        self.report = report
        self.project_id = report.project_id
        self.project_version = report.project_version
        self.dataset_id = report.dataset_id
        self.dataset_version = report.dataset_version
        self.failures = list(report.failures)
        self.warnings = list(report.warnings)
        count = len(self.failures)
        super().__init__(
            f"Project {report.project_id} failed validation with {count} failure{'s' if count != 1 else ''}",
            detail=report.render(),
            rule="V-1",
            location=Location(),
        )

    def render(self) -> str:
        if not hasattr(self, "report"):
            return super().render()
        return f"{self.code}: {self.message}\n{self.report.render()}"

    def to_dict(self) -> dict[str, Any]:
        body = self.report.to_dict()
        body.pop("ok")
        return {"code": self.code, "message": self.message, **body}
