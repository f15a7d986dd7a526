"""Located reading of scenario and fixture YAML (scenarios.md §1, §10).

Scenario files and fixture catalogs share these pieces: typed access where
every failure is a ``ScenarioParseError`` at the file and line of the
offending key, data blocks (§2), Period lists, and entity building with the
positions shifted into the file the entity was written in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dobo_engine.errors import DoboError, DoboErrors, Location, ScenarioParseError, error_class
from dobo_engine.model.dataset import Dataset
from dobo_engine.model.documents import build_entity
from dobo_engine.model.yaml_loader import YamlDocument, YamlPath, format_path

PERIOD_KEYS = {"identifier", "level", "start_date", "end_date", "parent"}
Positions = dict[YamlPath, tuple[int, int]]


@dataclass(frozen=True)
class DataBlock:
    """Rows given inline or by a file relative to the YAML file that holds them (§2 rule 1-2)."""

    path: YamlPath  # where the block is in ``doc``, for located errors
    doc: YamlDocument  # the scenario, or the fixture catalog the block comes from (§10)
    rows: list[dict[str, Any]] | None = None
    file: Path | None = None


@dataclass(frozen=True)
class PeriodSpec:
    identifier: str
    level: str
    start_date: date
    end_date: date
    parent: str | None = None


def locate(doc: YamlDocument, path: YamlPath) -> Location:
    position = doc.position(path)
    return Location(
        file=doc.file,
        path=format_path(path) or None,
        line=position[0] if position else None,
        column=position[1] if position else None,
    )


def shifted_positions(doc: YamlDocument, source: YamlPath, target: YamlPath) -> Positions:
    """The positions of the nodes under ``source``, keyed as if that node sat at ``target``."""
    return {(*target, *p[len(source) :]): pos for p, pos in doc.positions.items() if p[: len(source)] == source}


class Reader:
    """Typed access to one YAML document; every failure is located in it."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc

    def fail(self, path: YamlPath, message: str) -> ScenarioParseError:
        return ScenarioParseError(message, location=locate(self.doc, path), rule="scenarios.md §1")

    def mapping(
        self, value: Any, path: YamlPath, allowed: set[str], required: frozenset[str] | set[str] = frozenset()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"{format_path(path) or 'the scenario'} must be a mapping")
        for key in value:
            if key not in allowed:
                raise self.fail((*path, key), f"unknown key {key!r} (expected one of: {', '.join(sorted(allowed))})")
        for key in sorted(required):
            if key not in value:
                raise self.fail(path, f"{format_path(path) or 'the scenario'} needs {key!r}")
        return value

    def any_mapping(self, value: Any, path: YamlPath) -> dict[str, Any]:
        return self.mapping(value, path, set(value) if isinstance(value, dict) else set())

    def text(self, value: Any, path: YamlPath, *, empty_ok: bool = False) -> str:
        if not isinstance(value, str) or (not empty_ok and not value.strip()):
            raise self.fail(path, f"{format_path(path)} must be a non-empty string")
        return value

    def integer(self, value: Any, path: YamlPath) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(path, f"{format_path(path)} must be an integer")
        return value

    def boolean(self, value: Any, path: YamlPath) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"{format_path(path)} must be true or false")
        return value

    def day(self, value: Any, path: YamlPath) -> date:
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(path, f"{format_path(path)} must be a date YYYY-MM-DD, got {value!r}") from None

    def timestamp(self, value: Any, path: YamlPath) -> datetime:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise self.fail(path, f"{format_path(path)} must be an ISO 8601 timestamp, got {value!r}") from None
        # A timestamp without an offset is taken as UTC, like every dobo clock.
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)

    def entity(self, kind: str, body: dict[str, Any], path: YamlPath, positions: Positions | None = None) -> Any:
        """Build an entity with errors located in this file at ``path``.

        ``positions`` (keyed from ``(kind,)``) replaces the positions of the
        nodes under ``path``, for a body that was merged from several places.
        """
        located = positions if positions is not None else shifted_positions(self.doc, path, (kind,))
        try:
            return build_entity(kind, body, YamlDocument(body, self.doc.file, 0, located))
        except DoboErrors as exc:
            raise _relocated(exc, path, kind) from None

    def periods(self, value: Any, path: YamlPath) -> list[PeriodSpec]:
        """A Period list (§1): >= 1 entry, unique identifiers, parents among them."""
        if not isinstance(value, list) or not value:
            raise self.fail(path, f"{format_path(path)} must be a list with at least one Period")
        found: list[PeriodSpec] = []
        for i, item in enumerate(value):
            p = (*path, i)
            m = self.mapping(item, p, PERIOD_KEYS, {"identifier", "level", "start_date", "end_date"})
            spec = PeriodSpec(
                self.text(str(m["identifier"]), (*p, "identifier")),
                self.text(m["level"], (*p, "level")),
                self.day(m["start_date"], (*p, "start_date")),
                self.day(m["end_date"], (*p, "end_date")),
                str(m["parent"]) if m.get("parent") is not None else None,
            )
            if spec.end_date < spec.start_date:
                raise self.fail((*p, "end_date"), "end_date is before start_date")
            if any(f.identifier == spec.identifier for f in found):
                raise self.fail((*p, "identifier"), f"Period {spec.identifier!r} is listed twice")
            found.append(spec)
        known = {f.identifier for f in found}
        for i, spec in enumerate(found):
            if spec.parent is not None and spec.parent not in known:
                raise self.fail((*path, i, "parent"), f"parent {spec.parent!r} is not one of the periods")
        return found

    def block(self, value: Any, path: YamlPath) -> DataBlock:
        m = self.mapping(value, path, {"rows", "file"})
        if ("rows" in m) == ("file" in m):
            raise self.fail(path, "a data block has exactly one of `rows` or `file` (§2 rule 1)")
        if "file" in m:
            return DataBlock(path, self.doc, file=Path(self.doc.file).parent / self.text(m["file"], (*path, "file")))
        rows = m["rows"] or []
        if not isinstance(rows, list):
            raise self.fail((*path, "rows"), "rows must be a list of mappings")
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise self.fail((*path, "rows", i), "each row must be a mapping of column: value")
        return DataBlock(path, self.doc, rows=rows)

    def data_blocks(self, dataset: Dataset, value: Any, path: YamlPath) -> dict[str, DataBlock]:
        """The `data` of a Dataset entry: one block per table of ``dataset`` (§2)."""
        data = self.any_mapping(value or {}, path)
        tables = table_names(dataset)
        blocks: dict[str, DataBlock] = {}
        for table, block in data.items():
            if table not in tables:
                raise self.fail(
                    (*path, table),
                    f"Dataset {dataset.id!r} has no table {table!r} (tables: {', '.join(sorted(tables))})",
                )
            blocks[table] = self.block(block, (*path, table))
        return blocks


