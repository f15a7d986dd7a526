"""Reading a catalog folder (D18, D28): every document of every file, every error collected.

A catalog has one folder per kind (``datasets/``, ``datasources/``,
``calendars/``, ``periods/``, ``resolvers/``, ``projects/``). Any kind is
accepted in any of them; the file an entity came from is kept, so every
later error (references, stale fields, defaults) can name file, YAML path
and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dobo_engine.errors import CatalogNotFound, DoboError, DoboErrors, Location, UnknownKind, error_class
from dobo_engine.model.calendar import Period
from dobo_engine.model.common import Entity
from dobo_engine.model.documents import ENTITY_KINDS, parse_document
from dobo_engine.model.yaml_loader import YamlDocument, format_path, load_yaml_file

KIND_FOLDERS: tuple[str, ...] = ("datasets", "datasources", "calendars", "periods", "resolvers", "projects")
SUFFIXES: frozenset[str] = frozenset({".yaml", ".yml", ".json"})


@dataclass
class Authored:
    """One entity of the apply, with the document it was read from."""

    kind: str
    entity: Entity
    doc: YamlDocument | None
    file: str

    @property
    def key(self) -> str:
        """The entity's id; a Period's is ``calendar/identifier`` (matched so, D28)."""
        entity = self.entity
        if isinstance(entity, Period):
            return f"{entity.calendar_id}/{entity.identifier}"
        return str(getattr(entity, "id"))  # noqa: B009 - the Entity base declares no id; each kind does

    def locate(self, *path: str | int) -> Location:
        """Location of ``path`` (relative to the kind key) in the source document."""
        full = (self.kind, *path)
        position = self.doc.position(full) if self.doc is not None else None
        return Location(
            file=self.file,
            path=format_path(full),
            line=position[0] if position else None,
            column=position[1] if position else None,
            operation_order=_operation_order(self.entity, path),
        )

    def error(
        self, path: tuple[str | int, ...], code: str, rule: str, message: str, detail: str | None = None
    ) -> DoboError:
        return error_class(code)(message, rule=rule, detail=detail, location=self.locate(*path))


def _operation_order(entity: Entity, path: tuple[str | int, ...]) -> int | None:
    if len(path) < 2 or path[0] != "operations" or not isinstance(path[1], int):
        return None
    operations: list[Any] = getattr(entity, "operations", [])
    return operations[path[1]].order if path[1] < len(operations) else None


def catalog_files(folder: Path) -> list[Path]:
    """Every YAML/JSON file under the kind folders, in a stable order."""
    if not folder.is_dir():
        raise CatalogNotFound(f"catalog folder {str(folder)!r} does not exist", location=Location(file=str(folder)))
    present = [folder / name for name in KIND_FOLDERS if (folder / name).is_dir()]
    if not present:
        raise CatalogNotFound(
            f"catalog folder {str(folder)!r} has none of the kind folders",
            detail="expected one or more of: " + ", ".join(f"{name}/" for name in KIND_FOLDERS),
            location=Location(file=str(folder)),
        )
    return [
        path
        for sub in present
        for path in sorted(sub.rglob("*"))
        if path.is_file() and path.suffix.lower() in SUFFIXES and not path.name.startswith(".")
    ]


@dataclass
class CatalogRead:
    """What reading a catalog found. ``broken`` names the (kind, id) of invalid documents,
    so that references to them are not reported a second time as unresolved."""

    items: list[Authored] = field(default_factory=list)
    errors: list[DoboError] = field(default_factory=list)
    broken: set[tuple[str, str]] = field(default_factory=set)
    unreadable: bool = False  # some file could not be read at all: its ids are unknown


def _claimed_key(doc: YamlDocument) -> tuple[str, str] | None:
    """(kind, id) that an invalid document meant to define, when it can be told."""
    data = doc.data
    kinds = [k for k in data if k in ENTITY_KINDS] if isinstance(data, dict) else []
    body = data[kinds[0]] if kinds else None
    if not isinstance(body, dict):
        return None
    if kinds[0] == "period":
        return "period", f"{body.get('calendar_id')}/{body.get('identifier')}"
    return (kinds[0], str(body["id"])) if "id" in body else None


def read_catalog(folder: str | Path) -> CatalogRead:
    """Parse every document of the catalog; errors of all files are collected, not raised."""
    read = CatalogRead()
    for path in catalog_files(Path(folder)):
        try:
            docs = load_yaml_file(path)
        except DoboErrors as exc:
            read.errors += exc.errors
            read.unreadable = True
            continue
        except DoboError as exc:  # a syntax error stops only its own file
            read.errors.append(exc)
            read.unreadable = True
            continue
        if not docs:  # an empty or comments-only file defines nothing; applying it as "0 created" hides the slip
            read.errors.append(
                UnknownKind(
                    "the catalog file holds no document (it is empty or only comments)",
                    rule="GEN-2",
                    detail="each catalog file defines one or more entities under their kind key: "
                    + ", ".join(ENTITY_KINDS),
                    location=Location(file=str(path)),
                )
            )
            continue
        for doc in docs:
            try:
                entity = parse_document(doc)
            except DoboErrors as exc:
                read.errors += exc.errors
                claimed = _claimed_key(doc)
                if claimed is not None:
                    read.broken.add(claimed)
                continue
            read.items.append(Authored(entity.KIND, entity, doc, str(path)))
    return read
