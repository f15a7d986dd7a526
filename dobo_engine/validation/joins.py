"""RuntimeJoins of an `update` (VAL-002/003 in `on`, VAL-008, VAL-014 aliases, VAL-015).

The `on` is split into AND terms exactly as the engine splits it
(:func:`dobo_engine.engine.runtime_joins.conjuncts`) and each term is
classified as OP-JOIN-3 says: key, filter or guard.
"""

from __future__ import annotations

from collections.abc import Mapping

from dobo_engine.dsl import ast, pretty
from dobo_engine.dsl.types import BOOLEAN, DslType
from dobo_engine.engine.runtime_joins import conjuncts
from dobo_engine.validation.context import Context
from dobo_engine.validation.report import op_path
from dobo_engine.validation.schema import AnyColumns, WorkingSchema, table_columns
from dobo_engine.validation.view import OperationView


def _qualifiers(node: ast.Node) -> set[str | None]:
    """Qualifiers of the columns a (typed) sub-tree reads; None for bare names."""
    return {n.qualifier for n in node.walk() if isinstance(n, ast.Column)}


def unsupported_terms(tree: ast.Node, alias: str) -> list[str]:
    """The AND terms of `on` that are neither key, filter nor guard (OP-JOIN-3)."""
    bad: list[str] = []
    for term in conjuncts(tree):
        refs = _qualifiers(term)
        if alias not in refs or not refs - {alias}:
            continue  # (c) guard or (b) filter
        if isinstance(term, ast.Binary) and term.op == "=":
            left, right = _qualifiers(term.left), _qualifiers(term.right)
            if (left == {alias} and alias not in right) or (right == {alias} and alias not in left):
                continue  # (a) key
        bad.append(pretty(term))
    return bad


def check_joins(op: OperationView, schema: WorkingSchema, ctx: Context) -> dict[str, Mapping[str, DslType]]:
    """Check each join in list order; returns the aliases (alias → columns) the update may read."""
    joins = op.params.get("joins")
    aliases: dict[str, Mapping[str, DslType]] = {}
    if not isinstance(joins, list):
        return aliases
    taken = {n: "the main table name" for n in [schema.main_table] if n} | {
        a: "a lookup alias of the input Dataset" for a in schema.lookup_aliases
    }
    for index, join in enumerate(joins):
        if not isinstance(join, dict):
            continue
        where = f"parameters.joins[{index}]"
        alias = join.get("alias")
        if not isinstance(alias, str):
            continue
        clash = "another join alias of this update" if alias in aliases else taken.get(alias)
        if clash:  # VAL-014
            ctx.out.fail(
                "VAL-014",
                "DuplicateName",
                op.order,
                f"join alias {alias!r} is also {clash}",
                op_path(op.order, op.index, f"{where}.alias"),
            )
        dataset = ctx.datasets.join_or_append(
            join.get("dataset_id"), join.get("dataset_version"), op, f"{where}.dataset_id", "RuntimeJoin"
        )
        columns: Mapping[str, DslType] = table_columns(dataset.main_table) if dataset else AnyColumns(alias)
        visible = {**aliases, alias: columns}
        scope = schema.scope("join_on", extra=visible)
        on_path = op_path(op.order, op.index, f"{where}.on")
        checked = ctx.expressions.check(join.get("on"), scope, op.order, on_path, expected=BOOLEAN)
        if checked.ok and checked.tree is not None:
            for term in unsupported_terms(checked.tree, alias):
                ctx.out.fail(
                    "VAL-015",
                    "UnsupportedJoinCondition",
                    op.order,
                    f"join {alias}: the term `{term}` mixes {alias} with other columns in a way a join "
                    f"cannot use; write `left = {alias}.column` keys, filters on {alias} alone, or guards "
                    f"without {alias}, joined by AND",
                    on_path,
                )
        aliases[alias] = columns  # a clashing alias still shadows, as in the engine's scope
    return aliases