def table_names(dataset: Dataset) -> set[str]:
    """The tables rows can be given for: the main table and the table lookups."""
    return {dataset.main_table.name, *(lk.target.name for lk in dataset.lookups if lk.target.type == "table")}


def _relocated(exc: DoboErrors, prefix: YamlPath, kind: str) -> DoboErrors:
    """Entity errors with their YAML paths rewritten to the file's paths."""
    moved: list[DoboError] = []
    for err in exc.errors:
        loc = err.location
        path = loc.path
        if path and path.startswith(kind):
            path = format_path(prefix) + path[len(kind) :]
        where = Location(loc.file, path, loc.line, loc.column, loc.operation_order)
        moved.append(error_class(err.code)(err.message, rule=err.rule, detail=err.detail, location=where))
    return DoboErrors(moved)


def parse_error_from(exc: DoboErrors) -> ScenarioParseError:
    """One ScenarioParseError carrying every entity error (first one locates it)."""
    first = exc.errors[0]
    detail = "\n".join(e.render() for e in exc.errors[1:]) or None
    return ScenarioParseError(f"{first.code}: {first.message}", location=first.location, rule=first.rule, detail=detail)


__all__ = [
    "DataBlock",
    "PeriodSpec",
    "Reader",
    "locate",
    "shifted_positions",
    "parse_error_from",
    "Positions",
    "table_names",
]
