"""Calendar and Period (entities.md §3)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, StrictBool, StrictInt, model_validator

from dobo_engine.model.common import (
    ID_RE,
    DoboModel,
    Entity,
    EntityId,
    Identifier,
    Issue,
    NonEmptyStr,
    Version,
    fail,
    positive,
    repeated,
)

# Days per month in a leap year: 29 February is a valid rule day (CAL-4 clamps it).
LEAP_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
PATTERN_TOKENS = ("year", "sequence", "parent_identifier")
_TOKEN_RE = re.compile(r"\{([^{}]*)\}")
_SPEC_RE = re.compile(r"0?[1-9]?d")  # optional zero padding: {sequence:02d}


def pattern_tokens(pattern: str) -> list[tuple[str, str]]:
    """(name, format spec) of each `{...}` token of an identifier pattern."""
    return [(body.partition(":")[0], body.partition(":")[2]) for body in _TOKEN_RE.findall(pattern)]


def render_pattern(pattern: str, year: int, sequence: int, parent_identifier: str | None) -> str:
    """Render an identifier pattern (CAL-3); the pattern must have been checked."""
    values = {"year": year, "sequence": sequence, "parent_identifier": parent_identifier or ""}

    def token(match: re.Match[str]) -> str:
        name, _, spec = match.group(1).partition(":")
        return format(values[name], spec) if spec else str(values[name])

    return _TOKEN_RE.sub(token, pattern)


def _check_pattern(pattern: str) -> str:
    for name, spec in pattern_tokens(pattern):
        if name not in PATTERN_TOKENS:
            raise fail(
                "InvalidField",
                "CAL-3",
                f"unknown token {{{name}}} in {pattern!r} (allowed: year, sequence, parent_identifier)",
            )
        if spec and (name == "parent_identifier" or not _SPEC_RE.fullmatch(spec)):
            raise fail(
                "InvalidField",
                "CAL-3",
                f"format {{{name}:{spec}}} is not supported (only zero padding such as {{sequence:02d}})",
            )
    rest = _TOKEN_RE.sub("", pattern)
    if "{" in rest or "}" in rest:
        raise fail("InvalidField", "CAL-3", f"unbalanced brace in {pattern!r}")
    if not ID_RE.fullmatch(render_pattern(pattern, 2026, 1, "P")):
        raise fail(
            "InvalidField", "CAL-3", f"{pattern!r} does not render identifiers matching [A-Za-z0-9][A-Za-z0-9._-]*"
        )
    return pattern


IdentifierPattern = Annotated[str, AfterValidator(_check_pattern)]


class DateRule(DoboModel):
    RULE: ClassVar[str] = "CAL-4"

    sequence: Annotated[StrictInt, positive("CAL-8")]
    start_month: StrictInt
    start_day: StrictInt
    end_month: StrictInt
    end_day: StrictInt

    @model_validator(mode="after")
    def _valid_days(self) -> DateRule:
        for side in ("start", "end"):
            month: int = getattr(self, f"{side}_month")
            day: int = getattr(self, f"{side}_day")
            if not 1 <= month <= 12:
                raise fail("InvalidField", "CAL-4", f"{side}_month {month} is not a month (1-12)", f"{side}_month")
            if not 1 <= day <= LEAP_MONTH_DAYS[month - 1]:
                raise fail("InvalidField", "CAL-4", f"{side}_day {day} does not exist in month {month}", f"{side}_day")
        return self


class LevelDef(DoboModel):
    RULE: ClassVar[str] = "CAL-2"

    name: Identifier
    parent_level: Identifier | None = None
    identifier_pattern: IdentifierPattern | None = None
    date_rules: list[DateRule] | None = None

    def level_issues(self, path: tuple[str | int, ...]) -> list[Issue]:
        return [
            Issue(
                (*path, "date_rules", i, "sequence"),
                "InvalidField",
                "CAL-8",
                f"duplicate sequence {seq} in level {self.name!r}",
            )
            for i, seq in repeated([r.sequence for r in self.date_rules or []])
        ]


class Calendar(Entity):
    KIND: ClassVar[str] = "calendar"
    RULE: ClassVar[str] = "CAL-2"
    FIELD_RULES: ClassVar[dict[str, str]] = {"id": "GEN-1", "status": "CAL-5", "is_default": "CAL-1"}

    id: EntityId
    name: NonEmptyStr
    description: str | None = None
    version: Version | None = None
    status: Literal["draft", "active", "deprecated"] | None = None
    is_default: StrictBool | None = None  # omitted = unchanged (D31)
    levels: list[LevelDef]
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def level(self, name: str) -> LevelDef | None:
        return next((lv for lv in self.levels if lv.name == name), None)

    def root_level(self) -> LevelDef | None:
        roots = [lv for lv in self.levels if lv.parent_level is None]
        return roots[0] if len(roots) == 1 else None

    def leaf_level(self) -> LevelDef | None:
        """The finest level: the deepest level that is no other level's parent (root-first order)."""
        parents = {lv.parent_level for lv in self.levels}
        leaves = [lv for lv in self.levels_root_first() if lv.name not in parents]
        return leaves[-1] if leaves else None

    def levels_root_first(self) -> list[LevelDef]:
        """Levels ordered so that every parent comes before its children."""
        ordered: list[LevelDef] = []
        frontier = [lv for lv in self.levels if lv.parent_level is None]
        while frontier:
            ordered += frontier
            names = {lv.name for lv in frontier}
            frontier = [lv for lv in self.levels if lv.parent_level in names]
        return ordered

    def structural_issues(self) -> list[Issue]:
        issues: list[Issue] = []
        if not self.levels:
            return [Issue(("levels",), "InvalidField", "CAL-2", "a Calendar needs at least one level")]
        names = [lv.name for lv in self.levels]
        for index, name in repeated(names):
            issues.append(Issue(("levels", index, "name"), "InvalidField", "CAL-2", f"duplicate level name {name!r}"))
        roots = [i for i, lv in enumerate(self.levels) if lv.parent_level is None]
        if len(roots) != 1:
            found = ", ".join(repr(self.levels[i].name) for i in roots) or "none"
            issues.append(
                Issue(
                    ("levels",),
                    "InvalidField",
                    "CAL-2",
                    f"exactly one root level (without parent_level) is required; found {found}",
                )
            )
        for index, level in enumerate(self.levels):
            issues += level.level_issues(("levels", index))
            if level.parent_level is not None and (level.parent_level not in names or level.parent_level == level.name):
                issues.append(
                    Issue(
                        ("levels", index, "parent_level"),
                        "InvalidField",
                        "CAL-2",
                        f"parent_level {level.parent_level!r} is not another level of the Calendar",
                    )
                )
        if not issues and len(self.levels_root_first()) != len(self.levels):
            issues.append(Issue(("levels",), "InvalidField", "CAL-2", "parent_level links form a cycle"))
        return issues


