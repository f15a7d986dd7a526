"""Which input-Dataset columns a Project reads, and in which operations (PRJ-12).

Impact analysis only calls a Dataset change breaking when the Project uses
the changed column, so this must see every use: expressions of any
operation (selector, join `on`, assignments, aggregations), named selectors
(attributed to each operation that uses them, and kept even when unused),
`group_by` entries, output `columns`, assignment targets and append column
targets. References are found syntactically with the DSL's parser, so a
Project that no longer compiles is still analysed.

Keys are the ConflictReport spelling: main-table columns bare, lookup
columns as `alias.column`. Names of RuntimeJoin aliases, and expressions
evaluated in an append source's scope, read other Datasets and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable

from dobo_engine.dsl import ast, parse
from dobo_engine.errors import DoboError
from dobo_engine.model.dataset import Dataset
from dobo_engine.model.project import Project

References = dict[str, set[int]]  # column key -> orders of the operations that read it


def _columns(text: str, selectors: dict[str, str]) -> list[tuple[str | None, str]]:
    """(qualifier, name) of every column a text reads, named selectors expanded."""
    found: list[tuple[str | None, str]] = []
    pending, seen = [text], set()
    while pending:
        try:
            node = parse(pending.pop())
        except DoboError:
            continue  # an unparsable text reads nothing we can name; validation reports it
        for item in node.walk():
            if isinstance(item, ast.Column):
                found.append((item.qualifier, item.name))
            elif isinstance(item, ast.SelectorRef) and item.name in selectors and item.name not in seen:
                seen.add(item.name)
                pending.append(selectors[item.name])
    return found


def _key(dataset: Dataset, qualifier: str | None, name: str) -> str | None:
    """The ConflictReport key of a reference into ``dataset``, or None if it reads something else."""
    if qualifier is None or qualifier == dataset.main_table.name:
        return name if dataset.main_table.column(name) is not None else None
    if dataset.lookup(qualifier) is not None:
        return f"{qualifier}.{name}"
    return None  # a RuntimeJoin alias: another Dataset


def _split(name: str) -> tuple[str | None, str]:
    qualifier, dot, column = name.rpartition(".")
    return (qualifier, column) if dot else (None, name)


def project_references(project: Project, dataset: Dataset) -> References:
    """Every column of ``dataset`` (the version the Project pins) that ``project`` references."""
    refs: References = {}

    def add(pairs: Iterable[tuple[str | None, str]], order: int | None) -> None:
        for qualifier, name in pairs:
            key = _key(dataset, qualifier, name)
            if key is not None:
                orders = refs.setdefault(key, set())
                if order is not None:
                    orders.add(order)

    selectors = dict(project.selectors or {})
    for op in project.operations:
        for expression in op.expressions("working"):
            add(_columns(expression.text, selectors), op.order)
        # Assignment and append targets (OP-APP-4) are working columns of the same name;
        # group_by and output `columns` name the columns they read.
        names = op.columns_assigned() + op.columns_named()
        add((_split(n) for n in names if not n.startswith("_")), op.order)
    # A named selector counts even if no operation uses it (PRJ-12: "or named selector").
    for body in selectors.values():
        add(_columns(body, selectors), None)
    return refs
