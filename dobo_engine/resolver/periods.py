"""Period hierarchy walks: Period details (D27) and rule expansion (RES-4, RES-5).

Every walk follows ``parent`` links in ``start_date`` order (PER-2), never
date arithmetic, so a fiscal year starting in April expands exactly like a
calendar year.
"""

from __future__ import annotations

from dobo_engine.errors import NoPeriodsAtDataLevel, UnknownDataLevel
from dobo_engine.model.calendar import Calendar, Period
from dobo_engine.model.run import PeriodDetails
from dobo_engine.resolver.catalog import CatalogReader

ANY_LEVEL = "any"


def _order(period: Period) -> tuple[object, ...]:
    # A parent starts with its first child; the longer Period (the parent) comes first.
    return (period.start_date, -period.end_date.toordinal(), period.level, period.identifier)


def descendants(catalog: CatalogReader, calendar_id: str, identifier: str) -> list[Period]:
    """Transitive children of a Period in ``start_date`` order (PER-2)."""
    found: list[Period] = []
    seen: set[str] = {identifier}
    frontier = [identifier]
    while frontier:
        next_frontier: list[str] = []
        for parent in frontier:
            for child in catalog.children(calendar_id, parent):
                if child.identifier not in seen:  # a malformed parent cycle must not loop forever
                    seen.add(child.identifier)
                    found.append(child)
                    next_frontier.append(child.identifier)
        frontier = next_frontier
    return sorted(found, key=_order)


def details_of(period: Period, calendar_id: str | None = None, below: list[Period] | None = None) -> PeriodDetails:
    """The D27 record of a Period; ``below`` are its descendants (already ordered)."""
    return PeriodDetails(
        calendar_id=calendar_id,
        identifier=period.identifier,
        level=period.level,
        year=period.year,
        sequence=period.sequence,
        start_date=period.start_date,
        end_date=period.end_date,
        descendants=[details_of(d) for d in below or []],
    )


def period_details(catalog: CatalogReader, calendar_id: str, identifier: str) -> PeriodDetails:
    """A Period with all its descendants in ``start_date`` order, as a Run snapshot keeps it (D27)."""
    period = catalog.period(calendar_id, identifier)
    return details_of(period, calendar_id, descendants(catalog, calendar_id, identifier))


def coarser_levels(calendar: Calendar, level: str) -> list[str]:
    """The levels above ``level``, nearest first (its parent_level chain)."""
    chain: list[str] = []
    current = calendar.level(level)
    while current is not None and current.parent_level is not None and current.parent_level not in chain:
        chain.append(current.parent_level)
        current = calendar.level(current.parent_level)
    return chain


def check_data_level(calendar: Calendar, data_level: str, *, rule_name: str | None = None) -> None:
    """RES-4: ``any`` or a level of the Calendar, else ``UnknownDataLevel``."""
    if data_level != ANY_LEVEL and calendar.level(data_level) is None:
        levels = ", ".join(lv.name for lv in calendar.levels)
        which = f"rule {rule_name!r}: " if rule_name else ""
        raise UnknownDataLevel(
            f"{which}data_level {data_level!r} is not a level of Calendar {calendar.id!r} (levels: {levels}; or any)",
            rule="RES-4",
            payload={
                "data_level": data_level,
                "calendar_id": calendar.id,
                "levels": [lv.name for lv in calendar.levels],
            },
        )


def _none_found(calendar_id: str, period: Period, data_level: str, how: str) -> NoPeriodsAtDataLevel:
    return NoPeriodsAtDataLevel(
        f"no Period at level {data_level!r} {how} Period {period.identifier!r} ({period.level}) in Calendar {calendar_id!r}",
        rule="RES-5",
        payload={"calendar_id": calendar_id, "period": period.identifier, "data_level": data_level},
    )


def ancestor_at(catalog: CatalogReader, calendar: Calendar, period: Period, data_level: str) -> Period:
    """The ancestor of ``period`` at ``data_level``, found by walking ``parent`` links."""
    current = period
    for _ in range(len(calendar.levels)):  # no chain is longer than the level count
        if current.parent is None:
            break
        current = catalog.period(calendar.id, current.parent)
        if current.level == data_level:
            return current
    raise _none_found(calendar.id, period, data_level, "above")


def expand(catalog: CatalogReader, calendar_id: str, period: Period, data_level: str) -> list[Period]:
    """The Periods a rule's ``data_level`` reaches from the requested Period (RES-5).

    Same level or ``any`` → the Period itself; finer → every descendant at that
    level in ``start_date`` order (only inside the Period); coarser → the
    ancestor at that level. Unknown level → ``UnknownDataLevel`` (RES-4);
    nothing found → ``NoPeriodsAtDataLevel``.
    """
    calendar = catalog.calendar(calendar_id)
    check_data_level(calendar, data_level)
    if data_level in (ANY_LEVEL, period.level):
        return [period]
    if data_level in coarser_levels(calendar, period.level):
        return [ancestor_at(catalog, calendar, period, data_level)]
    found = [d for d in descendants(catalog, calendar_id, period.identifier) if d.level == data_level]
    if not found:
        raise _none_found(calendar_id, period, data_level, "inside")
    return found


def is_finer(calendar: Calendar, data_level: str, level: str) -> bool:
    """True when ``data_level`` lies below ``level`` in the Calendar's hierarchy."""
    return data_level not in (ANY_LEVEL, level) and level in coarser_levels(calendar, data_level)
