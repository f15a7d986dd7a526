"""Apply rules that compare documents with each other and with the store.

Duplicates (one id twice in one apply), GEN-3 stale system fields, default
flags (D28, D31), declared Calendar status (D33, CAL-5) and Project status
(D22, PRJ-7: the lifecycle's own check), CAL-6 levels in use, and Periods (PER-1, PER-4, CAL-5, the
(level, year, sequence) position).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from dobo_engine.catalog.apply_hooks import check_declared
from dobo_engine.catalog.apply_view import INITIAL_STATUS, ApplyView
from dobo_engine.catalog.catalog_files import Authored
from dobo_engine.errors import DoboError
from dobo_engine.model.calendar import Calendar, Period
from dobo_engine.store.records import PeriodRecord

CALENDAR_STATUS_ORDER = ("draft", "active", "deprecated")  # CAL-5, one way
SUPPORTED_KINDS = frozenset({*INITIAL_STATUS, "period"})


def check_duplicates(items: list[Authored]) -> list[DoboError]:
    seen: dict[tuple[str, str], Authored] = {}
    errors: list[DoboError] = []
    for item in items:
        first = seen.setdefault((item.kind, item.key), item)
        if first is not item:
            errors.append(
                item.error(
                    ("id" if item.kind != "period" else "identifier",),
                    "DuplicateEntity",
                    "D28",
                    f"{item.kind} {item.key!r} is also defined in {first.file}",
                )
            )
    return errors


def check_kinds(items: list[Authored]) -> list[DoboError]:
    return [
        item.error((), "NotYetSupported", "CAL-7", "CalendarMapping is a later feature; it cannot be applied yet")
        for item in items
        if item.kind not in SUPPORTED_KINDS
    ]


def _same_time(declared: datetime, stored: datetime) -> bool:
    if declared.tzinfo is None:
        return False  # GEN-5: stored timestamps are UTC; a naive one cannot be the same instant
    return declared == stored


def check_stale(view: ApplyView, item: Authored) -> list[DoboError]:
    """GEN-3: a system field present in the document must equal the stored value."""
    entity = item.entity
    if isinstance(entity, Period):
        return _stale_period(view, item, entity)
    record = view.stored(item.kind, item.key)
    errors: list[DoboError] = []
    stored_version = record.latest_version if record else 1
    declared_version = getattr(entity, "version", None)
    if declared_version is not None and declared_version != stored_version:
        errors.append(
            item.error(
                ("version",),
                "StaleEntity",
                "GEN-3",
                f"version {declared_version} is stale: the stored version is "
                f"{stored_version if record else 'none (new entity)'}",
            )
        )
    declared_status = getattr(entity, "status", None)
    # Calendars and Projects may declare their status (D33, D22); checked elsewhere.
    if declared_status is not None and item.kind not in ("calendar", "project"):
        stored_status = record.status if record else INITIAL_STATUS[item.kind]
        if declared_status != stored_status:
            errors.append(
                item.error(
                    ("status",),
                    "StaleEntity",
                    "GEN-3",
                    f"status {declared_status!r} differs from the stored status {stored_status!r}; "
                    "status changes through `dobo disable|enable`",
                )
            )
    for field in ("created_at", "updated_at"):
        declared = getattr(entity, field, None)
        if declared is not None and (record is None or not _same_time(declared, getattr(record, field))):
            errors.append(
                item.error(
                    (field,), "StaleEntity", "GEN-3", f"{field} {declared.isoformat()} differs from the stored value"
                )
            )
    conflict = getattr(entity, "conflict_report", None)
    if conflict is not None:
        stored = (record.system if record else {}).get("conflict_report")
        if stored != conflict.model_dump(mode="json"):
            errors.append(
                item.error(
                    ("conflict_report",),
                    "StaleEntity",
                    "GEN-3",
                    "conflict_report differs from the stored one; resolve conflicts with `dobo resolve-conflict`",
                )
            )
    return errors


def _stale_period(view: ApplyView, item: Authored, period: Period) -> list[DoboError]:
    stored = view.stored_period(period.calendar_id, period.identifier)
    checks: list[tuple[str, Any, Any]] = [
        ("id", period.id, stored.id if stored else None),
        ("version", period.version, stored.version if stored else 1),
        ("status", period.status, stored.status if stored else "open"),
    ]
    return [
        item.error((field,), "StaleEntity", "GEN-3", f"{field} {declared!r} differs from the stored value {actual!r}")
        for field, declared, actual in checks
        if declared is not None and declared != actual
    ]


def check_defaults(view: ApplyView) -> list[DoboError]:
    """D28/D31: at most one claim per kind; the only default Calendar cannot be cleared."""
    errors: list[DoboError] = []
    for kind in ("calendar", "resolver"):
        claims = [i for i in view.of_kind(kind) if getattr(i.entity, "is_default", None) is True]
        for item in claims[1:]:
            errors.append(
                item.error(
                    ("is_default",),
                    "DuplicateDefault",
                    "D28",
                    f"{kind} {item.key!r} and {claims[0].key!r} ({claims[0].file}) both claim is_default",
                )
            )
        if kind == "calendar" and not claims:
            for item in view.of_kind(kind):
                record = view.stored(kind, item.key)
                if (
                    isinstance(item.entity, Calendar)
                    and item.entity.is_default is False
                    and record is not None
                    and record.is_default
                ):
                    errors.append(
                        item.error(
                            ("is_default",),
                            "DefaultRequired",
                            "D31",
                            f"Calendar {item.key!r} is the only default Calendar; "
                            "set is_default: true on another Calendar to move the flag",
                        )
                    )
    return errors


def check_calendar(view: ApplyView, item: Authored) -> list[DoboError]:
    calendar = item.entity
    assert isinstance(calendar, Calendar)
    errors: list[DoboError] = []
    current = view.status("calendar", item.key) or "draft"
    declared = calendar.status
    if declared is not None and CALENDAR_STATUS_ORDER.index(declared) < CALENDAR_STATUS_ORDER.index(current):
        errors.append(
            item.error(
                ("status",),
                "InvalidTransition",
                "CAL-5",
                f"Calendar {item.key!r} is {current}; status only moves draft → active → deprecated",
            )
        )
    if view.stored("calendar", item.key) is not None:
        in_use = Counter(p.level for p in view.store.list_periods(item.key))
        names = {level.name for level in calendar.levels}
        for level, count in sorted(in_use.items()):
            if level not in names:
                errors.append(
                    item.error(
                        ("levels",),
                        "InvalidField",
                        "CAL-6",
                        f"level {level!r} is used by {count} Period(s) and cannot be renamed or removed",
                    )
                )
    return errors


def check_period(view: ApplyView, item: Authored) -> list[DoboError]:
    period = item.entity
    assert isinstance(period, Period)
    calendar = view.calendar(period.calendar_id)
    if calendar is None:
        if ("calendar", period.calendar_id) in view.broken:
            return []
        return [
            item.error(
                ("calendar_id",),
                "UnresolvedReference",
                "PER-1",
                f"Calendar {period.calendar_id!r} exists neither in this apply nor in the store",
            )
        ]
    stored = view.stored_period(period.calendar_id, period.identifier)
    errors: list[DoboError] = []
    status = calendar.status or view.status("calendar", calendar.id)
    if stored is None and status == "deprecated":
        errors.append(
            item.error(
                (), "InvalidTransition", "CAL-5", f"Calendar {calendar.id!r} is deprecated and gets no new Periods"
            )
        )
    if stored is not None and stored.status != "open":
        changed = [
            f for f in ("name", "description", "start_date", "end_date") if getattr(stored, f) != getattr(period, f)
        ]
        if changed:
            errors.append(
                item.error(
                    (changed[0],),
                    "InvalidTransition",
                    "PER-4",
                    f"Period {period.identifier!r} is {stored.status}; {', '.join(changed)} can no longer change",
                )
            )
    level = calendar.level(period.level)
    if level is None:
        names = ", ".join(lv.name for lv in calendar.levels)
        return errors + [
            item.error(
                ("level",),
                "InvalidField",
                "PER-1",
                f"{period.level!r} is not a level of Calendar {calendar.id!r} ({names})",
            )
        ]
    errors += _position(view, item, period)
    if level.parent_level is None:
        if period.parent is not None:
            errors.append(
                item.error(
                    ("parent",),
                    "InvalidField",
                    "PER-1",
                    f"level {level.name!r} is the root level; its Periods have no parent",
                )
            )
        return errors
    if period.parent is None:
        return errors + [
            item.error(
                (),
                "MissingField",
                "PER-1",
                f"parent is required: level {level.name!r} rolls up into {level.parent_level!r}",
            )
        ]
    parent = view.period(period.calendar_id, period.parent)
    if parent is None:
        if ("period", f"{period.calendar_id}/{period.parent}") in view.broken:
            return errors
        errors.append(
            item.error(
                ("parent",),
                "UnresolvedReference",
                "PER-1",
                f"no Period {period.parent!r} in Calendar {calendar.id!r}, in this apply or the store",
            )
        )
    elif parent.level != level.parent_level:
        errors.append(
            item.error(
                ("parent",),
                "InvalidField",
                "PER-1",
                f"parent {period.parent!r} is a {parent.level} Period; level {level.name!r} needs a {level.parent_level}",
            )
        )
    elif not (parent.start_date <= period.start_date and period.end_date <= parent.end_date):
        errors.append(
            item.error(
                ("start_date",),
                "InvalidField",
                "PER-1",
                f"{period.start_date}..{period.end_date} does not lie inside parent {period.parent!r} "
                f"({parent.start_date}..{parent.end_date})",
            )
        )
    return errors


def _position(view: ApplyView, item: Authored, period: Period) -> list[DoboError]:
    """(level, year, sequence) is unique in a Calendar, across the apply and the store."""

    def same(other: Period | PeriodRecord) -> bool:
        return (other.calendar_id, other.level, other.year, other.sequence) == (
            period.calendar_id,
            period.level,
            period.year,
            period.sequence,
        ) and other.identifier != period.identifier

    holders = [
        o.entity.identifier
        for o in view.of_kind("period")
        if o is not item and isinstance(o.entity, Period) and same(o.entity)
    ]
    if view.stored("calendar", period.calendar_id) is not None:
        holders += [
            p.identifier
            for p in view.store.list_periods(period.calendar_id, period.level)
            if same(p) and view.authored("period", f"{p.calendar_id}/{p.identifier}") is None
        ]
    if not holders:
        return []
    return [
        item.error(
            ("sequence",),
            "InvalidField",
            "CAL-8",
            f"{period.level} {period.year} sequence {period.sequence} is already Period {holders[0]!r}",
        )
    ]


def check_all(view: ApplyView) -> list[DoboError]:
    errors = check_kinds(view.items) + check_duplicates(view.items) + check_defaults(view)
    per_kind = {"calendar": check_calendar, "project": check_declared, "period": check_period}
    for item in view.items:
        if item.kind not in SUPPORTED_KINDS:
            continue
        errors += check_stale(view, item)
        check = per_kind.get(item.kind)
        if check is not None:
            errors += check(view, item)
    return errors
