"""The TestResult of one scenario (scenarios.md §7) and failure snapshots."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from dobo_engine.columns import SYSTEM_COLUMNS
from dobo_engine.errors import DoboError
from dobo_engine.harness.compare import plain

SNAPSHOT_YAML_LIMIT = 1000  # §7: paste-ready rows only for small outputs


@dataclass
class TestResult:
    scenario_name: str
    file: str
    status: str = "pass"  # pass | fail | error; error > fail > pass
    warnings: list[str] = field(default_factory=list)
    data_mismatches: list[dict[str, Any]] = field(default_factory=list)
    trace_mismatches: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    snapshot: str | None = None
    notes: list[str] = field(default_factory=list)  # what happened instead, for expected_error failures

    __test__ = False  # not a pytest class

    def fail_if_mismatched(self) -> None:
        if self.status == "pass" and (self.data_mismatches or self.trace_mismatches or self.notes):
            self.status = "fail"

    def set_error(
        self,
        code: str,
        message: str,
        *,
        detail: str | None = None,
        operation_order: int | None = None,
        failures: list[dict[str, Any]] | None = None,
        location: str | None = None,
    ) -> None:
        self.status = "error"
        self.error = {
            "code": code,
            "message": message,
            "detail": detail,
            "operation_order": operation_order,
            "failures": failures or [],
        }
        if location:
            self.error["location"] = location

    def set_error_from(self, err: DoboError, code: str | None = None) -> None:
        loc = err.location
        where = loc.render() or None
        failures = [e.to_dict() for e in getattr(err, "errors", [])]
        self.set_error(
            code or err.code,
            err.message if code is None else f"{err.code}: {err.message}",
            detail=err.detail,
            operation_order=loc.operation_order,
            failures=failures,
            location=where,
        )

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "scenario_name": self.scenario_name,
            "file": self.file,
            "status": self.status,
            "warnings": list(self.warnings),
            "data_mismatches": plain(self.data_mismatches),
            "trace_mismatches": plain(self.trace_mismatches),
        }
        if self.notes:
            data["notes"] = list(self.notes)
        if self.error is not None:
            data["error"] = plain(self.error)
        if self.snapshot is not None:
            data["snapshot"] = self.snapshot
        return data


def _yaml_scalar(value: Any) -> str:
    value = plain(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    text = str(value)
    # Decimal text and dates are written bare: the loader reads them back exactly (D29).
    if _bare_ok(text):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _bare_ok(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d+(\.\d+)?|\d{4}-\d{2}-\d{2}", text))


def rows_yaml(frame: pl.DataFrame) -> str:
    """A paste-ready ``rows:`` block (flow maps, one row per line)."""
    lines = ["rows:"]
    for row in frame.to_dicts():  # at most SNAPSHOT_YAML_LIMIT rows, for a human to paste
        lines.append("  - { " + ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in row.items()) + " }")
    return "\n".join(lines) + "\n"


def write_snapshots(outputs: dict[int, pl.DataFrame], folder: Path, *, keep_system: bool) -> str:
    """Each compared output as Parquet (+ rows YAML when small); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for order, frame in outputs.items():
        frame.write_parquet(folder / f"output-{order}.parquet")
        if frame.height <= SNAPSHOT_YAML_LIMIT:
            shown = frame if keep_system else frame.select([c for c in frame.columns if c not in SYSTEM_COLUMNS])
            (folder / f"output-{order}.yaml").write_text(rows_yaml(shown), encoding="utf-8")
    return str(folder)


__all__ = ["TestResult", "write_snapshots", "rows_yaml"]
