"""Scenario files (scenarios.md §1): reading, key checks and the parsed shape.

Every problem is a ``ScenarioParseError`` located at the file and line of the
offending key, so a user can jump straight to it. A Dataset entry or the
Periods may name a shared fixture instead (§10, fixtures.py). Entities inside a scenario
(the Datasets, an inline Project) are built by the same model code as catalog
documents, with their positions shifted into the scenario file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from dobo_engine.errors import DoboError, DoboErrors, Location, ScenarioParseError
from dobo_engine.harness.document import DataBlock, PeriodSpec, Reader, locate, parse_error_from, table_names
from dobo_engine.harness.fixtures import FixtureCatalog, catalog_for, overlay_dataset
from dobo_engine.model.dataset import Dataset
from dobo_engine.model.project import Project
from dobo_engine.model.yaml_loader import YamlDocument, YamlPath, format_path, load_yaml_text

TOP_KEYS = {
    "name",
    "description",
    "periods",
    "run",
    "input",
    "datasets",
    "project",
    "expected_output",
    "expected_trace",
    "expected_error",
    "config",
}
RUN_KEYS = {"period", "clock", "as_known_at"}
CONFIG_DEFAULTS: dict[str, Any] = {
    "match_mode": "exact",
    "order_sensitive": False,
    "key_columns": None,
    "validate_metadata": False,
    "validate_traceability": False,
    "trace_match_mode": "subset",
    "snapshot_on_failure": True,
    "float_tolerance": 1e-9,
}
ASSERTION_KEYS = {"operation_order", "change_type", "row_match", "expected_diff"}
# Project fields an inline Project may not set (rule 2): the harness fills them.
INLINE_FORBIDDEN = {"id", "status", "version", "input_dataset_id"}
# A Dataset entry (`input`, an item of `datasets`) written inline or naming a fixture (§10).
ENTRY_KEYS = {"fixture", "dataset", "data"}


@dataclass(frozen=True)
class ScenarioDataset:
    dataset: Dataset
    data: dict[str, DataBlock]  # by table name
    path: YamlPath


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


class _Parser(Reader):
    def __init__(self, doc: YamlDocument, file: Path) -> None:
        super().__init__(doc)
        self.file = file

    def scenario(self) -> Scenario:
        data = self.mapping(self.doc.data, (), TOP_KEYS, {"name", "periods", "input", "project"})
        periods = self.scenario_periods(data["periods"])
        run = self.mapping(data.get("run") or {}, ("run",), RUN_KEYS)
        run_period = self.text(run.get("period", periods[0].identifier), ("run", "period"))
        target = next((p for p in periods if p.identifier == run_period), None)
        if target is None:
            raise self.fail(("run", "period"), f"run.period {run_period!r} is not one of the scenario's periods")
        clock = (
            self.timestamp(run["clock"], ("run", "clock"))
            if "clock" in run
            else datetime(target.start_date.year, target.start_date.month, target.start_date.day, tzinfo=UTC)
        )
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
            file=self.file,
            doc=self.doc,
            periods=periods,
            run_period=run_period,
            clock=clock,
            as_known_at=as_known_at,
            input=input_ds,
            datasets=datasets,
            project_body=body,
            project_ref=ref,
            expected_outputs=self.expected_outputs(data) if has_output else [],
            expected_trace=self.assertions(data.get("expected_trace")),
            expected_error=self.expected_error(data["expected_error"]) if has_error else None,
            config=self.config(data.get("config") or {}),
        )

    def sequence(self, data: dict[str, Any], key: str) -> list[Any]:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise self.fail((key,), f"{key} must be a list")
        return value

    @cached_property
    def fixtures(self) -> FixtureCatalog:
        """The fixture catalogs visible from this scenario (§10), read on first use."""
        return catalog_for(self.file)

    def scenario_periods(self, value: Any) -> list[PeriodSpec]:
        if isinstance(value, dict):  # §10: `periods: { fixture: name }`
            m = self.mapping(value, ("periods",), {"fixture"}, {"fixture"})
            name = self.text(m["fixture"], ("periods", "fixture"))
            if name not in self.fixtures.periods:
                raise self.fail(("periods", "fixture"), self.fixtures.unknown("Periods", name))
            return self.fixtures.periods[name]
        return self.periods(value, ("periods",))

    def dataset_entry(self, value: Any, path: YamlPath, default_id: str | None = None) -> ScenarioDataset:
        entry = self.mapping(value, path, ENTRY_KEYS)
        if "fixture" not in entry and "dataset" not in entry:
            raise self.fail(path, f"{format_path(path)} needs 'dataset' (or a 'fixture', §10)")
        own = self.any_mapping(entry.get("dataset") or {}, (*path, "dataset"))
        blocks: dict[str, DataBlock] = {}
        positions = None
        if "fixture" in entry:
            name = self.text(entry["fixture"], (*path, "fixture"))
            fixture = self.fixtures.datasets.get(name)
            if fixture is None:
                raise self.fail((*path, "fixture"), self.fixtures.unknown("Dataset", name))
            body, positions = overlay_dataset(
                fixture.body, own, self.doc, (*path, "dataset"), self.doc.position((*path, "fixture"))
            )
            blocks.update(fixture.data)
        else:
            body = dict(own)
        if "id" not in body:
            if default_id is None:
                raise self.fail((*path, "dataset"), "a Dataset under `datasets` needs an id")
            body["id"] = default_id
        body.setdefault("name", body["id"])  # rule 8
        try:
            dataset = self.entity("dataset", body, (*path, "dataset"), positions)
        except DoboErrors as exc:
            raise parse_error_from(exc) from None
        tables = table_names(dataset)
        blocks = {table: block for table, block in blocks.items() if table in tables}  # an overlay may drop a lookup
        blocks.update(self.data_blocks(dataset, entry.get("data"), (*path, "data")))  # the scenario's rows win
        return ScenarioDataset(dataset, blocks, path)

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

    def expected_outputs(self, data: dict[str, Any]) -> list[ExpectedBlock]:
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


def inline_body(scenario: Scenario) -> dict[str, Any]:
    """The inline Project as written, with the fields the harness supplies (rule 2)."""
    body = dict(scenario.project_body or {})
    body.update(id="scenario", input_dataset_id=scenario.input.dataset.id)
    body.setdefault("materialization", "eager")
    return body


def inline_project(scenario: Scenario) -> Project:
    """The inline Project as an entity (rule 2); errors located in the scenario file."""
    project: Project = Reader(scenario.doc).entity("project", inline_body(scenario), ("project",))
    return project


__all__ = [
    "Scenario",
    "ScenarioDataset",
    "DataBlock",
    "ExpectedBlock",
    "ExpectedError",
    "PeriodSpec",
    "load_scenario",
    "inline_body",
    "inline_project",
    "parse_error_from",
    "locate",
    "CONFIG_DEFAULTS",
]
