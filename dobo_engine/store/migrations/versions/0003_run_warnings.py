"""Run warnings: named, non-blocking remarks a Run met while it ran.

For example rows of a loaded file labelled with a Period the Run does not
cover (TMP-1): counted and reported, kept on the Run so `dobo runs` and the
Dagster layer can show them after the process has gone.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("warnings", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "warnings")
