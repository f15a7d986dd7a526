"""Scenario files (scenarios.md §1): reading, key checks and the parsed shape.

Every problem is a ``ScenarioParseError`` located at the file and line of the
offending key, so a user can jump straight to it. Entities inside a scenario
(the Datasets, an inline Project) are built by the same model code as catalog
documents, with their positions shifted into the scenario file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from dobo_engine.errors import DoboError, DoboErrors, Location, ScenarioParseError
from dobo_engine.model.dataset import Dataset
from dobo_engine.model.documents import build_entity
from dobo_engine.model.project import Project
from dobo_engine.model.yaml_loader import YamlDocument, YamlPath, format_path, load_yaml_text

TOP_KEYS = {"name", "description", "periods", "run", "input", "datasets", "project", "expected_output",
            "expected_trace", "expected_error", "config"}
PERIOD_KEYS = {"identifier", "level", "start_date", "end_date", "parent"}
RUN_KEYS = {"period", "clock", "as_known_at"}
CONFIG_DEFAULTS: dict[str, Any] = {
    "match_mode": "exact", "order_sensitive": False, "key_columns": None, "validate_metadata": False,
    "validate_traceability": False, "trace_match_mode": "subset", "snapshot_on_failure": True,
    "float_tolerance": 1e-9,
}
ASSERTION_KEYS = {"operation_order", "change_type", "row_match", "expected_diff"}
# Project fields an inline Project may not set (rule 2): the harness fills them.
INLINE_FORBIDDEN = {"id", "status", "version", "input_dataset_id"}


@dataclass(frozen=True)
class DataBlock:
    """Rows given inline or by a file relative to the scenario (§2 rule 1-2)."""

    path: YamlPath  # where the block is, for located errors
    rows: list[dict[str, Any]] | None = None
    file: Path | None = None


@dataclass(frozen=True)
class ScenarioDataset:
    dataset: Dataset
    data: dict[str, DataBlock]  # by table name
    path: YamlPath


@dataclass(frozen=True)
class PeriodSpec:
    identifier: str
    level: str
    start_date: date
    end_date: date
    parent: str | None = None


@dataclass(frozen=True)
class ExpectedBlock:
    operation: int | None
    data: DataBlock


@dataclass(frozen=True)
class ExpectedError:
    code: str
    operation_order: int | None = None
    message_contains: str | None = None


@dataclass
class Scenario:
    name: str
    file: Path
    doc: YamlDocument
    periods: list[PeriodSpec]
    run_period: str
    clock: datetime
    as_known_at: date | None
    input: ScenarioDataset
    datasets: list[ScenarioDataset]
    project_body: dict[str, Any] | None  # inline Project as authored (built in the runner)
    project_ref: tuple[str, int | None] | None
    expected_outputs: list[ExpectedBlock]
    expected_trace: list[dict[str, Any]]
    expected_error: ExpectedError | None
    config: dict[str, Any]
    description: str = ""
    warnings: list[str] = field(default_factory=list)

    def location(self, path: YamlPath) -> Location:
        return locate(self.doc, path)

    def all_datasets(self) -> list[ScenarioDataset]:
        return [self.input, *self.datasets]


def locate(doc: YamlDocument, path: YamlPath) -> Location:
    position = doc.position(path)
    return Location(file=doc.file, path=format_path(path) or None,
                    line=position[0] if position else None, column=position[1] if position else None)


class _Reader:
    """Typed access to the scenario document; every failure is located."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc

    def fail(self, path: YamlPath, message: str) -> ScenarioParseError:
        return ScenarioParseError(message, location=locate(self.doc, path), rule="scenarios.md §1")

    def mapping(self, value: Any, path: YamlPath, allowed: set[str], required: set[str] = frozenset()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"{format_path(path) or 'the scenario'} must be a mapping")
        for key in value:
            if key not in allowed:
                raise self.fail((*path, key), f"unknown key {key!r} (expected one of: {', '.join(sorted(allowed))})")
        for key in sorted(required):
            if key not in value:
                raise self.fail(path, f"{format_path(path) or 'the scenario'} needs {key!r}")
        return value

    def any_mapping(self, value: Any, path: YamlPath) -> dict:
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
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)

    def entity(self, kind: str, body: dict[str, Any], path: YamlPath) -> Any:
        """Build an entity with errors located in the scenario file (positions shifted)."""
        shifted = {(kind, *p[len(path):]): pos for p, pos in self.doc.positions.items() if p[:len(path)] == path}
        try:
            return build_entity(kind, body, YamlDocument(body, self.doc.file, 0, shifted))
        except DoboErrors as exc:
            raise _relocated(exc, path, kind) from None


