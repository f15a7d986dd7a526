"""Period generation (CAL-1, CAL-4, CAL-8) for the Gregorian seed and a fiscal calendar."""

from __future__ import annotations

from datetime import date

import pytest

from dobo_engine.errors import CalendarGenerationError
from dobo_engine.model.calendar import Calendar, DateRule, Period
from dobo_engine.model.calendar_generation import generate_periods, generate_range, gregorian_calendar, rule_range

FISCAL_MONTH_DAYS = [30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 29, 31]  # April .. March


def fiscal_calendar(status: str | None = None) -> Calendar:
    """Fiscal year from 1 April: FY{year} > quarters > months."""
    quarters = [
        {
            "sequence": q + 1,
            "start_month": (3 * q + 3) % 12 + 1,
            "start_day": 1,
            "end_month": (3 * q + 5) % 12 + 1,
            "end_day": [30, 30, 31, 31][q],
        }
        for q in range(4)
    ]
    months = [
        {
            "sequence": m + 1,
            "start_month": (m + 3) % 12 + 1,
            "start_day": 1,
            "end_month": (m + 3) % 12 + 1,
            "end_day": FISCAL_MONTH_DAYS[m],
        }
        for m in range(12)
    ]
    return Calendar.model_validate(
        {
            "id": "fiscal",
            "name": "Fiscal",
            "status": status,
            "levels": [
                {
                    "name": "year",
                    "identifier_pattern": "FY{year}",
                    "date_rules": [{"sequence": 1, "start_month": 4, "start_day": 1, "end_month": 3, "end_day": 31}],
                },
                {
                    "name": "quarter",
                    "parent_level": "year",
                    "identifier_pattern": "FY{year}-Q{sequence}",
                    "date_rules": quarters,
                },
                {
                    "name": "month",
                    "parent_level": "quarter",
                    "identifier_pattern": "{parent_identifier}-M{sequence:02d}",
                    "date_rules": months,
                },
            ],
        }
    )


def by_id(periods: list[Period]) -> dict[str, Period]:
    return {p.identifier: p for p in periods}


def test_gregorian_seed_is_default_and_active_cal1() -> None:
    calendar = gregorian_calendar()
    assert calendar.id == "gregorian" and calendar.is_default is True and calendar.status == "active"
    assert [lv.identifier_pattern for lv in calendar.levels] == [
        "{year}",
        "{year}-Q{sequence}",
        "{year}-{sequence:02d}",
    ]


def test_gregorian_generation_root_first_with_parents_cal8() -> None:
    result = generate_periods(gregorian_calendar(), 2026)
    assert len(result.periods) == 1 + 4 + 12 and result.skipped == []
    assert [p.level for p in result.periods[:5]] == ["year"] + ["quarter"] * 4
    periods = by_id(result.periods)
    year = periods["2026"]
    assert (year.start_date, year.end_date, year.parent, year.sequence) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
        None,
        1,
    )
    assert periods["2026-Q1"].parent == "2026" and periods["2026-02"].parent == "2026-Q1"
    assert periods["2026-02"].end_date == date(2026, 2, 28)  # CAL-4: 29 Feb clamps in a non-leap year
    assert periods["2026-01"].name == "January 2026" and periods["2026-12"].parent == "2026-Q4"
    assert all(p.status == "open" and p.calendar_id == "gregorian" for p in result.periods)


def test_gregorian_leap_year_keeps_29_february_cal4() -> None:
    periods = by_id(generate_periods(gregorian_calendar(), 2024).periods)
    assert periods["2024-02"].end_date == date(2024, 2, 29)


def test_fiscal_calendar_2024_to_2026_identifiers_dates_and_parents_cal8() -> None:
    periods = by_id(generate_range(fiscal_calendar(), 2024, 2026).periods)
    assert len(periods) == 3 * 17
    fy = periods["FY2024"]
    assert (fy.start_date, fy.end_date) == (date(2024, 4, 1), date(2025, 3, 31))  # CAL-4: end precedes start
    q4 = periods["FY2024-Q4"]
    assert (q4.start_date, q4.end_date, q4.parent) == (date(2025, 1, 1), date(2025, 3, 31), "FY2024")
    april = periods["FY2024-Q1-M01"]
    assert (april.start_date, april.end_date, april.name, april.parent) == (
        date(2024, 4, 1),
        date(2024, 4, 30),
        "April 2024",
        "FY2024-Q1",
    )
    feb = periods["FY2024-Q4-M11"]
    assert (feb.start_date, feb.end_date, feb.year) == (date(2025, 2, 1), date(2025, 2, 28), 2024)
    assert periods["FY2026-Q4-M12"].end_date == date(2027, 3, 31)


