"""Grouping for `aggregate` and `append` with `aggregation` (OP-AGG-1..3, OP-APP-3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from dobo_engine.dsl.scope import Scope
from dobo_engine.dsl.types import DslType
from dobo_engine.engine.expressions import OperationCompiler
from dobo_engine.errors import UnresolvedColumnRef
from dobo_engine.model.operations import Aggregation

_INPUT_ROWS = "__dobo_input_rows"  # `_` names are the system's (D7): no aggregation column clashes


@dataclass(frozen=True)
class AggregationResult:
    columns: dict[str, DslType]  # group_by then aggregation columns, with their types
    rows: pl.LazyFrame  # the summary rows, as a plan over the rows they summarise (D36)


def group_columns(
    group_by: Sequence[str], scope: Scope, main_table: str, compiler: OperationCompiler, where: str
) -> list[str]:
    """`group_by` entries as bare working columns (`main.col` means `col`, OP-AGG-2)."""
    names = []
    for index, entry in enumerate(group_by):
        qualifier, _, column = entry.rpartition(".")
        if (qualifier and qualifier != main_table) or column not in scope.columns:
            err = UnresolvedColumnRef(
                f"group_by entry {entry!r} is not a working column; in scope: {', '.join(sorted(scope.columns))}",
                rule="OP-AGG-2",
            )
            err.location = err.location.__class__(
                path=compiler.path(f"{where}.group_by[{index}]"), operation_order=compiler.order
            )
            raise err
        names.append(column)
    return names


def aggregate(
    rows: pl.LazyFrame, spec: Aggregation, scope: Scope, main_table: str, compiler: OperationCompiler, where: str
) -> AggregationResult:
    """The summary rows of `rows`, as a plan: its caller decides where they are materialised (D36)."""
    keys = group_columns(spec.group_by, scope, main_table, compiler, where)
    agg_scope = scope.with_context("aggregation", group_by=keys)
    columns: dict[str, DslType] = {k: scope.columns[k].dtype for k in keys}
    exprs = []
    for index, item in enumerate(spec.aggregations):
        compiled = compiler.compile(item.expression, agg_scope, f"{where}.aggregations[{index}].expression")
        columns[item.column] = compiled.dtype
        exprs.append(compiled.expr.alias(item.column))
    frame_keys = [scope.columns[k].frame_column for k in keys]
    # The input count rides in the same query (OP-AGG-3 needs it): one pass, no second query to share a plan with.
    counted = [*exprs, pl.len().alias(_INPUT_ROWS)]
    if keys:
        grouped = rows.group_by([pl.col(c).alias(k) for c, k in zip(frame_keys, keys)], maintain_order=True).agg(
            counted
        )
    else:
        grouped = rows.select(counted)
    # OP-AGG-3: no input rows, no summary rows (even with no group_by, where `select` gives one row).
    summary = grouped.filter(pl.col(_INPUT_ROWS) > 0).drop(_INPUT_ROWS)
    keyed = {k: scope.columns[k].dtype.to_polars() for k in keys}
    return AggregationResult(columns, summary.with_columns(pl.col(k).cast(t) for k, t in keyed.items()))
