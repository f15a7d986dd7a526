"""Alembic environment: migrate the connection handed over by the store.

The store opens the connection and the transaction itself (so it can lock
out concurrent migrators first); this file only runs the scripts on it.
"""

from __future__ import annotations

from alembic import context

from dobo_engine.store.migrate import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
