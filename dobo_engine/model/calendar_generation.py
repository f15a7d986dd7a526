"""Period generation from a Calendar's levels and date rules (CAL-4, CAL-8).

Dates of a non-root rule are placed in the Calendar year that the root Period
of ``year`` starts: with a root running 1 April to 31 March, a January rule
falls in ``year + 1``, so fiscal quarters and months land inside their fiscal
year. For a root starting 1 January this is exactly "the rule's dates in
``year``".
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from dobo_engine.errors import CalendarGenerationError, Location
from dobo_engine.model.calendar import Calendar, DateRule, LevelDef, Period, render_pattern
from dobo_engine.model.common import ID_RE

_MONTHS = [
    ("Jan", 31),
    ("Feb", 29),
    ("Mar", 31),
    ("Apr", 30),
    ("May", 31),
    ("Jun", 30),
    ("Jul", 31),
    ("Aug", 31),
    ("Sep", 30),
    ("Oct", 31),
    ("Nov", 30),
    ("Dec", 31),
]


@dataclass
class GenerationResult:
    periods: list[Period]  # new Periods, root level first
    skipped: list[str]  # levels skipped, with the reason (CAL-8)
    unchanged: list[str] = field(default_factory=list)  # identifiers of existing Periods left as they are


def _error(calendar: Calendar, message: str) -> CalendarGenerationError:
    return CalendarGenerationError(
        f"calendar {calendar.id!r}: {message}", rule="CAL-8", location=Location(path=f"calendar {calendar.id}")
    )


def rule_date(year: int, month: int, day: int) -> date:
    """CAL-4: 29 February falls on 28 February in non-leap years; nothing else is clamped."""
    if month == 2 and day == 29 and not _stdlib_calendar.isleap(year):
        day = 28
    return date(year, month, day)


def rule_range(rule: DateRule, start_year: int) -> tuple[date, date]:
    """A rule's dates starting in ``start_year``; an end before the start is in the following year."""
    end_year = start_year + 1 if (rule.end_month, rule.end_day) < (rule.start_month, rule.start_day) else start_year
    return rule_date(start_year, rule.start_month, rule.start_day), rule_date(end_year, rule.end_month, rule.end_day)


def period_name(identifier: str, start: date, end: date) -> str:
    """ "January 2026" for a whole calendar month, else the identifier ("2026-Q1", "FY2026")."""
    last_day = _stdlib_calendar.monthrange(start.year, start.month)[1]
    if start.day == 1 and end == date(start.year, start.month, last_day):
        return f"{_stdlib_calendar.month_name[start.month]} {start.year}"
    return identifier


