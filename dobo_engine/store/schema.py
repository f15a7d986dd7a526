"""The metadata store's tables, as SQLAlchemy Core objects for queries.

The DDL itself is owned by the alembic migrations under ``migrations/``;
this module must describe the same tables (a test compares the two on both
backends), so change both together.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from dobo_engine.store.types import JsonText, UtcDateTime

ID = sa.String(128)  # D1 ids and Period identifiers
KIND = sa.String(32)
STATUS = sa.String(16)

# Run statuses that hold the (project, calendar, period) slot (D15).
ACTIVE_RUN_STATUSES: tuple[str, ...] = ("queued", "running")
ACTIVE_RUN_WHERE = "status IN ('queued', 'running')"
ACTIVE_RUN_INDEX = "uq_runs_active_project_period"

metadata = sa.MetaData()

entity_versions = sa.Table(
    "entity_versions",
    metadata,
    sa.Column("kind", KIND, primary_key=True),
    sa.Column("id", ID, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("content", JsonText, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

entities = sa.Table(
    "entities",
    metadata,
    sa.Column("kind", KIND, primary_key=True),
    sa.Column("id", ID, primary_key=True),
    sa.Column("current_version", sa.Integer, nullable=False),
    sa.Column("status", STATUS, nullable=True),
    sa.Column("is_default", sa.Boolean, nullable=False),
    sa.Column("system", JsonText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index(
        "uq_entities_default_per_kind",
        "kind",
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    ),
)

periods = sa.Table(
    "periods",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("calendar_id", ID, nullable=False),
    sa.Column("identifier", ID, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("level", ID, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("parent", ID, nullable=True),
    sa.Column("status", STATUS, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("calendar_id", "identifier", name="uq_periods_identifier"),
    sa.UniqueConstraint("calendar_id", "level", "year", "sequence", name="uq_periods_position"),
    sa.Index("ix_periods_parent", "calendar_id", "parent"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("project_id", ID, nullable=False),
    sa.Column("project_version", sa.Integer, nullable=False),
    sa.Column("calendar_id", ID, nullable=False),
    sa.Column("period_id", sa.String(36), nullable=True),
    sa.Column("period_identifier", ID, nullable=False),
    sa.Column("status", STATUS, nullable=False),
    sa.Column("sandbox", sa.Boolean, nullable=False),
    sa.Column("trigger_type", STATUS, nullable=False),
    sa.Column("triggered_by", sa.Text, nullable=True),
    sa.Column("as_known_at", sa.Date, nullable=True),
    sa.Column("snapshot", JsonText, nullable=False),
    sa.Column("last_completed_operation", sa.Integer, nullable=True),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("error", JsonText, nullable=True),
    sa.Column("output_datasets", JsonText, nullable=False),
    sa.Column("parent_run_id", sa.String(36), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=True),
    sa.Column("completed_at", UtcDateTime, nullable=True),
    # Liveness (migration 0002): the executing process renews its lease; a stale one is reaped.
    sa.Column("heartbeat_at", UtcDateTime, nullable=True),
    sa.Column("lease_owner", sa.String(255), nullable=True),
    sa.Column("cancel_requested_at", UtcDateTime, nullable=True),
    # Named, non-blocking remarks met while running, e.g. rows of another Period (migration 0003).
    sa.Column("warnings", JsonText, nullable=True),
    sa.Index(
        ACTIVE_RUN_INDEX,
        "project_id",
        "calendar_id",
        "period_identifier",
        unique=True,
        sqlite_where=sa.text(ACTIVE_RUN_WHERE),
        postgresql_where=sa.text(ACTIVE_RUN_WHERE),
    ),
    sa.Index("ix_runs_project_period", "project_id", "period_identifier"),
    sa.Index("ix_runs_created_at", "created_at"),
)

registered_locations = sa.Table(
    "registered_locations",
    metadata,
    sa.Column("dataset_id", ID, primary_key=True),
    sa.Column("calendar_id", ID, primary_key=True),
    sa.Column("period_identifier", ID, primary_key=True),
    sa.Column("location_hash", sa.String(64), primary_key=True),
    sa.Column("dataset_version", sa.Integer, nullable=True),
    sa.Column("location", JsonText, nullable=False),
    sa.Column("run_id", sa.String(36), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)


def dialect_insert(conn: sa.Connection) -> Any:
    """The backend's INSERT construct, which offers ON CONFLICT on both SQLite and PostgreSQL."""
    return postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