def test_fiscal_29_february_2024_falls_in_the_february_of_fy2023_cal4() -> None:
    periods = by_id(generate_range(fiscal_calendar(), 2023, 2024).periods)
    feb = periods["FY2023-Q4-M11"]
    assert (feb.start_date, feb.end_date, feb.parent) == (date(2024, 2, 1), date(2024, 2, 29), "FY2023-Q4")
    assert periods["FY2023-Q4"].parent == "FY2023"
    containing = [p for p in periods.values() if p.level == "month" and p.start_date <= date(2024, 2, 29) <= p.end_date]
    assert [p.identifier for p in containing] == ["FY2023-Q4-M11"]


def test_generation_is_idempotent_on_level_year_sequence_cal8() -> None:
    calendar = fiscal_calendar()
    first = generate_range(calendar, 2024, 2025).periods
    again = generate_range(calendar, 2024, 2026, existing=first)
    assert {p.year for p in again.periods} == {2026} and len(again.periods) == 17
    assert len(again.unchanged) == len(first)
    renamed = [p.model_copy(update={"name": "Kept"}) for p in first]
    assert generate_periods(calendar, 2024, existing=renamed).periods == []


def test_deprecated_calendar_is_refused_cal8() -> None:
    with pytest.raises(CalendarGenerationError):
        generate_periods(fiscal_calendar(status="deprecated"), 2026)


def test_levels_without_rules_or_pattern_are_skipped_and_reported_cal8() -> None:
    calendar = Calendar.model_validate(
        {
            "id": "c",
            "name": "C",
            "levels": [
                {"name": "year", "identifier_pattern": "Y{year}"},
                {"name": "week", "parent_level": "year", "identifier_pattern": "{year}-W{sequence}"},
                {
                    "name": "half",
                    "parent_level": "year",
                    "date_rules": [{"sequence": 1, "start_month": 1, "start_day": 1, "end_month": 6, "end_day": 30}],
                },
            ],
        }
    )
    result = generate_periods(calendar, 2026)
    assert [p.identifier for p in result.periods] == ["Y2026"]
    assert (
        len(result.skipped) == 2
        and any("week" in s for s in result.skipped)
        and any("half" in s for s in result.skipped)
    )


def test_child_without_a_containing_parent_is_an_error_cal8() -> None:
    calendar = Calendar.model_validate(
        {
            "id": "c",
            "name": "C",
            "levels": [
                {
                    "name": "year",
                    "identifier_pattern": "{year}",
                    "date_rules": [{"sequence": 1, "start_month": 1, "start_day": 1, "end_month": 6, "end_day": 30}],
                },
                {
                    "name": "month",
                    "parent_level": "year",
                    "identifier_pattern": "{year}-{sequence:02d}",
                    "date_rules": [{"sequence": 7, "start_month": 7, "start_day": 1, "end_month": 7, "end_day": 31}],
                },
            ],
        }
    )
    with pytest.raises(CalendarGenerationError) as info:
        generate_periods(calendar, 2026)
    assert info.value.rule == "CAL-8" and "found none" in info.value.message


def test_child_with_two_containing_parents_is_an_error_cal8() -> None:
    calendar = Calendar.model_validate(
        {
            "id": "c",
            "name": "C",
            "levels": [
                {
                    "name": "year",
                    "identifier_pattern": "A{year}-{sequence}",
                    "date_rules": [
                        {"sequence": 1, "start_month": 1, "start_day": 1, "end_month": 12, "end_day": 31},
                        {"sequence": 2, "start_month": 1, "start_day": 1, "end_month": 12, "end_day": 31},
                    ],
                },
                {
                    "name": "month",
                    "parent_level": "year",
                    "identifier_pattern": "{year}-{sequence:02d}",
                    "date_rules": [{"sequence": 1, "start_month": 1, "start_day": 1, "end_month": 1, "end_day": 31}],
                },
            ],
        }
    )
    with pytest.raises(CalendarGenerationError, match="A2026-1, A2026-2"):
        generate_periods(calendar, 2026)


@pytest.mark.parametrize(
    ("rule", "year", "expected"),
    [
        ((2, 29, 2, 29), 2025, (date(2025, 2, 28), date(2025, 2, 28))),
        ((2, 29, 2, 29), 2028, (date(2028, 2, 29), date(2028, 2, 29))),
        ((12, 1, 2, 29), 2027, (date(2027, 12, 1), date(2028, 2, 29))),
        ((12, 1, 2, 29), 2024, (date(2024, 12, 1), date(2025, 2, 28))),
        ((3, 1, 2, 28), 2026, (date(2026, 3, 1), date(2027, 2, 28))),
        ((1, 31, 1, 31), 2026, (date(2026, 1, 31), date(2026, 1, 31))),
    ],
)
def test_rule_dates_cal4(rule: tuple[int, int, int, int], year: int, expected: tuple[date, date]) -> None:
    start_month, start_day, end_month, end_day = rule
    date_rule = DateRule(sequence=1, start_month=start_month, start_day=start_day, end_month=end_month, end_day=end_day)
    assert rule_range(date_rule, year) == expected
