"""`append` (OP-APP-1..7): rows of another Dataset added after the existing rows."""

from __future__ import annotations

import polars as pl

from dobo_engine.dsl.scope import ColumnBinding, Scope
from dobo_engine.dsl.types import DslType, is_storable
from dobo_engine.engine.assembly import assemble
from dobo_engine.engine.context import RunContext
from dobo_engine.engine.expressions import OperationCompiler
from dobo_engine.engine.grouping import aggregate
from dobo_engine.engine.new_rows import append_rows, created_count, created_rows, stamp_new_rows
from dobo_engine.engine.operations.outcome import OperationOutcome
from dobo_engine.engine.references import qualifiers_in
from dobo_engine.engine.value_storage import store
from dobo_engine.engine.working import VISIBLE, WorkingFrame, frame_names
from dobo_engine.errors import AppendColumnNotFound, Location, TypeMismatch
from dobo_engine.model.operations import AppendOperation
from dobo_engine.trace.events import created_events

TEMPORAL_SOURCE_COLUMNS = ("_period", "_period_from", "_period_to", "_valid_from", "_valid_to")


def _source_texts(op: AppendOperation) -> list[str]:
    params = op.parameters
    texts = [params.source_selector] if params.source_selector else []
    if params.aggregation:
        texts += [a.expression for a in params.aggregation.aggregations]
    if params.columns and not params.aggregation:
        texts += list(params.columns.values())
    return texts


def apply_append(op: AppendOperation, working: WorkingFrame, ctx: RunContext) -> OperationOutcome:
    compiler = OperationCompiler(op.order, ctx.selectors, ctx.today)
    params = op.parameters
    dataset = ctx.tables.dataset(params.source.dataset_id, params.source.dataset_version)
    source = assemble(ctx, dataset, qualifiers_in(_source_texts(op), ctx.selectors)).working

    scope = source.scope("source_selector", today=ctx.today)
    rows = source.frame.lazy().filter(
        VISIBLE & compiler.condition(params.source_selector, scope, "parameters.source_selector")
    )

    # OP-APP-3: incoming columns are the aggregation's outputs, or the source's user columns.
    if params.aggregation:
        result = aggregate(rows, params.aggregation, scope, source.main_table, compiler, "parameters.aggregation")
        incoming_types, incoming = result.columns, result.rows.collect()  # another Dataset's rows: materialised
        temporal = [c for c in TEMPORAL_SOURCE_COLUMNS if c in incoming.columns]
    else:
        incoming_types = dict(source.columns)
        names = frame_names(rows)
        temporal = [c for c in TEMPORAL_SOURCE_COLUMNS if c in names]
        incoming = rows.collect()  # the source's rows, not the working frame: appended rows are materialised

    if params.columns is not None:  # OP-APP-7: explicit incoming rows, in the source's (or aggregation's) scope
        mapped_scope = (
            _scope_of(incoming_types, source, ctx) if params.aggregation else scope.with_context("assignment")
        )
        exprs, types = [], {}
        for name, text in params.columns.items():
            compiled = compiler.compile(text, mapped_scope, f"parameters.columns.{name}")
            exprs.append(compiled.expr.alias(name))
            types[name] = compiled.dtype
        incoming = incoming.select(*exprs, *temporal)
        incoming_types = types
    else:
        incoming = incoming.select(*incoming_types, *temporal)

    _check_alignment(op, incoming_types, working)
    stored = [
        store(pl.col(name), value_type, working.columns[name]).alias(name)
        for name, value_type in incoming_types.items()
    ]
    incoming = incoming.with_columns(stored)
    new_rows = created_rows(
        stamp_new_rows(
            incoming, working, ctx, order=op.order, source_dataset_id=dataset.id, source_table=dataset.main_table.name
        ),
        working.frame,
    )
    after = working.with_frame(append_rows(working, new_rows))
    events = created_events(new_rows, run_id=ctx.run_id, operation_order=op.order, operation_type="append")
    return OperationOutcome(after, events=events, changed_columns=frozenset(), **created_count(new_rows))


def _scope_of(types: dict[str, DslType], source: WorkingFrame, ctx: RunContext) -> Scope:
    """After an aggregation the scope is its group_by and aggregation columns (D31)."""
    bare = {name: ColumnBinding(name, dtype) for name, dtype in types.items()}
    return Scope(bare, {source.main_table: bare}, context="assignment", today=ctx.today)


def _check_alignment(op: AppendOperation, incoming: dict[str, DslType], working: WorkingFrame) -> None:
    """OP-APP-4/5: every incoming column exists and can be stored."""
    missing = [name for name in incoming if name not in working.columns]
    if missing:
        raise AppendColumnNotFound(
            f"incoming column(s) {', '.join(missing)} are not working columns; "
            f"working columns: {', '.join(working.columns)}",
            rule="OP-APP-4",
            location=Location(path=f"operations[order={op.order}].parameters", operation_order=op.order),
        )
    for name, value_type in incoming.items():
        if not is_storable(value_type, working.columns[name]):
            raise TypeMismatch(
                f"incoming column {name} is {value_type}; working column {name} is {working.columns[name]}",
                rule="OP-APP-5",
                location=Location(path=f"operations[order={op.order}].parameters", operation_order=op.order),
            )
