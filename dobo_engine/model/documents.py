"""Authored documents -> entities (GEN-2), with every error located and collected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dobo_engine.errors import DoboError, DoboErrors, InvalidField, Location, UnknownKey, UnknownKind, error_class
from dobo_engine.model.calendar import Calendar, Period
from dobo_engine.model.calendar_mapping import CalendarMapping
from dobo_engine.model.common import Entity, Issue, LoadWarning
from dobo_engine.model.dataset import Dataset
from dobo_engine.model.datasource import DataSource
from dobo_engine.model.project import Project
from dobo_engine.model.pydantic_errors import issues_from_validation_error
from dobo_engine.model.resolver import Resolver
from dobo_engine.model.yaml_loader import YamlDocument, format_path, load_yaml_file, load_yaml_text

ENTITY_KINDS: dict[str, type[Entity]] = {
    "dataset": Dataset,
    "datasource": DataSource,
    "calendar": Calendar,
    "period": Period,
    "resolver": Resolver,
    "project": Project,
    "calendar_mapping": CalendarMapping,
}


def _location(doc: YamlDocument | None, path: tuple[str | int, ...]) -> Location:
    position = doc.position(path) if doc is not None else None
    return Location(
        file=doc.file if doc is not None else None,
        path=format_path(path) or None,
        line=position[0] if position else None,
        column=position[1] if position else None,
        operation_order=_operation_order(doc.data if doc is not None else None, path),
    )


def _operation_order(data: Any, path: tuple[str | int, ...]) -> int | None:
    """The `order` of the Project operation that ``path`` points into, if any."""
    if len(path) < 3 or path[0] != "project" or path[1] != "operations" or not isinstance(path[2], int):
        return None
    try:
        order = data["project"]["operations"][path[2]]["order"]
    except (KeyError, IndexError, TypeError):
        return None
    return order if isinstance(order, int) and not isinstance(order, bool) else None


def _error(doc: YamlDocument | None, kind: str, issue: Issue) -> DoboError:
    return error_class(issue.code)(issue.message, rule=issue.rule, location=_location(doc, (kind, *issue.path)))


def _kind_of(doc: YamlDocument) -> str:
    data = doc.data
    if not isinstance(data, dict) or not data:
        raise DoboErrors(
            [
                UnknownKind(
                    "a document must be a mapping with one kind key: " + ", ".join(ENTITY_KINDS),
                    rule="GEN-2",
                    location=_location(doc, ()),
                )
            ]
        )
    kinds: list[str] = [key for key in data if key in ENTITY_KINDS]
    errors: list[DoboError] = [
        (UnknownKey if kinds else UnknownKind)(
            f"unknown key {key!r}: a document holds one entity under its kind key"
            if kinds
            else f"unknown kind {key!r} (expected one of: {', '.join(ENTITY_KINDS)})",
            rule="GEN-2",
            location=_location(doc, (key,)),
        )
        for key in data
        if key not in ENTITY_KINDS
    ]
    errors += [
        InvalidField(
            "a document holds exactly one entity; put each in its own `---` document",
            rule="GEN-2",
            location=_location(doc, (key,)),
        )
        for key in kinds[1:]
    ]
    if errors:
        raise DoboErrors(errors)
    return kinds[0]


def build_entity(kind: str, body: Any, doc: YamlDocument | None = None) -> Entity:
    """Validate one entity body of a known kind; raise DoboErrors with every problem."""
    model = ENTITY_KINDS[kind]
    if not isinstance(body, dict):
        issue = Issue((), "InvalidField", "GEN-2", f"the {kind} must be a mapping of fields")
        raise DoboErrors([_error(doc, kind, issue)])
    try:
        entity = model.model_validate(body)
    except ValidationError as exc:
        raise DoboErrors([_error(doc, kind, i) for i in issues_from_validation_error(exc, model, body)]) from None
    issues = entity.structural_issues()
    errors = [_error(doc, kind, i) for i in issues if not i.warning]
    if errors:
        raise DoboErrors(errors)
    entity._load_warnings = [
        LoadWarning(i.message, i.rule, _location(doc, (kind, *i.path))) for i in issues if i.warning
    ]
    return entity


def parse_document(doc: YamlDocument) -> Entity:
    """The entity of one document (GEN-2); all its errors raised together as DoboErrors."""
    kind = _kind_of(doc)
    return build_entity(kind, doc.data[kind], doc)


def parse_documents(docs: list[YamlDocument]) -> list[Entity]:
    """Every entity of several documents; errors of all documents raised together."""
    entities: list[Entity] = []
    errors: list[DoboError] = []
    for doc in docs:
        try:
            entities.append(parse_document(doc))
        except DoboErrors as exc:
            errors += exc.errors
    if errors:
        raise DoboErrors(errors)
    return entities


def parse_text(text: str, file: str = "<text>") -> list[Entity]:
    return parse_documents(load_yaml_text(text, file))


def parse_file(path: str | Path) -> list[Entity]:
    return parse_documents(load_yaml_file(path))


def entity_from_dict(kind: str, data: dict[str, Any]) -> Entity:
    """Rebuild an entity from stored content (no file positions)."""
    return build_entity(kind, data)


def authored_content(entity: Entity) -> dict[str, Any]:
    """JSON-safe canonical dict of the authored fields (system-managed ones left out, GEN-3/4)."""
    return entity.model_dump(mode="json", exclude=set(entity.SYSTEM_FIELDS))
