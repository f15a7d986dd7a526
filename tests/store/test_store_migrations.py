"""Opening, migrating and reaching the store (D18, D24, D31), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from dobo_engine.errors import ConnectionFailure
from dobo_engine.store import open_store
from dobo_engine.store.migrate import VERSION_TABLE, head_revision
from dobo_engine.store.schema import metadata

TABLES = {"entities", "entity_versions", "periods", "runs", "registered_locations", VERSION_TABLE}


def _shape(url: str) -> dict[str, Any]:
    """Tables, columns, indexes and unique constraints as the database reports them."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        shape: dict[str, Any] = {}
        for table in sorted(inspector.get_table_names()):
            shape[table] = {
                "columns": sorted((c["name"], c["nullable"]) for c in inspector.get_columns(table)),
                "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(table)
                    if "duplicates_constraint" not in i  # PostgreSQL lists a constraint's own index too
                ),
                "unique": sorted(
                    (u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)
                ),
            }
        return shape
    finally:
        engine.dispose()


def test_opening_twice_changes_nothing_D18(store_url: str) -> None:
    first = open_store(store_url)
    revision = first.schema_revision()
    first.close()
    second = open_store(store_url)
    try:
        assert second.schema_revision() == revision == head_revision()
        assert [(e.id, e.version) for e in second.list_entities("calendar")] == [("gregorian", 1)]
    finally:
        second.close()


def test_a_user_choice_survives_reopening_CAL_1(store_url: str) -> None:
    with open_store(store_url) as store:
        store.put_entity("calendar", "fiscal", {"id": "fiscal"}, status="active")
        store.set_default("calendar", "fiscal")
    with open_store(store_url) as store:
        assert store.get_default("calendar").id == "fiscal"  # type: ignore[union-attr]


def test_the_migrated_schema_matches_the_query_tables_D18(store_url: str) -> None:
    open_store(store_url).close()
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            diff = [d for d in compare_metadata(context, metadata) if not _is_version_table(d)]
    finally:
        engine.dispose()
    assert diff == []


def _is_version_table(diff: Any) -> bool:
    return isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name == VERSION_TABLE


@pytest.mark.postgres
def test_both_backends_end_at_the_same_revision_with_the_same_schema_D18(dobo_home: Path, pg_url: str) -> None:
    sqlite_url = f"sqlite:///{dobo_home / 'metadata.db'}"
    for url in (sqlite_url, pg_url):
        with open_store(url) as store:
            assert store.schema_revision() == head_revision()
    sqlite_shape, pg_shape = _shape(sqlite_url), _shape(pg_url)
    assert set(sqlite_shape) == TABLES
    assert sqlite_shape == pg_shape
    run_indexes = {name: unique for name, _, unique in pg_shape["runs"]["indexes"]}
    assert run_indexes["uq_runs_active_project_period"] is True


def test_the_default_store_is_a_sqlite_file_under_dobo_home_D24(dobo_home: Path) -> None:
    assert not dobo_home.exists()
    with open_store() as store:
        assert store.dialect == "sqlite"
        assert store.get_default("calendar") is not None
    assert (dobo_home / "metadata.db").is_file()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_D18(dobo_home: Path) -> None:
    with open_store() as store:
        with store._engine.connect() as connection:  # noqa: SLF001 - inspecting the connection setup
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 5000


@pytest.mark.parametrize("scheme", ["postgresql+psycopg2", "postgresql"])
def test_an_unreachable_server_is_a_connection_failure_without_the_password_D31_D19(scheme: str) -> None:
    with pytest.raises(ConnectionFailure) as caught:
        open_store(f"{scheme}://dobo:s3cr3t-pw@127.0.0.1:1/meta")
    text = caught.value.render() + repr(caught.value.to_dict())
    assert "s3cr3t-pw" not in text
    assert "127.0.0.1:1/meta" in text and "dobo" in text
    assert caught.value.__cause__ is None


def test_an_unsupported_url_is_a_connection_failure() -> None:
    with pytest.raises(ConnectionFailure, match="unsupported"):
        open_store("mysql://u:pw@localhost/db")


def test_the_head_revision_a_store_is_checked_against_without_alembic_is_alembics_head():
    from dobo_engine.store.migrate import HEAD_REVISION

    assert HEAD_REVISION == head_revision()