def _relocated(exc: DoboErrors, prefix: YamlPath, kind: str) -> DoboErrors:
    """Entity errors with their YAML paths rewritten to the scenario's paths."""
    moved: list[DoboError] = []
    for err in exc.errors:
        loc = err.location
        path = loc.path
        if path and path.startswith(kind):
            path = format_path(prefix) + path[len(kind):]
        moved.append(DoboError(err.message, code=err.code, rule=err.rule, detail=err.detail,
                               location=Location(loc.file, path, loc.line, loc.column, loc.operation_order)))
    return DoboErrors(moved)


def parse_error_from(exc: DoboErrors) -> ScenarioParseError:
    """One ScenarioParseError carrying every entity error (first one locates it)."""
    first = exc.errors[0]
    detail = "\n".join(e.render() for e in exc.errors[1:]) or None
    return ScenarioParseError(f"{first.code}: {first.message}", location=first.location, rule=first.rule,
                              detail=detail)


def load_scenario(path: Path) -> Scenario:
    """Read and check one scenario file. Raises ScenarioParseError (located)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioParseError(f"cannot read scenario: {exc}", location=Location(file=str(path))) from None
    try:
        docs = load_yaml_text(text, str(path))
    except DoboError as exc:
        raise ScenarioParseError(exc.message, location=exc.location, rule="D29") from None
    if len(docs) != 1:
        raise ScenarioParseError("a scenario file holds exactly one YAML document", location=Location(file=str(path)))
    return _Parser(docs[0], path).scenario()


class _Parser(_Reader):
    def __init__(self, doc: YamlDocument, file: Path) -> None:
        super().__init__(doc)
        self.file = file

    def scenario(self) -> Scenario:
        data = self.mapping(self.doc.data, (), TOP_KEYS, {"name", "periods", "input", "project"})
        periods = self.periods(data["periods"])
        run = self.mapping(data.get("run") or {}, ("run",), RUN_KEYS)
        run_period = self.text(run.get("period", periods[0].identifier), ("run", "period"))
        target = next((p for p in periods if p.identifier == run_period), None)
        if target is None:
            raise self.fail(("run", "period"), f"run.period {run_period!r} is not one of the scenario's periods")
        clock = (self.timestamp(run["clock"], ("run", "clock")) if "clock" in run
                 else datetime(target.start_date.year, target.start_date.month, target.start_date.day,
                               tzinfo=timezone.utc))
        as_known_at = self.day(run["as_known_at"], ("run", "as_known_at")) if "as_known_at" in run else None
        input_ds = self.dataset_entry(data["input"], ("input",), default_id="input")
        datasets = [self.dataset_entry(d, ("datasets", i)) for i, d in enumerate(self.sequence(data, "datasets"))]
        ids = [d.dataset.id for d in [input_ds, *datasets]]
        for i, ds in enumerate(datasets):
            if ids.count(ds.dataset.id) > 1:
                raise self.fail(("datasets", i), f"Dataset {ds.dataset.id!r} is defined twice")
        body, ref = self.project(data["project"])
        has_output, has_error = "expected_output" in data, "expected_error" in data
        if has_output == has_error:
            raise self.fail((), "a scenario has exactly one of expected_output or expected_error (rule 7)")
        return Scenario(
            name=self.text(data["name"], ("name",)),
            description=self.text(data.get("description", ""), ("description",), empty_ok=True),
            file=self.file, doc=self.doc, periods=periods, run_period=run_period, clock=clock,
            as_known_at=as_known_at, input=input_ds, datasets=datasets, project_body=body, project_ref=ref,
            expected_outputs=self.expected_outputs(data) if has_output else [],
            expected_trace=self.assertions(data.get("expected_trace")),
            expected_error=self.expected_error(data["expected_error"]) if has_error else None,
            config=self.config(data.get("config") or {}),
        )

    def sequence(self, data: dict, key: str) -> list:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise self.fail((key,), f"{key} must be a list")
        return value

    def periods(self, value: Any) -> list[PeriodSpec]:
        if not isinstance(value, list) or not value:
            raise self.fail(("periods",), "periods must be a list with at least one Period")
        found: list[PeriodSpec] = []
        for i, item in enumerate(value):
            p = ("periods", i)
            m = self.mapping(item, p, PERIOD_KEYS, {"identifier", "level", "start_date", "end_date"})
            spec = PeriodSpec(self.text(str(m["identifier"]), (*p, "identifier")), self.text(m["level"], (*p, "level")),
                              self.day(m["start_date"], (*p, "start_date")), self.day(m["end_date"], (*p, "end_date")),
                              str(m["parent"]) if m.get("parent") is not None else None)
            if spec.end_date < spec.start_date:
                raise self.fail((*p, "end_date"), "end_date is before start_date")
            if any(f.identifier == spec.identifier for f in found):
                raise self.fail((*p, "identifier"), f"Period {spec.identifier!r} is listed twice")
            found.append(spec)
        known = {f.identifier for f in found}
        for i, spec in enumerate(found):
            if spec.parent is not None and spec.parent not in known:
                raise self.fail(("periods", i, "parent"), f"parent {spec.parent!r} is not one of the periods")
        return found

    def dataset_entry(self, value: Any, path: YamlPath, default_id: str | None = None) -> ScenarioDataset:
        entry = self.mapping(value, path, {"dataset", "data"}, {"dataset"})
        body = dict(self.any_mapping(entry["dataset"], (*path, "dataset")))
        if "id" not in body:
            if default_id is None:
                raise self.fail((*path, "dataset"), "a Dataset under `datasets` needs an id")
            body["id"] = default_id
        body.setdefault("name", body["id"])  # rule 8
        try:
            dataset = self.entity("dataset", body, (*path, "dataset"))
        except DoboErrors as exc:
            raise parse_error_from(exc) from None
        data = self.any_mapping(entry.get("data") or {}, (*path, "data"))
        tables = {dataset.main_table.name, *(lk.target.name for lk in dataset.lookups if lk.target.type == "table")}
        blocks: dict[str, DataBlock] = {}
        for table, block in data.items():
            if table not in tables:
                raise self.fail((*path, "data", table),
                                f"Dataset {dataset.id!r} has no table {table!r} (tables: {', '.join(sorted(tables))})")
            blocks[table] = self.block(block, (*path, "data", table))
        return ScenarioDataset(dataset, blocks, path)

    def block(self, value: Any, path: YamlPath) -> DataBlock:
        m = self.mapping(value, path, {"rows", "file"})
        if ("rows" in m) == ("file" in m):
            raise self.fail(path, "a data block has exactly one of `rows` or `file` (§2 rule 1)")
        if "file" in m:
            return DataBlock(path, file=self.file.parent / self.text(m["file"], (*path, "file")))
        rows = m["rows"] or []
        if not isinstance(rows, list):
            raise self.fail((*path, "rows"), "rows must be a list of mappings")
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise self.fail((*path, "rows", i), "each row must be a mapping of column: value")
        return DataBlock(path, rows=rows)

    def project(self, value: Any) -> tuple[dict[str, Any] | None, tuple[str, int | None] | None]:
        if isinstance(value, dict) and "ref" in value:
            m = self.mapping(value, ("project",), {"ref"})
            ref = self.mapping(m["ref"], ("project", "ref"), {"id", "version"}, {"id"})
            version = self.integer(ref["version"], ("project", "ref", "version")) if "version" in ref else None
            return None, (self.text(ref["id"], ("project", "ref", "id")), version)
        if not isinstance(value, dict):
            raise self.fail(("project",), "project must be a mapping (inline Project or {ref: {id, version}})")
        for key in value:
            if key in INLINE_FORBIDDEN:
                raise self.fail(("project", key), f"an inline project omits {key!r}; the harness sets it (rule 2)")
        return value, None

    def expected_outputs(self, data: dict) -> list[ExpectedBlock]:
        value = data["expected_output"]
        items = value if isinstance(value, list) else [value]
        blocks: list[ExpectedBlock] = []
        for i, item in enumerate(items):
            p = ("expected_output", i) if isinstance(value, list) else ("expected_output",)
            m = self.mapping(item, p, {"operation", "data"}, {"data"})
            op = self.integer(m["operation"], (*p, "operation")) if "operation" in m else None
            if len(items) > 1 and op is None:
                raise self.fail(p, "with several expected blocks each must name its `operation` (rule 6)")
            blocks.append(ExpectedBlock(op, self.block(m["data"], (*p, "data"))))
        return blocks

    def assertions(self, value: Any) -> list[dict[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(("expected_trace",), "expected_trace must be a list of assertions")
        for i, item in enumerate(value):
            p = ("expected_trace", i)
            m = self.mapping(item, p, ASSERTION_KEYS, {"operation_order", "change_type", "row_match"})
            self.integer(m["operation_order"], (*p, "operation_order"))
            if m["change_type"] not in ("created", "updated", "deleted"):
                raise self.fail((*p, "change_type"), "change_type must be created, updated or deleted")
            self.any_mapping(m["row_match"], (*p, "row_match"))
            for col, diff in self.any_mapping(m.get("expected_diff") or {}, (*p, "expected_diff")).items():
                self.mapping(diff, (*p, "expected_diff", col), {"old", "new"})
        return value

    def expected_error(self, value: Any) -> ExpectedError:
        p = ("expected_error",)
        m = self.mapping(value, p, {"code", "operation_order", "message_contains"}, {"code"})
        order = self.integer(m["operation_order"], (*p, "operation_order")) if "operation_order" in m else None
        contains = self.text(m["message_contains"], (*p, "message_contains")) if "message_contains" in m else None
        return ExpectedError(self.text(m["code"], (*p, "code")), order, contains)

    def config(self, value: Any) -> dict[str, Any]:
        m = self.mapping(value, ("config",), set(CONFIG_DEFAULTS))
        config = {**CONFIG_DEFAULTS, **m}
        p = ("config",)
        if config["match_mode"] not in ("exact", "subset"):
            raise self.fail((*p, "match_mode"), "match_mode must be exact or subset")
        if config["trace_match_mode"] not in ("exact", "subset"):
            raise self.fail((*p, "trace_match_mode"), "trace_match_mode must be exact or subset")
        for key in ("order_sensitive", "validate_metadata", "validate_traceability", "snapshot_on_failure"):
            self.boolean(config[key], (*p, key))
        keys = config["key_columns"]
        if keys is not None and (not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)):
            raise self.fail((*p, "key_columns"), "key_columns must be a list of column names")
        try:
            config["float_tolerance"] = float(config["float_tolerance"])
        except (TypeError, ValueError):
            raise self.fail((*p, "float_tolerance"), "float_tolerance must be a number") from None
        return config


def inline_project(scenario: Scenario) -> Project:
    """The inline Project with the fields the harness supplies (rule 2)."""
    body = dict(scenario.project_body or {})
    body.update(id="scenario", input_dataset_id=scenario.input.dataset.id)
    body.setdefault("materialization", "eager")
    return _Reader(scenario.doc).entity("project", body, ("project",))


__all__ = ["Scenario", "ScenarioDataset", "DataBlock", "ExpectedBlock", "ExpectedError", "PeriodSpec",
           "load_scenario", "inline_project", "parse_error_from", "locate", "CONFIG_DEFAULTS"]
