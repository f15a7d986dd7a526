"""Run liveness: a lease renewed by the process executing a Run, and a cancel request.

`heartbeat_at` and `lease_owner` (host:pid) are set when a process takes a
Run and renewed while it works; a running Run whose heartbeat is older than
the lease is reaped as failed (worker lost). `cancel_requested_at` asks the
process running a Run to stop at its next operation boundary (RUN-8).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default) on both backends: no table copy.
    op.add_column("runs", sa.Column("heartbeat_at", TIMESTAMP, nullable=True))
    op.add_column("runs", sa.Column("lease_owner", sa.String(255), nullable=True))
    op.add_column("runs", sa.Column("cancel_requested_at", TIMESTAMP, nullable=True))


def downgrade() -> None:
    for column in ("cancel_requested_at", "lease_owner", "heartbeat_at"):
        op.drop_column("runs", column)
