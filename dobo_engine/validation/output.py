"""`output` checks: columns (VAL-002, OP-OUT-3), destination and registration (VAL-017)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from dobo_engine.errors import DoboError
from dobo_engine.model.operations import OutputDestination
from dobo_engine.model.pydantic_errors import issues_from_validation_error
from dobo_engine.resolver.catalog import status_of
from dobo_engine.validation.context import Context
from dobo_engine.validation.operations import check_selector
from dobo_engine.validation.report import op_path
from dobo_engine.validation.schema import WorkingSchema
from dobo_engine.validation.view import OperationView

TARGET_KIND = {"table": ("database",), "path": ("parquet", "csv")}
TEMPORAL_BY_MODE = {"period": ("_period",), "bitemporal": ("_period_from", "_period_to")}


def check_output(op: OperationView, schema: WorkingSchema, ctx: Context) -> None:
    check_selector(op, schema.scope("selector"), ctx)
    params = op.params
    written = _columns(op, params.get("columns"), schema, ctx)
    _destination(op, params.get("destination"), ctx)
    _registration(op, params.get("register_as_dataset"), written, schema, ctx)


def _columns(op: OperationView, columns: Any, schema: WorkingSchema, ctx: Context) -> list[str] | None:
    """OP-OUT-3: each listed name is a working column, user or system; returns the names as written."""
    if not isinstance(columns, list):
        return None
    available = schema.output_columns()
    main = f"{schema.main_table}." if schema.main_table else None
    names: list[str] = []
    for index, entry in enumerate(columns):
        if not isinstance(entry, str):
            continue
        name = entry[len(main) :] if main and entry.startswith(main) else entry
        names.append(name)
        if available is not None and name not in available:
            ctx.out.fail(
                "VAL-002",
                "UnresolvedColumnRef",
                op.order,
                f"output column {entry!r} is not a working column at this step (lookup and join columns "
                f"must be copied by an update first); available: {', '.join(available)}",
                op_path(op.order, op.index, f"parameters.columns[{index}]"),
            )
    return names


def _destination(op: OperationView, destination: Any, ctx: Context) -> None:
    """OP-OUT-1: `default`, or an existing active DataSource with exactly one of table/path of its kind."""
    path = op_path(op.order, op.index, "parameters.destination")

    def fail(detail: str) -> None:
        ctx.out.fail("VAL-017", "InvalidDestination", op.order, detail, path)

    if destination == "default":
        return
    if not isinstance(destination, dict):
        fail(
            "destination must be `default` or {datasource_id, table | path}"
            if destination is not None
            else "an output needs a destination"
        )
        return
    try:
        OutputDestination.model_validate(destination)
    except ValidationError as exc:
        for issue in issues_from_validation_error(exc, OutputDestination, destination):
            fail(issue.message)
    source_id = destination.get("datasource_id")
    if not isinstance(source_id, str):
        return
    try:
        source = ctx.catalog.datasource(source_id)
    except DoboError:
        fail(f"DataSource {source_id} does not exist")
        return
    if status_of(source) != "active":
        fail(f"DataSource {source_id} is {status_of(source)}, not active")
    for key, kinds in TARGET_KIND.items():
        if destination.get(key) is not None and source.type not in kinds:
            fail(f"`{key}` needs a {' or '.join(kinds)} DataSource; {source_id} is {source.type}")


def _registration(
    op: OperationView, dataset_id: Any, written: list[str] | None, schema: WorkingSchema, ctx: Context
) -> None:
    """OP-OUT-6: not the input Dataset, unique among outputs, temporal columns written."""
    if not isinstance(dataset_id, str):
        return
    path = op_path(op.order, op.index, "parameters.register_as_dataset")

    def fail(detail: str) -> None:
        ctx.out.fail("VAL-017", "InvalidRegistration", op.order, detail, path)

    if dataset_id == ctx.input_dataset_id:
        fail(f"register_as_dataset {dataset_id!r} is the Project's input Dataset")
    first = ctx.registered.setdefault(dataset_id, op.order if op.order is not None else -1)
    if first != (op.order if op.order is not None else -1):
        fail(f"register_as_dataset {dataset_id!r} is already registered by the output at order {first}")
    mode = schema.temporal_mode
    if written is not None and mode is not None:
        missing = [c for c in TEMPORAL_BY_MODE[mode] if c not in written]
        if missing:
            fail(f"a registered Dataset keeps the {mode} temporal mode, so `columns` must include {', '.join(missing)}")