class _Generator:
    def __init__(self, calendar: Calendar, existing: Iterable[Period]) -> None:
        self.calendar = calendar
        self.known: list[Period] = [p for p in existing if p.calendar_id == calendar.id]
        self.by_key = {(p.level, p.year, p.sequence): p for p in self.known}
        self.by_identifier = {p.identifier: p for p in self.known}
        self.result = GenerationResult([], [])

    def run(self, year: int) -> None:
        root = self.calendar.root_level()
        if root is None:
            raise _error(self.calendar, "the Calendar has no single root level (CAL-2)")
        for level in self.calendar.levels_root_first():
            self._level(level, level is root, year)

    def _anchor(self, year: int) -> date:
        root = self.calendar.root_level()
        starts = [p.start_date for p in self.known if root and p.level == root.name and p.year == year]
        return min(starts) if starts else date(year, 1, 1)

    def _level(self, level: LevelDef, is_root: bool, year: int) -> None:
        rules = level.date_rules or []
        if level.identifier_pattern is None:
            self.result.skipped.append(f"level {level.name!r}: no identifier_pattern")
            return
        if not rules and not is_root:
            self.result.skipped.append(f"level {level.name!r}: no date_rules")
            return
        if not rules:
            self._add(level, year, 1, date(year, 1, 1), date(year, 12, 31))
            return
        anchor = self._anchor(year)
        for rule in sorted(rules, key=lambda r: r.sequence):
            if is_root:
                start, end = rule_range(rule, year)
            else:
                after_anchor = (rule.start_month, rule.start_day) >= (anchor.month, anchor.day)
                start, end = rule_range(rule, anchor.year if after_anchor else anchor.year + 1)
            self._add(level, year, rule.sequence, start, end)

    def _parent(self, level: LevelDef, start: date, end: date) -> Period | None:
        if level.parent_level is None:
            return None
        candidates = [
            p for p in self.known if p.level == level.parent_level and p.start_date <= start and end <= p.end_date
        ]
        if len(candidates) != 1:
            found = ", ".join(p.identifier for p in candidates) or "none"
            raise _error(
                self.calendar,
                f"a {level.name} Period from {start} to {end} needs exactly one containing "
                f"{level.parent_level} Period; found {found}",
            )
        return candidates[0]

    def _add(self, level: LevelDef, year: int, sequence: int, start: date, end: date) -> None:
        if (level.name, year, sequence) in self.by_key:  # idempotent (CAL-8)
            self.result.unchanged.append(self.by_key[(level.name, year, sequence)].identifier)
            return
        parent = self._parent(level, start, end)
        assert level.identifier_pattern is not None
        identifier = render_pattern(level.identifier_pattern, year, sequence, parent.identifier if parent else None)
        if not ID_RE.fullmatch(identifier):
            raise _error(self.calendar, f"identifier {identifier!r} of level {level.name!r} is not a valid id (CAL-3)")
        if identifier in self.by_identifier:
            raise _error(self.calendar, f"identifier {identifier!r} is already used by another Period")
        period = Period(
            calendar_id=self.calendar.id,
            identifier=identifier,
            name=period_name(identifier, start, end),
            level=level.name,
            year=year,
            sequence=sequence,
            start_date=start,
            end_date=end,
            parent=parent.identifier if parent else None,
            status="open",
        )
        self.known.append(period)
        self.by_key[(level.name, year, sequence)] = period
        self.by_identifier[identifier] = period
        self.result.periods.append(period)


def generate_range(
    calendar: Calendar, from_year: int, to_year: int, existing: Iterable[Period] = ()
) -> GenerationResult:
    """CAL-8 for every year from ``from_year`` to ``to_year`` inclusive."""
    if calendar.status == "deprecated":
        raise _error(calendar, "a deprecated Calendar gets no new Periods (CAL-5)")
    if from_year > to_year:
        raise _error(calendar, f"from_year {from_year} is after to_year {to_year}")
    generator = _Generator(calendar, existing)
    for year in range(from_year, to_year + 1):
        generator.run(year)
    skipped = list(dict.fromkeys(generator.result.skipped))  # one report per level
    return GenerationResult(generator.result.periods, skipped, generator.result.unchanged)


def generate_periods(calendar: Calendar, year: int, existing: Iterable[Period] = ()) -> GenerationResult:
    """CAL-8 ``generate(calendar, year)``: new Periods root level first; existing ones unchanged."""
    return generate_range(calendar, year, year, existing)


def gregorian_calendar() -> Calendar:
    """The CAL-1 seed: year > quarter > month with standard dates, default and active."""
    quarters = [
        {
            "sequence": q + 1,
            "start_month": 3 * q + 1,
            "start_day": 1,
            "end_month": 3 * q + 3,
            "end_day": _MONTHS[3 * q + 2][1],
        }
        for q in range(4)
    ]
    months = [
        {"sequence": m + 1, "start_month": m + 1, "start_day": 1, "end_month": m + 1, "end_day": days}
        for m, (_, days) in enumerate(_MONTHS)
    ]
    return Calendar.model_validate(
        {
            "id": "gregorian",
            "name": "Gregorian",
            "description": "Calendar years, quarters and months",
            "status": "active",
            "is_default": True,
            "levels": [
                {"name": "year", "identifier_pattern": "{year}"},
                {
                    "name": "quarter",
                    "parent_level": "year",
                    "identifier_pattern": "{year}-Q{sequence}",
                    "date_rules": quarters,
                },
                {
                    "name": "month",
                    "parent_level": "quarter",
                    "identifier_pattern": "{year}-{sequence:02d}",
                    "date_rules": months,
                },
            ],
        }
    )
