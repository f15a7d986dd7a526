"""What a new metadata store starts with (CAL-1): the default Calendar ``gregorian``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from dobo_engine.store import entities
from dobo_engine.store.schema import entities as entities_table

_MONTH_ENDS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February 29 falls on 28 in common years (CAL-4)
_QUARTERS = ((1, 1, 3, 31), (2, 4, 6, 30), (3, 7, 9, 30), (4, 10, 12, 31))

GREGORIAN_ID = "gregorian"
GREGORIAN: dict[str, Any] = {
    "id": GREGORIAN_ID,
    "name": "Gregorian",
    "is_default": True,
    "levels": [
        {"name": "year", "identifier_pattern": "{year}"},
        {
            "name": "quarter",
            "parent_level": "year",
            "identifier_pattern": "{year}-Q{sequence}",
            "date_rules": [
                {"sequence": seq, "start_month": start, "start_day": 1, "end_month": end, "end_day": end_day}
                for seq, start, end, end_day in _QUARTERS
            ],
        },
        {
            "name": "month",
            "parent_level": "quarter",
            "identifier_pattern": "{year}-{sequence:02d}",
            "date_rules": [
                {"sequence": month, "start_month": month, "start_day": 1, "end_month": month, "end_day": last}
                for month, last in enumerate(_MONTH_ENDS, start=1)
            ],
        },
    ],
}


def seed(conn: sa.Connection) -> None:
    """Create ``gregorian`` (active, default) unless it already exists; idempotent."""
    exists = conn.scalar(
        sa.select(sa.func.count())
        .select_from(entities_table)
        .where(entities_table.c.kind == "calendar", entities_table.c.id == GREGORIAN_ID)
    )
    if exists:
        return
    entities.put_entity(conn, "calendar", GREGORIAN_ID, GREGORIAN, status="active")
    if entities.get_default(conn, "calendar") is None:
        entities.set_default(conn, "calendar", GREGORIAN_ID)
