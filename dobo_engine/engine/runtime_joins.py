"""RuntimeJoins of an `update` (OP-JOIN-1..7).

`on` is split into its top-level AND terms and each term is classified
(OP-JOIN-3): a key `L = R` with one side on this alias only and the other on
none of it; a filter on this alias only (applied to the join table first); or
a guard on none of it (a row whose guard is not TRUE gets no match).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from dobo_engine.dsl import ast, parse, pretty
from dobo_engine.dsl.scope import Scope
from dobo_engine.dsl.types import DslType
from dobo_engine.engine.context import RunContext
from dobo_engine.engine.expressions import OperationCompiler
from dobo_engine.engine.joins import JoinLabel, left_join_unique
from dobo_engine.engine.loading import as_alias, exposed_columns, load_filtered
from dobo_engine.engine.working import WorkingFrame
from dobo_engine.errors import UnsupportedJoinCondition
from dobo_engine.model.operations import RuntimeJoin


@dataclass
class PreparedJoin:
    alias: str
    dataset_id: str
    columns: dict[str, DslType]
    table: pl.DataFrame  # filtered join rows, columns named `alias.column`
    left_keys: list[pl.Expr] = field(default_factory=list)
    right_keys: list[pl.Expr] = field(default_factory=list)
    key_terms: list[str] = field(default_factory=list)
    guards: list[pl.Expr] = field(default_factory=list)

    @property
    def guard(self) -> pl.Expr:
        mask = pl.lit(True)
        for g in self.guards:
            mask = mask & g.fill_null(False)
        return mask


def conjuncts(node: ast.Node) -> list[ast.Node]:
    """The AND terms of a join `on`, left to right; activation classifies the same terms (OP-JOIN-3)."""
    if isinstance(node, ast.Binary) and node.op == "AND":
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


def _qualifiers(compiled_refs: set[tuple[str | None, str]]) -> set[str | None]:
    return {q for q, _ in compiled_refs}


def prepare_join(
    join: RuntimeJoin,
    index: int,
    working: WorkingFrame,
    earlier: dict[str, dict[str, DslType]],
    ctx: RunContext,
    compiler: OperationCompiler,
) -> PreparedJoin:
    dataset = ctx.tables.dataset(join.dataset_id, join.dataset_version)
    table = dataset.main_table
    loaded = load_filtered(ctx, dataset, table)
    columns = exposed_columns(table, loaded.collect_schema().names())
    where = f"parameters.joins[{index}].on"
    scope = working.scope("join_on", today=ctx.today, extra={**earlier, join.alias: columns})
    alias_only = working.scope("join_on", today=ctx.today, extra={join.alias: columns})
    prepared = PreparedJoin(join.alias, join.dataset_id, columns, pl.DataFrame())
    filters: list[pl.Expr] = []

    whole = compiler.compile(join.on, scope, where, boolean=True)  # type errors of the whole `on`
    del whole
    for term in conjuncts(parse(join.on, path=compiler.path(where))):
        text = pretty(term)
        refs = _qualifiers(compiler.compile(text, scope, where).references)
        uses_alias = join.alias in refs
        uses_other = bool(refs - {join.alias})
        if not uses_alias:
            prepared.guards.append(compiler.compile(text, scope, where, boolean=True).expr)
        elif not uses_other:
            filters.append(compiler.compile(text, alias_only, where, boolean=True).expr.fill_null(False))
        elif isinstance(term, ast.Binary) and term.op == "=":
            _add_key(prepared, term, scope, compiler, where)
        else:
            raise UnsupportedJoinCondition(
                f"join {join.alias}: the term `{text}` mixes {join.alias} with other columns in a way a join cannot "
                "use; write keys as `left = {alias}.column` joined by AND".replace("{alias}", join.alias),
                rule="OP-JOIN-3",
            )

    rows = as_alias(loaded, join.alias, columns)
    for f in filters:
        rows = rows.filter(f)
    # D20: two `period` tables also match on `_period`.
    if working.temporal_mode == "period" and table.temporal_mode == "period":
        prepared.left_keys.append(pl.col("_period"))
        prepared.right_keys.append(pl.col(f"{join.alias}._period"))
        prepared.key_terms.append(f"_period = {join.alias}._period")
    prepared.table = rows.collect()
    return prepared


def _add_key(prepared: PreparedJoin, term: ast.Binary, scope: Scope, compiler: OperationCompiler, where: str) -> None:
    left_text, right_text = pretty(term.left), pretty(term.right)
    left = compiler.compile(left_text, scope, where)
    right = compiler.compile(right_text, scope, where)
    left_refs, right_refs = _qualifiers(left.references), _qualifiers(right.references)
    if prepared.alias in left_refs and prepared.alias not in right_refs and left_refs == {prepared.alias}:
        left, right = right, left
        left_text, right_text = right_text, left_text
    elif not (right_refs == {prepared.alias} and prepared.alias not in left_refs):
        raise UnsupportedJoinCondition(
            f"join {prepared.alias}: in `{pretty(term)}` one side must use only {prepared.alias} "
            f"and the other none of it",
            rule="OP-JOIN-3",
        )
    prepared.left_keys.append(left.expr)
    prepared.right_keys.append(right.expr)
    prepared.key_terms.append(f"{left_text} = {right_text}")


def attach(frame: pl.LazyFrame, join: PreparedJoin, checked: pl.Expr) -> pl.LazyFrame:
    """Left-join the prepared rows; unguarded rows see NULL (OP-JOIN-3c, OP-JOIN-4/5)."""
    guard = join.guard
    left_keys = [pl.when(guard).then(k) for k in join.left_keys]
    out = left_join_unique(
        frame,
        join.table,
        left_keys=left_keys,
        right_keys=join.right_keys,
        label=JoinLabel(join.dataset_id, join.alias, join.key_terms),
        checked=checked & guard,
    )
    if not join.left_keys:  # no key terms: every guarded row meets the single row
        out = out.with_columns([pl.when(guard).then(pl.col(c)).alias(c) for c in join.table.columns])
    return out