RUNNABLE_PERIOD_STATUSES: tuple[str, ...] = ("open", "closed")  # PER-5: a locked Period is never run again


class Period(Entity):
    KIND: ClassVar[str] = "period"
    RULE: ClassVar[str] = "PER-1"
    FIELD_RULES: ClassVar[dict[str, str]] = {"status": "PER-3", "identifier": "GEN-1", "calendar_id": "GEN-1"}
    SYSTEM_FIELDS: ClassVar[frozenset[str]] = Entity.SYSTEM_FIELDS | {"id"}

    id: str | None = None
    calendar_id: EntityId
    identifier: EntityId
    name: NonEmptyStr
    description: str | None = None
    level: Identifier
    year: Annotated[StrictInt, positive("CAL-8", 9999)]
    sequence: Annotated[StrictInt, positive("CAL-8")]
    start_date: date
    end_date: date
    parent: EntityId | None = None
    status: Literal["open", "closed", "locked"] | None = None
    version: Version | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @model_validator(mode="after")
    def _ordered_dates(self) -> Period:
        if self.start_date > self.end_date:
            raise fail(
                "InvalidField", "PER-1", f"start_date {self.start_date} is after end_date {self.end_date}", "end_date"
            )
        return self

    def contains(self, other: Period) -> bool:
        return self.start_date <= other.start_date and other.end_date <= self.end_date
