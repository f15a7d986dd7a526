"""One scenario, one isolated Run of the real engine (scenarios.md §4 SC-1..SC-3).

parse → provision (§2, §3) → assemble the Project → validate → run with the
in-memory test resolver and captured outputs, trace through the real writer
into a temporary folder → compare outputs (§5) and trace (§6) → TestResult (§7).
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from dobo_engine.engine.checkpoints import CheckpointStore
from dobo_engine.engine.context import RunContext
from dobo_engine.engine.pipeline import Executor
from dobo_engine.errors import (
    DataFileNotFound,
    DatasetNotProvided,
    DoboError,
    DoboErrors,
    EntityNotFound,
    InternalError,
    ProjectNotFound,
    ScenarioParseError,
    SchemaValidationError,
    VersionNotFound,
)
from dobo_engine.harness.compare import CompareConfig, compare_frames
from dobo_engine.harness.memory import MemoryOutputs, MemoryTables
from dobo_engine.harness.provision import block_where, period_details, provision
from dobo_engine.harness.result import TestResult, write_snapshots
from dobo_engine.harness.scenario import Scenario, inline_body, inline_project, load_scenario
from dobo_engine.harness.trace_check import check_trace
from dobo_engine.harness.values import ROW_SYSTEM_COLUMNS, convert_frame, rows_frame
from dobo_engine.model.project import Project
from dobo_engine.model.resolver import Resolver
from dobo_engine.model.run import ProjectSnapshot
from dobo_engine.resolver.catalog import MemoryCatalog
from dobo_engine.settings import Settings
from dobo_engine.trace.reader import TraceReader
from dobo_engine.trace.replay import LoadReplay
from dobo_engine.trace.runinfo import RunInfo
from dobo_engine.trace.store import TraceWriter
from dobo_engine.validation.project import validate_project

RUN_ID = "scenario-run"
# Harness errors a failure case may name (an unparseable scenario can never pass).
_EXPECTABLE_HARNESS = (SchemaValidationError, DataFileNotFound, DatasetNotProvided, ProjectNotFound)


def default_snapshot_dir() -> Path:
    return Path(Settings.from_env().home) / "snapshots"  # D31


def shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run_scenario(path: Path, snapshot_dir: Path | None = None) -> TestResult:
    """Run one scenario file; a crash becomes an error result for it alone (§8)."""
    result = TestResult(scenario_name=path.stem, file=shown_path(path))
    try:
        _Run(path, result, snapshot_dir or default_snapshot_dir()).go()
    except DoboError as err:
        result.set_error_from(err)
    except Exception as err:  # noqa: BLE001 - one broken scenario must not stop the others; a crash is a bug
        result.set_error_from(InternalError.from_exception(err), code="ExecutionFailure")
    result.fail_if_mismatched()
    return result


class _Run:
    def __init__(self, path: Path, result: TestResult, snapshot_dir: Path) -> None:
        self.path, self.result, self.snapshot_dir = path, result, snapshot_dir
        self.replay: LoadReplay | None = None  # set once the Run has executed

    def go(self) -> None:
        scenario = load_scenario(self.path)
        self.result.scenario_name = scenario.name
        expected = scenario.expected_error
        try:
            project = self.project(scenario)
            tables = provision(scenario, project)
        except DoboErrors as errs:  # the Project itself is invalid: a validation failure (SC-3)
            failures = self.raw_body_failures(scenario)
            codes = [*_codes(failures), *((e.code, e.location.operation_order, e.render()) for e in errs.errors)]
            if expected:  # rule 7: another error is a failure, not an error
                self.match(expected, codes)
                return
            if failures:
                self.result.set_error("ValidationFailed", f"{len(failures)} validation failure(s)", failures=failures)
                return
            self.result.set_error(
                "ValidationFailed",
                f"the Project is invalid: {errs.errors[0].render()}",
                failures=[e.to_dict() for e in errs.errors],
            )
            return
        except DoboError as err:
            if (
                expected
                and isinstance(err, _EXPECTABLE_HARNESS)
                and self.match(expected, [(err.code, None, err.render())])
            ):
                return
            raise
        if self.validation_failed(scenario, project):
            return
        if any(op.type == "output" and op.parameters.register_as_dataset for op in project.operations):
            self.result.warnings.append("register_as_dataset is skipped in scenarios (SC-3)")
        with tempfile.TemporaryDirectory(prefix="dobo-scenario-") as tmp:
            outputs = MemoryOutputs()
            try:
                self.execute(scenario, project, tables, outputs, Path(tmp))
            except DoboError as err:
                codes = [
                    (e.code, e.location.operation_order or err.location.operation_order, e.render())
                    for e in getattr(err, "errors", [err])
                ]
                if expected:
                    self.match(expected, codes)
                    return
                self.result.set_error_from(err, code="ExecutionFailure")
                return
            if expected:
                self.result.notes.append(f"expected error {expected.code}, but the Run succeeded")
                return
            compared = self.compare_outputs(scenario, project, outputs)
            self.check_trace(scenario, project, Path(tmp))
        self.result.fail_if_mismatched()
        if self.result.status == "fail" and scenario.config["snapshot_on_failure"] and compared:
            shown = Path(shown_path(self.path)).with_suffix("")
            folder = self.snapshot_dir / (Path(*shown.parts[1:]) if shown.is_absolute() else shown)
            self.result.snapshot = write_snapshots(compared, folder, keep_system=scenario.config["validate_metadata"])

    # -- assembly ---------------------------------------------------------------------

    def project(self, scenario: Scenario) -> Project:
        if scenario.project_ref is None:
            return inline_project(scenario)
        project_id, version = scenario.project_ref
        try:  # a stored Project (§1 rule 3), from the metadata store of this deployment
            from dobo_engine.store.api import open_store
            from dobo_engine.store.catalog_reader import StoreCatalog

            store = open_store()
            try:
                catalog = StoreCatalog(store)
                latest = catalog.project(project_id)
                stored = catalog.project(project_id, version) if version is not None else latest
            finally:
                store.close()
        except (EntityNotFound, VersionNotFound) as err:
            raise ProjectNotFound(
                f"no stored Project {project_id!r}" + (f" version {version}" if version else ""),
                detail=err.message,
                location=scenario.location(("project", "ref")),
            ) from None
        if version is not None and (latest.version or 1) != version:
            self.result.warnings.append(
                f"Project {project_id!r} is at version {latest.version}, the scenario pins version {version}"
            )
        if stored.input_dataset_id != scenario.input.dataset.id:
            raise ScenarioParseError(
                f"stored Project {project_id!r} reads Dataset {stored.input_dataset_id!r}, "
                f"the scenario's input is {scenario.input.dataset.id!r}",
                location=scenario.location(("input", "dataset")),
            )
        return stored

    def validate(self, scenario: Scenario, project: Project | dict[str, Any]) -> list[dict[str, Any]]:
        """SC-3: every VAL rule, with the validator's `run` purpose (V-1); the failures as dicts.

        The catalog holds the scenario's Datasets and the built-in test
        Resolver as the only, default Resolver (SC-2), so VAL-006/007 check it.
        """
        datasets = [e.dataset.model_copy(update={"resolver_id": None}) for e in scenario.all_datasets()]
        catalog = MemoryCatalog([*datasets, test_resolver()])
        body = (
            project.model_copy(update={"resolver_overrides": {}})
            if isinstance(project, Project)
            else {**project, "resolver_overrides": {}}
        )
        report = validate_project(body, catalog, purpose="run")
        self.result.warnings += [str(w) for w in report.warnings]
        return [f.model_dump(mode="json") for f in report.failures]

    def raw_body_failures(self, scenario: Scenario) -> list[dict[str, Any]]:
        """The failures `dobo validate` reports for an inline Project that does not build as an entity.

        Validation reads the body as written, so shape mistakes get their
        VAL-012 codes (`InvalidOperation`, `UnknownOperationType`) rather
        than the entity's (`InvalidField`, `MissingField`). None when the
        body is not a Project at all (its header is malformed) or is stored.
        """
        if scenario.project_body is None:
            return []
        try:
            return self.validate(scenario, inline_body(scenario))
        except DoboErrors:
            return []

    def validation_failed(self, scenario: Scenario, project: Project) -> bool:
        failures = self.validate(scenario, project)
        if not failures:
            return False
        expected = scenario.expected_error
        codes = _codes(failures)
        if expected and (expected.code == "ValidationFailed" or any(c[0] == expected.code for c in codes)):
            self.match(expected, codes if expected.code != "ValidationFailed" else [("ValidationFailed", None, "")])
            return True
        self.result.set_error("ValidationFailed", f"{len(failures)} validation failure(s)", failures=failures)
        return True

    def execute(self, scenario: Scenario, project: Project, tables: Any, outputs: MemoryOutputs, tmp: Path) -> None:
        period = period_details(scenario)
        snapshot = ProjectSnapshot(
            project_id=project.id,
            project_version=project.version or 1,
            input_dataset_id=project.input_dataset_id,
            input_dataset_version=scenario.input.dataset.version or 1,
            materialization=project.materialization,
            selectors=project.selectors,
            operations=project.operations,
            period=period,
            clock=scenario.clock,
            today=scenario.clock.date(),
            as_known_at=scenario.as_known_at,
            trace=project.trace,
            checkpoints=Settings.from_env().checkpoints,  # as `dobo run` would (D36)
        )
        if isinstance(tables, MemoryTables):  # the trace is read back here, with the load done again (TR-15)
            tables = replace(tables, re_readable=True)
        ctx = RunContext(
            run_id=RUN_ID,
            project_id=project.id,
            clock=scenario.clock,
            today=scenario.clock.date(),
            period=period,
            input_dataset=scenario.input.dataset,
            materialization=project.materialization,
            tables=tables,
            outputs=outputs,
            selectors=project.selectors,
            as_known_at=scenario.as_known_at,
        )
        trace = TraceWriter(str(tmp / "trace")) if project.trace else None
        executor = Executor(snapshot, ctx, CheckpointStore(str(tmp / "checkpoints")), trace)
        executor.run()
        # The load's trace may refer to the in-memory tables rather than copy them (TR-15): read it again from them.
        self.replay = lambda _run: executor.replay_load()

    def match(self, expected: Any, codes: list[tuple[str, int | None, str]]) -> bool:
        """Rule 7: pass when an error has the code (and order, and message text); else say what happened."""
        for code, order, text in codes:
            if code != expected.code:
                continue
            if expected.operation_order is not None and order != expected.operation_order:
                continue
            if expected.message_contains is not None and expected.message_contains not in text:
                continue
            return True
        said = "; ".join(
            f"{code}{f' at operation {order}' if order is not None else ''}: {text.splitlines()[0]}"
            for code, order, text in codes
        )
        self.result.notes.append(
            f"expected error {expected.code}"
            + (f" at operation {expected.operation_order}" if expected.operation_order else "")
            + (f" containing {expected.message_contains!r}" if expected.message_contains else "")
            + f", but the Run ended with {said}"
        )
        return False

    # -- comparison ---------------------------------------------------------------------

    def compare_outputs(self, scenario: Scenario, project: Project, outputs: MemoryOutputs) -> dict[int, pl.DataFrame]:
        output_orders = sorted(op.order for op in project.operations if op.type == "output")
        compared: dict[int, pl.DataFrame] = {}
        cfg = scenario.config
        for block in scenario.expected_outputs:
            order = block.operation if block.operation is not None else (output_orders[-1] if output_orders else None)
            if order not in output_orders:
                raise ScenarioParseError(
                    f"expected_output names operation {order}, which is not an output "
                    f"of the Project (outputs: {output_orders})",
                    location=scenario.location(block.data.path),
                )
            actual = outputs.frames.get(order)
            if actual is None:
                raise ScenarioParseError(
                    f"output operation {order} wrote nothing", location=scenario.location(block.data.path)
                )
            expected = self.expected_frame(scenario, block.data)
            natural = scenario.input.dataset.natural_key_columns
            keys = (
                cfg["key_columns"]
                if cfg["key_columns"] is not None
                else (natural if natural and all(k in expected.columns for k in natural) else None)
            )
            config = CompareConfig(
                cfg["match_mode"], cfg["order_sensitive"], keys, cfg["validate_metadata"], cfg["float_tolerance"]
            )
            self.result.data_mismatches += compare_frames(actual, expected, config, output=order)
            compared[order] = actual
        return compared

    def expected_frame(self, scenario: Scenario, block: Any) -> pl.DataFrame:
        where = block_where(scenario, block)
        if block.rows is not None:
            names: list[str] = []
            for row in block.rows:  # column names in order of first appearance
                names += [k for k in row if k not in names]
            frame = rows_frame(block.rows, names, table="expected_output", where=where)
            return frame
        if not block.file.exists():
            from dobo_engine.errors import DataFileNotFound

            raise DataFileNotFound(f"expected data file {block.file} does not exist", location=where(0, ""))
        if block.file.suffix.lower() == ".csv":
            return pl.read_csv(block.file, infer_schema=False)
        frame = pl.read_parquet(block.file)
        return convert_frame(frame, {}, table="expected_output", where=where, decimals_as_text=False)

    def check_trace(self, scenario: Scenario, project: Project, tmp: Path) -> None:
        assertions = scenario.expected_trace
        if not assertions:
            return
        if not scenario.config["validate_traceability"]:
            self.result.warnings.append("expected_trace is ignored: validate_traceability is false (§6 rule 1)")
            return
        if not project.trace:
            self.result.warnings.append("expected_trace is ignored: the Project's trace is off (D32)")
            return
        orders = {op.order: op.type for op in project.operations}
        info = RunInfo(RUN_ID, "completed", scenario.clock, orders, last_completed_operation=max(orders))
        self.result.trace_mismatches += check_trace(
            assertions,
            TraceReader(str(tmp / "trace"), replay=self.replay),
            info,
            exact=scenario.config["trace_match_mode"] == "exact",
            tolerance=scenario.config["float_tolerance"],
        )


def test_resolver() -> Resolver:
    """The built-in test resolver as an entity (SC-1/SC-2): serving is done by MemoryTables."""
    return Resolver.model_validate(
        {
            "id": "dobo-test",
            "name": "dobo-test",
            "status": "active",
            "is_default": True,
            "version": 1,
            "rules": [
                {
                    "name": "memory",
                    "data_level": "any",
                    "strategy": {"type": "path", "datasource_id": "dobo-test", "path": "{{table_name}}"},
                }
            ],
        }
    )


def _codes(failures: list[dict[str, Any]]) -> list[tuple[str, int | None, str]]:
    """(code, operation order, text) of validation failures, for rule 7 matching."""
    return [(f.get("type", ""), f.get("operation_order"), str(f.get("detail", ""))) for f in failures]


__all__ = ["run_scenario", "default_snapshot_dir", "shown_path", "ROW_SYSTEM_COLUMNS"]
