"""Versioned entities (GEN-4, D18): every authored version kept, immutable.

A put bumps the version only when the canonical content changes; status,
default flag and system state live beside the versions, so changing them
never creates a version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from dobo_engine.errors import EntityNotFound, VersionNotFound
from dobo_engine.store.canonical import content_hash
from dobo_engine.store.records import PutResult, StoredEntity
from dobo_engine.store.schema import dialect_insert, entities, entity_versions
from dobo_engine.store.types import utcnow


def put_entity(
    conn: sa.Connection, kind: str, id: str, content: Mapping[str, Any], *, status: str | None = None
) -> PutResult:
    """Store ``content`` as the entity's newest version if it differs.

    ``status`` is only used when the entity is new; an existing entity's
    status changes through :func:`set_status` (lifecycle actions, GEN-3).
    """
    digest = content_hash(content)
    if _claim_new(conn, kind, id, status):
        _insert_version(conn, kind, id, 1, content, digest)
        return PutResult(kind, id, 1, "created")
    row = conn.execute(
        sa.select(entities.c.current_version).where(entities.c.kind == kind, entities.c.id == id).with_for_update()
    ).one()
    current = int(row.current_version)
    if _version_hash(conn, kind, id, current) == digest:
        return PutResult(kind, id, current, "unchanged")
    _insert_version(conn, kind, id, current + 1, content, digest)
    _update_entity(conn, kind, id, current_version=current + 1)
    return PutResult(kind, id, current + 1, "updated")


def get_entity(conn: sa.Connection, kind: str, id: str, version: int | None = None) -> StoredEntity:
    head = _entity_row(conn, kind, id)
    wanted = head.current_version if version is None else version
    row = conn.execute(
        sa.select(entity_versions.c.content).where(
            entity_versions.c.kind == kind, entity_versions.c.id == id, entity_versions.c.version == wanted
        )
    ).first()
    if row is None:
        available = ", ".join(str(v) for v in list_versions(conn, kind, id))
        raise VersionNotFound(f"{kind} {id!r} has no version {wanted}", detail=f"available versions: {available}")
    return _record(head, wanted, row.content)


def list_entities(conn: sa.Connection, kind: str) -> list[StoredEntity]:
    """Every entity of a kind at its latest version, by id."""
    query = (
        sa.select(entities, entity_versions.c.content)
        .join(
            entity_versions,
            sa.and_(
                entity_versions.c.kind == entities.c.kind,
                entity_versions.c.id == entities.c.id,
                entity_versions.c.version == entities.c.current_version,
            ),
        )
        .where(entities.c.kind == kind)
        .order_by(entities.c.id)
    )
    return [_record(row, row.current_version, row.content) for row in conn.execute(query)]


def version_created_at(conn: sa.Connection, kind: str, id: str, version: int) -> dt.datetime:
    """When `version` of the entity was stored."""
    query = sa.select(entity_versions.c.created_at).where(
        entity_versions.c.kind == kind, entity_versions.c.id == id, entity_versions.c.version == version
    )
    found = conn.scalar(query)
    if found is None:
        raise VersionNotFound(f"{kind} {id!r} has no version {version}")
    return found if isinstance(found, dt.datetime) else dt.datetime.fromisoformat(str(found))


def list_versions(conn: sa.Connection, kind: str, id: str) -> list[int]:
    query = (
        sa.select(entity_versions.c.version)
        .where(entity_versions.c.kind == kind, entity_versions.c.id == id)
        .order_by(entity_versions.c.version)
    )
    versions = [int(v) for v in conn.scalars(query)]
    if not versions:
        raise EntityNotFound(f"no {kind} with id {id!r}")
    return versions


def set_status(conn: sa.Connection, kind: str, id: str, status: str) -> None:
    _update_entity(conn, kind, id, status=status)


def set_system(conn: sa.Connection, /, kind: str, id: str, **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` into the system state; a ``None`` value removes that key."""
    system = dict(_entity_row(conn, kind, id, for_update=True).system)
    for key, value in fields.items():
        if value is None:
            system.pop(key, None)
        else:
            system[key] = value
    _update_entity(conn, kind, id, system=system)
    return system


def set_default(conn: sa.Connection, kind: str, id: str) -> None:
    """Make this entity the kind's default, taking the flag from any other (CAL-1, RES-10)."""
    _entity_row(conn, kind, id)
    # Clear first: the partial unique index allows one flagged row per kind at any moment.
    conn.execute(
        entities.update()
        .where(entities.c.kind == kind, entities.c.is_default.is_(True), entities.c.id != id)
        .values(is_default=False, updated_at=utcnow())
    )
    _update_entity(conn, kind, id, is_default=True)


def clear_default(conn: sa.Connection, kind: str, id: str) -> None:
    """Take the default flag off this entity (policy such as D31 DefaultRequired is the caller's)."""
    _update_entity(conn, kind, id, is_default=False)


def get_default(conn: sa.Connection, kind: str) -> StoredEntity | None:
    row = conn.execute(sa.select(entities.c.id).where(entities.c.kind == kind, entities.c.is_default.is_(True))).first()
    return None if row is None else get_entity(conn, kind, row.id)


def _entity_row(conn: sa.Connection, kind: str, id: str, *, for_update: bool = False) -> sa.Row[Any]:
    query = sa.select(entities).where(entities.c.kind == kind, entities.c.id == id)
    row = conn.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        raise EntityNotFound(f"no {kind} with id {id!r}")
    return row


def _version_hash(conn: sa.Connection, kind: str, id: str, version: int) -> str:
    return str(
        conn.scalar(
            sa.select(entity_versions.c.content_hash).where(
                entity_versions.c.kind == kind, entity_versions.c.id == id, entity_versions.c.version == version
            )
        )
    )


def _insert_version(
    conn: sa.Connection, kind: str, id: str, version: int, content: Mapping[str, Any], digest: str
) -> None:
    conn.execute(
        entity_versions.insert().values(
            kind=kind, id=id, version=version, content=dict(content), content_hash=digest, created_at=utcnow()
        )
    )


def _claim_new(conn: sa.Connection, kind: str, id: str, status: str | None) -> bool:
    """Insert the entity's head row if absent; True when this transaction created it.

    Insert-if-absent rather than select-then-insert: two transactions creating
    the same entity at once then queue on the row (PostgreSQL) instead of one
    failing on a duplicate key.
    """
    now = utcnow()
    values = dict(
        kind=kind,
        id=id,
        current_version=1,
        status=status,
        is_default=False,
        system={},
        created_at=now,
        updated_at=now,
    )
    insert = dialect_insert(conn)(entities).values(**values).on_conflict_do_nothing(index_elements=["kind", "id"])
    return conn.execute(insert).rowcount == 1


def _update_entity(conn: sa.Connection, kind: str, id: str, **values: Any) -> None:
    result = conn.execute(
        entities.update().where(entities.c.kind == kind, entities.c.id == id).values(**values, updated_at=utcnow())
    )
    if result.rowcount == 0:
        raise EntityNotFound(f"no {kind} with id {id!r}")


def _record(head: sa.Row[Any], version: int, content: dict[str, Any]) -> StoredEntity:
    return StoredEntity(
        kind=head.kind,
        id=head.id,
        version=int(version),
        latest_version=int(head.current_version),
        status=head.status,
        is_default=bool(head.is_default),
        system=dict(head.system),
        content=content,
        created_at=head.created_at,
        updated_at=head.updated_at,
    )
