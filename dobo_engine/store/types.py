"""Column types that behave the same on SQLite and PostgreSQL.

JSON is kept as canonical text (not a native JSON column) so decimals keep
their exact digits and the stored text is the one whose hash decides GEN-4.
Timestamps are always timezone-aware UTC on the Python side, whatever the
backend returns (SQLite keeps no zone).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from dobo_engine.store.canonical import canonical_json, loads


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class JsonText(sa.types.TypeDecorator[Any]):
    """A JSON value stored as canonical text."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else canonical_json(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else loads(value)


class UtcDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A UTC timestamp with microseconds (GEN-5)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
