"""`dobo parse`: the AST, inferred type and errors of one expression (cli.md)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from dobo_engine.cli.common import echo_json, handle_errors, json_option
from dobo_engine.dsl import ast, pretty
from dobo_engine.dsl.functions.reference import help_text
from dobo_engine.dsl.pipeline import run_check
from dobo_engine.dsl.scope import SYSTEM_COLUMNS, ColumnDef, Scope, bindings
from dobo_engine.errors import DoboErrors

if TYPE_CHECKING:
    from dobo_engine.model.dataset import TableRef


def _column_def(text: str, *, qualified: bool) -> tuple[str | None, ColumnDef]:
    """``name:type`` or ``q.name:type``; decimal may carry ``decimal(p,s)``."""
    name, sep, type_text = text.partition(":")
    if not sep or not name or not type_text:
        raise click.BadParameter(f"{text!r}: expected {'q.name' if qualified else 'name'}:type")
    precision = scale = None
    type_name = type_text.strip()
    if type_name.lower().startswith("decimal(") and type_name.endswith(")"):
        p, _, s = type_name[8:-1].partition(",")
        precision, scale, type_name = int(p), int(s), "decimal"
    qualifier = None
    if qualified:
        qualifier, dot, name = name.partition(".")
        if not dot:
            raise click.BadParameter(f"{text!r}: expected q.name:type")
    return qualifier, ColumnDef(name, type_name, precision, scale)


def scope_from_definitions(
    columns: list[ColumnDef], qualified: dict[str, list[ColumnDef]], context: str, group_by: tuple[str, ...] = ()
) -> Scope:
    """A Scope from column definitions (also used once `--dataset` reads them from the store)."""
    quals = {q: bindings(cols, prefix=q) for q, cols in qualified.items()}
    return Scope(bindings(columns), quals, context=context, group_by=frozenset(group_by))


def _dataset_definitions(
    dataset_id: str, version: int | None
) -> tuple[str, list[ColumnDef], dict[str, list[ColumnDef]]]:
    """Main table name, its columns (with the readable system columns) and each lookup's columns."""
    from dobo_engine.store.api import open_store
    from dobo_engine.store.catalog_reader import StoreCatalog

    catalog = StoreCatalog(open_store())
    dataset = catalog.dataset(dataset_id, version)

    def defs(table: TableRef) -> list[ColumnDef]:
        return [ColumnDef(c.name, c.type, c.precision, c.scale) for c in table.columns]

    system = [ColumnDef(name, t.kind) for name, t in SYSTEM_COLUMNS.items()]
    lookups: dict[str, list[ColumnDef]] = {}
    for lookup in dataset.lookups:
        assert lookup.alias is not None, "LookupDef defaults the alias when it validates (DS-1)"
        target = lookup.target
        table = (
            catalog.dataset(target.dataset_id, target.dataset_version).main_table
            if target.type == "dataset"
            else target
        )
        lookups[lookup.alias] = defs(table)
    return dataset.main_table.name, [*defs(dataset.main_table), *system], lookups


def node_to_dict(node: ast.Node) -> dict[str, Any]:
    """A JSON-ready view of a (typed) AST node."""
    out: dict[str, Any] = {"node": type(node).__name__}
    for name in ("value", "scale", "name", "qualifier", "op", "reason"):
        if hasattr(node, name):
            value = getattr(node, name)
            out[name] = value if isinstance(value, (int, str, bool, type(None))) else str(value)
    if node.dtype is not None:
        out["type"] = str(node.dtype)
    out["line"], out["column"] = node.span.line, node.span.column
    kids = node.children()
    if kids:
        out["children"] = [node_to_dict(k) for k in kids]
    return out


def _tree(node: ast.Node, depth: int = 0) -> list[str]:
    info = node_to_dict(node)
    label = " ".join(
        f"{k}={info[k]!r}" for k in ("op", "name", "qualifier", "value") if k in info and info[k] is not None
    )
    line = f"{'  ' * depth}{info['node']}{' ' + label if label else ''} : {info.get('type', '?')}"
    return [line, *(row for kid in node.children() for row in _tree(kid, depth + 1))]


@click.command("parse", epilog=help_text())
@click.argument("expression")
@click.option(
    "--column", "columns", multiple=True, metavar="NAME:TYPE", help="A bare column in scope, e.g. amount:decimal(38,2)."
)
@click.option(
    "--qualifier-column",
    "qcolumns",
    multiple=True,
    metavar="Q.NAME:TYPE",
    help="A qualified column, e.g. fx.rate:decimal.",
)
@click.option(
    "--context",
    default="parse",
    type=click.Choice(["parse", "selector", "assignment", "join_on", "aggregation", "resolver_when"]),
    help="Where the expression sits (aggregates only in aggregation).",
)
@click.option("--group-by", "group_by", multiple=True, help="A group_by column (aggregation context).")
@click.option(
    "--dataset", "dataset_id", help="Take the scope from a stored Dataset: its columns, table name and lookups."
)
@click.option("--dataset-version", type=int, help="With --dataset: a stored version (default: latest).")
@json_option
@handle_errors
def parse_command(
    expression: str,
    columns: tuple[str, ...],
    qcolumns: tuple[str, ...],
    context: str,
    group_by: tuple[str, ...],
    dataset_id: str | None,
    dataset_version: int | None,
    as_json: bool,
) -> None:
    """Print the AST, inferred type and errors of one expression.

    \b
    Example:
      dobo parse 'amount * fx.rate > 100' --column amount:decimal --qualifier-column fx.rate:decimal
    """
    bare = [_column_def(c, qualified=False)[1] for c in columns]
    qualified: dict[str, list[ColumnDef]] = {}
    if dataset_id:
        main, main_columns, lookups = _dataset_definitions(dataset_id, dataset_version)
        bare = [*main_columns, *bare]
        qualified.update(lookups)
        qualified[main] = bare
    for text in qcolumns:
        q, cdef = _column_def(text, qualified=True)
        qualified.setdefault(q or "", []).append(cdef)
    scope = scope_from_definitions(bare, qualified, context, group_by)
    result = run_check(expression, scope)
    if as_json:
        echo_json(
            {
                "ok": not result.errors,
                "expression": expression,
                "canonical": pretty(result.ast) if result.ast is not None else None,
                "type": str(result.dtype),
                "ast": node_to_dict(result.ast) if result.ast is not None else None,
                "references": sorted(([q, c] for q, c in result.references), key=lambda r: (r[0] or "", r[1])),
                "errors": [e.to_dict() for e in result.errors],
            }
        )
        if result.errors:
            sys.exit(DoboErrors(result.errors).exit_code)
        return
    if result.ast is not None:
        click.echo("\n".join(_tree(result.ast)))
        click.echo(f"type: {result.dtype}")
    if result.errors:
        raise DoboErrors(result.errors)


COMMANDS: list[click.Command] = [parse_command]
