"""Stand-ins with the entities.md field names, so IO tests do not wait for dobo_engine.model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CLOCK = datetime(2026, 2, 1, 8, 30, 0, tzinfo=UTC)


@dataclass
class Col:
    name: str
    type: str
    nullable: bool = True
    precision: int | None = None
    scale: int | None = None


@dataclass
class Table:
    name: str
    columns: list[Col]
    temporal_mode: str = "period"


@dataclass
class Source:
    id: str
    type: str
    options: dict[str, Any]
    credential_ref: str | None = None
    status: str = "active"


@dataclass
class Location:
    table_name: str
    period_identifier: str | None
    datasource_id: str
    strategy: str = "path"
    path: str | None = None
    table: str | None = None
    schema: str | None = None
    resolver_id: str = "r"
    resolver_version: int = 1
    rule: str = "rule"
    extra: dict[str, Any] = field(default_factory=dict)


GL = Table(
    "gl",
    [
        Col("journal_id", "string", nullable=False),
        Col("line", "integer"),
        Col("amount", "decimal", precision=18, scale=2),
        Col("posted", "date"),
        Col("approved", "boolean"),
        Col("stamp", "timestamp"),
    ],
)
