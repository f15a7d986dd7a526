"""ConflictReport: breaking changes of a new input-Dataset version (PRJ-12..15)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import StrictInt

from dobo_engine.model.common import DoboModel, Version


class BreakingChange(DoboModel):
    RULE: ClassVar[str] = "PRJ-12"

    column: str  # lookup columns as alias.column
    change_type: Literal["removed", "renamed", "type_changed"]
    new_name: str | None = None  # renamed only
    affected_operations: list[StrictInt] = []
    resolution: Literal["adapted", "pinned"] | None = None  # set on resolution (PRJ-15)


class ConflictReport(DoboModel):
    RULE: ClassVar[str] = "PRJ-14"

    dataset_version_from: Version
    dataset_version_to: Version
    breaking_changes: list[BreakingChange]
