"""`update` (OP-UPD-1..9): simultaneous assignments over the selected rows."""

from __future__ import annotations

from typing import NoReturn

import polars as pl

from dobo_engine.dsl.scope import Scope
from dobo_engine.dsl.types import DslType, is_storable
from dobo_engine.engine.context import RunContext
from dobo_engine.engine.expressions import OperationCompiler
from dobo_engine.engine.operations.outcome import OperationOutcome
from dobo_engine.engine.runtime_joins import PreparedJoin, attach, prepare_join
from dobo_engine.engine.value_storage import new_column_type, store
from dobo_engine.engine.working import VISIBLE, WorkingFrame, frame_names, shared
from dobo_engine.errors import TypeMismatch
from dobo_engine.labels import with_label
from dobo_engine.model.operations import UpdateOperation
from dobo_engine.trace.events import change_events, value_changed

LABEL_PREFIX = "_labels."
SELECTED = "__dobo_selected"
CHANGED = "__dobo_changed"


def _new_value(name: str) -> str:
    return f"__dobo_new__{name}"


def apply_update(op: UpdateOperation, working: WorkingFrame, ctx: RunContext) -> OperationOutcome:
    compiler = OperationCompiler(op.order, ctx.selectors, ctx.today)
    params = op.parameters

    # OP-UPD-9: load and filter the join Datasets, attach them in list order.
    joins: list[PreparedJoin] = []
    aliases: dict[str, dict[str, DslType]] = {}
    for index, join in enumerate(params.joins):
        prepared = prepare_join(join, index, working, dict(aliases), ctx, compiler)
        joins.append(prepared)
        aliases[join.alias] = prepared.columns

    scope = working.scope("selector", today=ctx.today, extra=aliases)
    selector = None
    reads_alias = False
    if op.selector is not None:
        selector = compiler.compile(op.selector, scope, "selector", boolean=True)
        reads_alias = any(q in aliases for q, _ in selector.references)
    select_mask = VISIBLE & (selector.expr.fill_null(False) if selector else pl.lit(True))

    frame = working.frame.lazy()
    if reads_alias:  # OP-JOIN-5: check every visible guarded row, then select
        for prepared in joins:
            frame = attach(frame, prepared, VISIBLE)
        frame = frame.with_columns(select_mask.alias(SELECTED))
    else:  # only selected rows are checked; evaluate the selector on the working columns first
        frame = frame.with_columns(select_mask.alias(SELECTED))
        for prepared in joins:
            frame = attach(frame, prepared, pl.col(SELECTED))

    assign_scope = working.scope("assignment", today=ctx.today, extra=aliases)
    new_exprs, columns, targets = _assignments(op, working, assign_scope, compiler)
    selected = pl.col(SELECTED)
    computed = frame.with_columns(new_exprs)
    changed = selected & pl.any_horizontal(
        [value_changed(_old_value(t, columns, working), pl.col(_new_value(t))) for t in targets] or [pl.lit(False)]
    )
    written = [
        pl.when(selected).then(pl.col(_new_value(t))).otherwise(_old_value(t, columns, working)).alias(t)
        for t in targets
    ]
    clock = pl.lit(ctx.clock, dtype=pl.Datetime("us", "UTC"))
    # Old and new values side by side: the frame after, its count and its events all read this one node (D36).
    marked = shared(computed.with_columns(changed.alias(CHANGED)))
    after = marked.with_columns(
        *written, pl.when(pl.col(CHANGED)).then(clock).otherwise(pl.col("_updated_at")).alias("_updated_at")
    )
    counts = marked.select(pl.col(CHANGED).sum().cast(pl.Int64).alias("rows_changed"))
    changes = {t: (_old_value(t, columns, working), pl.col(_new_value(t))) for t in targets}
    events = change_events(marked, changes, run_id=ctx.run_id, operation_order=op.order, changed=pl.col(CHANGED))
    before_names = set(working.names)
    keep = [c for c in frame_names(after) if c in before_names or c in targets]
    result = working.with_frame(after.select(keep), columns)
    return OperationOutcome(result, events=events, counts=counts, changed_columns=frozenset([*targets, "_updated_at"]))


def _old_value(target: str, columns: dict[str, DslType], working: WorkingFrame) -> pl.Expr:
    """The pre-operation value at the target type; NULL for a new column (TR-4)."""
    if target == "_labels":
        return pl.col("_labels")
    if target not in working.names:
        return pl.lit(None, dtype=columns[target].to_polars())
    return pl.col(target)


def _assignments(
    op: UpdateOperation, working: WorkingFrame, scope: Scope, compiler: OperationCompiler
) -> tuple[list[pl.Expr], dict[str, DslType], list[str]]:
    """Compiled assignment values as `__dobo_new__<target>` columns, the new column types, the targets."""
    columns: dict[str, DslType] = dict(working.columns)
    exprs: list[pl.Expr] = []
    label_value: pl.Expr = pl.col("_labels")
    label_assigned = False
    targets: list[str] = []
    for index, assignment in enumerate(op.parameters.assignments):
        where = f"parameters.assignments[{index}].expression"
        compiled = compiler.compile(assignment.expression, scope, where)
        target = assignment.column
        if target.startswith(LABEL_PREFIX):  # OP-UPD-8
            _require(
                compiled.dtype.kind in ("string", "null", "unknown"),
                compiler,
                where,
                f"label {target} needs a string value, got {compiled.dtype}",
            )
            label_value = with_label(label_value, target[len(LABEL_PREFIX) :], compiled.expr)
            label_assigned = True
            continue
        if target in working.columns:  # OP-UPD-4
            target_type = working.columns[target]
            _require(
                is_storable(compiled.dtype, target_type),
                compiler,
                where,
                f"column {target} is {target_type} and cannot hold a {compiled.dtype} value",
            )
        else:  # OP-UPD-5
            new_type = new_column_type(compiled.dtype)
            if new_type is None:
                _reject(
                    compiler,
                    where,
                    f"the type of new column {target} cannot be inferred from an expression that is only NULL",
                )
            target_type = new_type
            columns[target] = target_type
        exprs.append(store(compiled.expr, compiled.dtype, target_type).alias(_new_value(target)))
        targets.append(target)
    if label_assigned:
        exprs.append(label_value.alias(_new_value("_labels")))
        targets.append("_labels")
    return exprs, columns, targets


def _require(ok: bool, compiler: OperationCompiler, where: str, message: str) -> None:
    if not ok:
        _reject(compiler, where, message)


def _reject(compiler: OperationCompiler, where: str, message: str) -> NoReturn:
    err = TypeMismatch(message, rule="OP-UPD-4")
    err.location = err.location.__class__(path=compiler.path(where), operation_order=compiler.order)
    raise err
