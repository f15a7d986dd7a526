"""Bring a metadata store's schema to the newest revision (alembic, in code).

Runs at every open; at head it changes nothing. Concurrent openers are
serialised first (PostgreSQL advisory lock; SQLite write lock taken by the
caller's immediate transaction) so two processes never migrate at once.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

# Our own version table, so a PostgreSQL database shared with Dagster's
# storage (which also uses alembic) never sees the other's revisions.
VERSION_TABLE = "dobo_schema_version"
SCRIPT_LOCATION = str(Path(__file__).resolve().parent / "migrations")
_PG_MIGRATION_LOCK = 0x646F626F  # "dobo": key of the advisory lock held while migrating


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the store has no migration scripts"
    return head


def current_revision(connection: sa.Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(connection: sa.Connection) -> None:
    """Migrate to head inside the caller's open transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    if current_revision(connection) == head_revision():
        return
    command.upgrade(_config(connection), "head")
