"""Bring a metadata store's schema to the newest revision (alembic, in code).

Runs at every open; at head it changes nothing. Concurrent openers are
serialised first (PostgreSQL advisory lock; SQLite write lock taken by the
caller's immediate transaction) so two processes never migrate at once.
Alembic is imported only when the store is behind: at head (every open but
the first) a plain query of the version table decides, which keeps alembic's
import off the start of every `dobo` command and Dagster run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

# Our own version table, so a PostgreSQL database shared with Dagster's
# storage (which also uses alembic) never sees the other's revisions.
VERSION_TABLE = "dobo_schema_version"
SCRIPT_LOCATION = str(Path(__file__).resolve().parent / "migrations")
_PG_MIGRATION_LOCK = 0x646F626F  # "dobo": key of the advisory lock held while migrating
# The newest script's revision (tests check it is alembic's head): a store there needs no alembic.
HEAD_REVISION = "0003"


def _config(connection: sa.Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the store has no migration scripts"
    return head


def current_revision(connection: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(connection: sa.Connection) -> None:
    """Migrate to head inside the caller's open transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    if _recorded_revision(connection) == HEAD_REVISION:
        return
    from alembic import command

    command.upgrade(_config(connection), "head")


def _recorded_revision(connection: sa.Connection) -> str | None:
    """The revision in the version table, read without alembic; None for a new store."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return rows[0] if len(rows) == 1 else None
