"""Per-operation checks for update, delete and aggregate, and the scope changes they make (V-4).

Each check reads the working schema as the operation finds it and adds
what the operation adds: an update its targets, an aggregate its output
columns. A target whose expression failed is still added, typed unknown,
so later operations do not fail because of it (V-3).
"""

from __future__ import annotations

from typing import Any

from dobo_engine.dsl.scope import Scope
from dobo_engine.dsl.types import BOOLEAN, STRING, UNKNOWN, DslType
from dobo_engine.engine.value_storage import new_column_type
from dobo_engine.validation.context import Context
from dobo_engine.validation.expressions import Checked
from dobo_engine.validation.joins import check_joins
from dobo_engine.validation.report import op_path
from dobo_engine.validation.schema import WorkingSchema
from dobo_engine.validation.shape import is_label_target, reserved_reason
from dobo_engine.validation.view import OperationView


def check_selector(op: OperationView, scope: Scope, ctx: Context) -> None:
    """OP-SEL-1: the optional selector is a boolean expression in the operation's scope."""
    if "selector" in op.raw and op.type != "append":
        ctx.expressions.check(
            op.raw.get("selector"), scope, op.order, op_path(op.order, op.index, "selector"), expected=BOOLEAN
        )


def new_type(checked: Checked, target: str, op: OperationView, path: str, ctx: Context) -> DslType:
    """OP-UPD-5 / OP-AGG-6: a new column takes its expression's type; only-NULL has none (VAL-003)."""
    if not checked.ok or checked.dtype.kind == "unknown":  # it failed, or reads something that did (V-3)
        return UNKNOWN
    inferred = new_column_type(checked.dtype)
    if inferred is None:
        ctx.out.fail(
            "VAL-003",
            "TypeMismatch",
            op.order,
            f"the type of new column {target} cannot be inferred: its expression is only NULL",
            path,
        )
        return UNKNOWN
    return inferred


def _assign(
    items: Any,
    where: str,
    op: OperationView,
    scope: Scope,
    schema: WorkingSchema,
    ctx: Context,
    *,
    labels_allowed: bool,
) -> dict[str, DslType]:
    """Check `column`/`expression` items; returns the new columns they create, in order."""
    created: dict[str, DslType] = {}
    if not isinstance(items, list):
        return created
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        target, text = item.get("column"), item.get("expression")
        path = op_path(op.order, op.index, f"{where}[{index}].expression")
        if not isinstance(target, str) or reserved_reason(target, labels_allowed=labels_allowed):
            ctx.expressions.check(text, scope, op.order, path)  # the target is reported by VAL-013
            continue
        if labels_allowed and is_label_target(target):
            ctx.expressions.check(text, scope, op.order, path, expected=STRING)  # OP-UPD-8
            continue
        existing = schema.type_of(target)  # OP-UPD-4: an existing column keeps its type
        checked = ctx.expressions.check(text, scope, op.order, path, expected=existing)
        if existing is None and target not in created:
            created[target] = new_type(checked, target, op, path, ctx)
    return created


def check_update(op: OperationView, schema: WorkingSchema, ctx: Context) -> None:
    aliases = check_joins(op, schema, ctx)
    check_selector(op, schema.scope("selector", extra=aliases), ctx)
    # OP-UPD-1: assignments read the state before the operation; new columns appear only after it.
    scope = schema.scope("assignment", extra=aliases)
    created = _assign(
        op.params.get("assignments"), "parameters.assignments", op, scope, schema, ctx, labels_allowed=True
    )
    for name, dtype in created.items():
        schema.add(name, dtype)


def check_delete(op: OperationView, schema: WorkingSchema, ctx: Context) -> None:
    check_selector(op, schema.scope("selector"), ctx)
    if op.raw.get("selector") is None:
        ctx.out.warn(f"{op_path(op.order, op.index)}: delete without a selector flags every visible row")


def group_keys(
    group_by: Any, where: str, op: OperationView, scope: Scope, main_table: str | None, ctx: Context
) -> list[str]:
    """OP-AGG-2: `group_by` entries are working columns, bare or `main.col` (VAL-002)."""
    keys: list[str] = []
    if not isinstance(group_by, list):
        return keys
    for index, entry in enumerate(group_by):
        if not isinstance(entry, str):
            continue
        qualifier, _, column = entry.rpartition(".")
        if (qualifier and main_table is not None and qualifier != main_table) or column not in scope.columns:
            why = (
                f"{qualifier!r} is not the main table; lookup and join columns cannot be grouped by"
                if qualifier and qualifier != main_table
                else f"no working column {column!r} at this step"
            )
            ctx.out.fail(
                "VAL-002",
                "UnresolvedColumnRef",
                op.order,
                f"group_by entry {entry!r} does not resolve: {why}; working columns: "
                f"{', '.join(sorted(scope.columns)) or 'none'}",
                op_path(op.order, op.index, f"{where}.group_by[{index}]"),
            )
            continue
        keys.append(column)
    return keys


def check_aggregate(op: OperationView, schema: WorkingSchema, ctx: Context) -> None:
    scope = schema.scope("selector")
    check_selector(op, scope, ctx)
    params = op.params
    keys = group_keys(params.get("group_by"), "parameters", op, scope, schema.main_table, ctx)
    agg_scope = scope.with_context("aggregation", group_by=keys)
    created = _assign(
        params.get("aggregations"), "parameters.aggregations", op, agg_scope, schema, ctx, labels_allowed=False
    )
    for name, dtype in created.items():
        if name not in keys:  # a group_by clash is VAL-014, reported by the shape check
            schema.add(name, dtype)
