"""`append` checks (OP-APP-1..7): source (VAL-008), source-scope expressions, incoming columns (VAL-016).

The source's expressions see the source Dataset's scope (dsl.md §3); after
an `aggregation`, `columns` sees only its group_by and aggregation columns
(D31). An append never adds working columns (V-4).
"""

from __future__ import annotations

from typing import Any

from dobo_engine.dsl.scope import ColumnBinding, Scope
from dobo_engine.dsl.types import BOOLEAN, UNKNOWN, DslType, is_storable
from dobo_engine.validation.context import Context
from dobo_engine.validation.operations import group_keys
from dobo_engine.validation.report import op_path
from dobo_engine.validation.schema import WorkingSchema, dataset_shape
from dobo_engine.validation.shape import reserved_reason
from dobo_engine.validation.view import OperationView

Incoming = dict[str, tuple[DslType, str]]  # column → (type, where it comes from)


def _source_schema(op: OperationView, ctx: Context) -> WorkingSchema:
    source = op.params.get("source")
    dataset = None
    if isinstance(source, dict):
        dataset = ctx.datasets.join_or_append(
            source.get("dataset_id"), source.get("dataset_version"), op, "parameters.source.dataset_id", "append source"
        )
    return WorkingSchema(dataset_shape(ctx.catalog, dataset) if dataset is not None else None)


def _aggregated(op: OperationView, body: dict[str, Any], scope: Scope, source: WorkingSchema, ctx: Context) -> Incoming:
    where = "parameters.aggregation"
    keys = group_keys(body.get("group_by"), where, op, scope, source.main_table, ctx)
    incoming: Incoming = {k: (scope.columns[k].dtype, f"{where}.group_by") for k in keys}
    agg_scope = scope.with_context("aggregation", group_by=keys)
    items = body.get("aggregations")
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        path = f"{where}.aggregations[{index}]"
        checked = ctx.expressions.check(
            item.get("expression"), agg_scope, op.order, op_path(op.order, op.index, f"{path}.expression")
        )
        column = item.get("column")
        if isinstance(column, str) and not reserved_reason(column, labels_allowed=False):
            incoming.setdefault(column, (checked.dtype, f"{path}.column"))
    return incoming


def _mapped(op: OperationView, columns: dict[str, Any], scope: Scope, ctx: Context) -> Incoming:
    incoming: Incoming = {}
    for name, text in columns.items():
        path = f"parameters.columns.{name}"
        checked = ctx.expressions.check(text, scope, op.order, op_path(op.order, op.index, path))
        incoming[str(name)] = (checked.dtype, path)
    return incoming


def check_append(op: OperationView, schema: WorkingSchema, ctx: Context) -> None:
    params = op.params
    source = _source_schema(op, ctx)
    scope = source.scope("source_selector")
    if "source_selector" in params:
        ctx.expressions.check(
            params.get("source_selector"),
            scope,
            op.order,
            op_path(op.order, op.index, "parameters.source_selector"),
            expected=BOOLEAN,
        )
    aggregation = params.get("aggregation")
    incoming: Incoming | None
    if isinstance(aggregation, dict):
        incoming = _aggregated(op, aggregation, scope, source, ctx)
    elif source.known:  # OP-APP-3: the user columns of the source's main table
        incoming = {c: (t, "parameters.source.dataset_id") for c, t in source.columns.items()}
    else:
        incoming = None
    columns = params.get("columns")
    if isinstance(columns, dict):  # OP-APP-7
        if isinstance(aggregation, dict):
            bare = {name: ColumnBinding(name, t) for name, (t, _) in (incoming or {}).items()}
            mapped_scope = Scope(bare, {source.main_table: bare} if source.main_table else {}, context="assignment")
        else:
            mapped_scope = scope.with_context("assignment")
        incoming = _mapped(op, columns, mapped_scope, ctx)
    if incoming is not None:
        _align(op, incoming, schema, ctx)


def _align(op: OperationView, incoming: Incoming, schema: WorkingSchema, ctx: Context) -> None:
    """OP-APP-4/5: every incoming column is a working column that can store it."""
    for name, (dtype, where) in incoming.items():
        path = op_path(op.order, op.index, where)
        if not schema.has(name):
            ctx.out.fail(
                "VAL-016",
                "AppendColumnNotFound",
                op.order,
                f"incoming column {name} is not a working column (append never adds columns); working "
                f"columns: {', '.join(schema.columns) or 'none'}",
                path,
            )
            continue
        target = schema.type_of(name) or UNKNOWN
        if not is_storable(dtype, target):
            ctx.out.fail(
                "VAL-003",
                "TypeMismatch",
                op.order,
                f"incoming column {name} is {dtype}; working column {name} is {target} and cannot hold it",
                path,
            )
