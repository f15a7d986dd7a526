"""Initial metadata store: entities and their versions, periods, runs, registered locations.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(128)
KIND = sa.String(32)
STATUS = sa.String(16)
UUID_TEXT = sa.String(36)
TIMESTAMP = sa.DateTime(timezone=True)
ACTIVE_RUN_WHERE = "status IN ('queued', 'running')"


def upgrade() -> None:
    _entities()
    _periods()
    _runs()
    _registered_locations()


def downgrade() -> None:
    for table in ("registered_locations", "runs", "periods", "entities", "entity_versions"):
        op.drop_table(table)


def _entities() -> None:
    op.create_table(
        "entity_versions",
        sa.Column("kind", KIND, primary_key=True),
        sa.Column("id", ID, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "entities",
        sa.Column("kind", KIND, primary_key=True),
        sa.Column("id", ID, primary_key=True),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("status", STATUS, nullable=True),
        sa.Column("is_default", sa.Boolean, nullable=False),
        sa.Column("system", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    # At most one default per kind (CAL-1, RES-10), enforced by the database.
    op.create_index(
        "uq_entities_default_per_kind",
        "entities",
        ["kind"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )


def _periods() -> None:
    op.create_table(
        "periods",
        sa.Column("id", UUID_TEXT, primary_key=True),
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
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("calendar_id", "identifier", name="uq_periods_identifier"),
        sa.UniqueConstraint("calendar_id", "level", "year", "sequence", name="uq_periods_position"),
    )
    op.create_index("ix_periods_parent", "periods", ["calendar_id", "parent"])


def _runs() -> None:
    op.create_table(
        "runs",
        sa.Column("id", UUID_TEXT, primary_key=True),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("project_version", sa.Integer, nullable=False),
        sa.Column("calendar_id", ID, nullable=False),
        sa.Column("period_id", UUID_TEXT, nullable=True),
        sa.Column("period_identifier", ID, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("sandbox", sa.Boolean, nullable=False),
        sa.Column("trigger_type", STATUS, nullable=False),
        sa.Column("triggered_by", sa.Text, nullable=True),
        sa.Column("as_known_at", sa.Date, nullable=True),
        sa.Column("snapshot", sa.Text, nullable=False),
        sa.Column("last_completed_operation", sa.Integer, nullable=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("output_datasets", sa.Text, nullable=False),
        sa.Column("parent_run_id", UUID_TEXT, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
    )
    # D15 / RUN-1: one queued-or-running Run per Project and Period, atomically.
    op.create_index(
        "uq_runs_active_project_period",
        "runs",
        ["project_id", "calendar_id", "period_identifier"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_RUN_WHERE),
        postgresql_where=sa.text(ACTIVE_RUN_WHERE),
    )
    op.create_index("ix_runs_project_period", "runs", ["project_id", "period_identifier"])
    op.create_index("ix_runs_created_at", "runs", ["created_at"])


def _registered_locations() -> None:
    # D25: where a registered output Dataset was written, per Period.
    op.create_table(
        "registered_locations",
        sa.Column("dataset_id", ID, primary_key=True),
        sa.Column("calendar_id", ID, primary_key=True),
        sa.Column("period_identifier", ID, primary_key=True),
        sa.Column("location_hash", sa.String(64), primary_key=True),
        sa.Column("dataset_version", sa.Integer, nullable=True),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("run_id", UUID_TEXT, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
