"""CalendarMapping: 1:1 Period pairings between two Calendars (entities.md §7)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from dobo_engine.model.common import DoboModel, Entity, EntityId, Issue, NonEmptyStr, Version, repeated


class PeriodPair(DoboModel):
    RULE: ClassVar[str] = "MAP-1"

    source_period: EntityId
    target_period: EntityId


class CalendarMapping(Entity):
    KIND: ClassVar[str] = "calendar_mapping"
    RULE: ClassVar[str] = "MAP-1"
    FIELD_RULES: ClassVar[dict[str, str]] = {"id": "GEN-1", "status": "GEN-3"}

    id: EntityId
    name: NonEmptyStr
    description: str | None = None
    owner: str | None = None
    version: Version | None = None
    status: Literal["active", "disabled"] | None = None
    source_calendar_id: EntityId
    target_calendar_id: EntityId
    mappings: list[PeriodPair]
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def structural_issues(self) -> list[Issue]:
        issues: list[Issue] = []
        if self.source_calendar_id == self.target_calendar_id:
            issues.append(
                Issue(("target_calendar_id",), "InvalidField", "MAP-2", "source and target Calendars must differ")
            )
        if not self.mappings:
            issues.append(Issue(("mappings",), "InvalidField", "MAP-1", "at least one mapping is required"))
        for i, period in repeated([m.source_period for m in self.mappings]):
            issues.append(
                Issue(
                    ("mappings", i, "source_period"),
                    "InvalidField",
                    "MAP-1",
                    f"source_period {period!r} is mapped twice",
                )
            )
        return issues
