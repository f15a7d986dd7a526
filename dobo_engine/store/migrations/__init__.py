"""Alembic migrations of the metadata store (run programmatically at open)."""
