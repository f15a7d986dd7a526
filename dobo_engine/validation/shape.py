"""Operation shape and names (VAL-009, VAL-012, VAL-013, VAL-014 within one operation).

These need no schema. Join aliases are checked with the scope (joins.py),
because they must also differ from the main table and the lookup aliases.
"""

from __future__ import annotations

from typing import Any

from dobo_engine.model.common import LABEL_KEY_RE, repeated
from dobo_engine.model.operations import OPERATION_TYPES
from dobo_engine.model.yaml_loader import format_path
from dobo_engine.validation.report import Collector, op_path
from dobo_engine.validation.view import OperationView, ProjectView

LABEL_PREFIX = "_labels."


def is_label_target(name: str) -> bool:
    return name.startswith(LABEL_PREFIX) and bool(LABEL_KEY_RE.fullmatch(name[len(LABEL_PREFIX) :]))


def reserved_reason(name: str, *, labels_allowed: bool) -> str | None:
    """Why a target name is reserved (VAL-013, D7, OP-UPD-3), or None when it is usable."""
    if labels_allowed and name.startswith(LABEL_PREFIX):
        return None if is_label_target(name) else f"label key in {name!r} must match [A-Za-z0-9_.-]+"
    if name.startswith("_"):
        extra = (
            " (only `_labels.<key>` may be assigned, in an update)"
            if not labels_allowed
            else " (only `_labels.<key>` may be assigned)"
        )
        return f"{name!r} starts with '_', which is reserved for system columns{extra}"
    if "." in name:
        return f"{name!r} is qualified; a target is a bare column name"
    return None


def _value_at(raw: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        if isinstance(raw, dict) and key in raw:
            raw = raw[key]
        elif isinstance(raw, list) and isinstance(key, int) and key < len(raw):
            raw = raw[key]
        else:
            return None
    return raw


def check_orders(view: ProjectView, out: Collector) -> None:
    """VAL-009: `order` values are unique (each repeat is reported once)."""
    for index, order in repeated([op.order for op in view.operations if op.order is not None]):
        op = [o for o in view.operations if o.order is not None][index]
        out.fail(
            "VAL-009",
            "DuplicateOperationOrder",
            order,
            f"order {order} is used by more than one operation (operation #{op.index + 1} repeats it)",
            f"operations[{op.index}].order",
        )


def check_shape(op: OperationView, out: Collector) -> None:
    """VAL-012 (type and structure), VAL-013 (reserved targets), VAL-014 (repeated names)."""
    order = op.order
    if op.type is None:
        out.fail("VAL-012", "InvalidOperation", order, "the operation has no `type`", op_path(order, op.index, "type"))
    elif not op.known_type:
        out.fail(
            "VAL-012",
            "UnknownOperationType",
            order,
            f"unknown operation type {op.type!r} (one of {', '.join(OPERATION_TYPES)})",
            op_path(order, op.index, "type"),
        )
    for issue in op.shape_issues:
        if _covered_elsewhere(op, issue.path):
            continue
        where = format_path(issue.path)
        out.fail("VAL-012", "InvalidOperation", order, issue.message, op_path(order, op.index, where))
    if not op.known_type:
        return
    params = op.params
    if op.type == "update":
        _targets(op, params.get("assignments"), "parameters.assignments", out, labels_allowed=True, required=True)
    elif op.type == "aggregate":
        _aggregation(op, params, "parameters", out)
    elif op.type == "append" and isinstance(params.get("aggregation"), dict):
        _aggregation(op, params["aggregation"], "parameters.aggregation", out)
    elif op.type == "output":
        columns = params.get("columns")
        if isinstance(columns, list):
            for i, name in repeated(columns):
                out.fail(
                    "VAL-014",
                    "DuplicateName",
                    order,
                    f"output column {name!r} is listed twice",
                    op_path(order, op.index, f"parameters.columns[{i}]"),
                )


def _covered_elsewhere(op: OperationView, path: tuple[str | int, ...]) -> bool:
    """Parse findings that another rule reports with its own failure type."""
    if not op.known_type:
        return True  # UnknownOperationType says it all
    if path[:2] == ("parameters", "destination"):
        return True  # VAL-017 InvalidDestination
    if path and path[-1] == "column":
        value = _value_at(op.raw, path)
        if isinstance(value, str) and reserved_reason(value, labels_allowed=op.type == "update"):
            return True  # VAL-013 ReservedColumn
    return False


def _targets(
    op: OperationView,
    items: Any,
    where: str,
    out: Collector,
    *,
    labels_allowed: bool,
    required: bool,
    also_taken: set[str] | None = None,
) -> None:
    order = op.order
    if not isinstance(items, list):
        return  # a missing list is a parse finding already reported
    if required and not items:
        out.fail(
            "VAL-012",
            "InvalidOperation",
            order,
            f"{where.rpartition('.')[2]} needs at least one entry",
            op_path(order, op.index, where),
        )
    names = [item.get("column") if isinstance(item, dict) else None for item in items]
    for i, name in enumerate(names):
        if not isinstance(name, str):
            continue
        reason = reserved_reason(name, labels_allowed=labels_allowed)
        if reason:
            out.fail(
                "VAL-013", "ReservedColumn", order, f"target {reason}", op_path(order, op.index, f"{where}[{i}].column")
            )
    for i, name in repeated(names):
        if isinstance(name, str):
            out.fail(
                "VAL-014",
                "DuplicateName",
                order,
                f"target {name!r} appears more than once",
                op_path(order, op.index, f"{where}[{i}].column"),
            )
    for i, name in enumerate(names):
        if isinstance(name, str) and also_taken and name in also_taken:
            out.fail(
                "VAL-014",
                "DuplicateName",
                order,
                f"aggregation column {name!r} is also a group_by column",
                op_path(order, op.index, f"{where}[{i}].column"),
            )


def _aggregation(op: OperationView, body: dict[str, Any], where: str, out: Collector) -> None:
    group_by = body.get("group_by")
    grouped = {g.rpartition(".")[2] for g in group_by if isinstance(g, str)} if isinstance(group_by, list) else set()
    _targets(
        op,
        body.get("aggregations"),
        f"{where}.aggregations",
        out,
        labels_allowed=False,
        required=True,
        also_taken=grouped,
    )
