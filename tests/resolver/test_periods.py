"""Period details and expansion on a fiscal Calendar whose year starts in April (PER-2, RES-4, RES-5)."""

from __future__ import annotations

from datetime import date

import pytest

from dobo_engine.errors import NoPeriodsAtDataLevel, UnknownDataLevel
from dobo_engine.resolver import MemoryCatalog, expand, period_details
from tests.resolver.catalogs import FISCAL_CATALOG


@pytest.fixture(scope="module")
def catalog() -> MemoryCatalog:
    return MemoryCatalog.from_yaml(FISCAL_CATALOG)


def _ids(periods) -> list[str]:
    return [p.identifier for p in periods]


def test_period_details_lists_transitive_descendants_in_start_date_order(catalog):
    """PER-2/D27: children follow parent links, transitively, ordered by start_date (parent before its first child)."""
    details = period_details(catalog, "fiscal", "FY2025")
    assert details.calendar_id == "fiscal"
    assert (details.start_date, details.end_date) == (date(2025, 4, 1), date(2026, 3, 31))
    assert details.identifiers()[:6] == ["FY2025", "FY2025-Q1", "2025-04", "2025-05", "2025-06", "FY2025-Q2"]
    assert len(details.descendants) == 16
    assert details.descendants[-1].identifier == "2026-03"


def test_quarter_details_hold_only_its_months(catalog):
    details = period_details(catalog, "fiscal", "FY2025-Q4")
    assert details.identifiers() == ["FY2025-Q4", "2026-01", "2026-02", "2026-03"]
    assert details.descendants[0].model_dump(exclude={"descendants"}) == {
        "calendar_id": None,
        "identifier": "2026-01",
        "level": "month",
        "year": 2025,
        "sequence": 10,
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 1, 31),
    }


def test_finer_level_expands_to_every_month_in_order_never_outside(catalog):
    """RES-5 finer: a quarter at month level is its three months in start_date order, no neighbour."""
    q1 = catalog.period("fiscal", "FY2025-Q1")  # its months were authored out of order
    assert _ids(expand(catalog, "fiscal", q1, "month")) == ["2025-04", "2025-05", "2025-06"]
    q4 = catalog.period("fiscal", "FY2025-Q4")  # the fiscal quarter crossing the calendar year
    assert _ids(expand(catalog, "fiscal", q4, "month")) == ["2026-01", "2026-02", "2026-03"]


def test_year_at_month_level_skips_the_quarters(catalog):
    year = catalog.period("fiscal", "FY2025")
    months = expand(catalog, "fiscal", year, "month")
    assert len(months) == 12 and months[0].identifier == "2025-04" and months[-1].identifier == "2026-03"


def test_same_level_and_any_give_the_requested_period(catalog):
    """RES-5: same level → one location; `any` → the requested Period."""
    month = catalog.period("fiscal", "2026-02")
    assert _ids(expand(catalog, "fiscal", month, "month")) == ["2026-02"]
    assert _ids(expand(catalog, "fiscal", month, "any")) == ["2026-02"]
    quarter = catalog.period("fiscal", "FY2025-Q2")
    assert _ids(expand(catalog, "fiscal", quarter, "any")) == ["FY2025-Q2"]


def test_coarser_level_walks_parent_links(catalog):
    """RES-5 coarser: a month under a year-level rule is its fiscal year (January 2026 is in FY2025)."""
    january = catalog.period("fiscal", "2026-01")
    assert _ids(expand(catalog, "fiscal", january, "year")) == ["FY2025"]
    assert _ids(expand(catalog, "fiscal", january, "quarter")) == ["FY2025-Q4"]


def test_unknown_data_level(catalog):
    """RES-4: a data_level that is neither `any` nor a level of the Calendar."""
    with pytest.raises(UnknownDataLevel) as info:
        expand(catalog, "fiscal", catalog.period("fiscal", "2026-01"), "week")
    assert "week" in info.value.message and "year, quarter, month" in info.value.message


def test_no_periods_at_data_level():
    """RES-5: a quarter whose months were never created has nothing at month level."""
    sparse = MemoryCatalog.from_yaml(
        FISCAL_CATALOG.split('---\nperiod: { calendar_id: fiscal, identifier: "2025-04"')[0]
    )
    with pytest.raises(NoPeriodsAtDataLevel) as info:
        expand(sparse, "fiscal", sparse.period("fiscal", "FY2025-Q1"), "month")
    assert info.value.payload == {"calendar_id": "fiscal", "period": "FY2025-Q1", "data_level": "month"}
