"""Name resolution: substitute named selectors (§4), bind column names (§3).

``substitute_selectors`` returns a new tree; ``bind_column`` binds one column
and is called by the Checker as it visits each column, so checking copies the
tree once. Failures become errors on the Reporter and leave an ``Invalid``
node or a column typed *unknown*, so checking continues (V-3).
"""

from __future__ import annotations

from collections.abc import Mapping

from dobo_engine.dsl import ast
from dobo_engine.dsl.errors import (
    ExpressionSyntaxError,
    Reporter,
    SelectorCycle,
    UnresolvedColumnRef,
    UnresolvedSelectorRef,
    closest,
)
from dobo_engine.dsl.parser import parse
from dobo_engine.dsl.scope import ColumnBinding, Scope


def selector_path(name: str) -> str:
    return f"selectors.{name}"


def substitute_selectors(node: ast.Node, selectors: Mapping[str, str], reporter: Reporter) -> ast.Node:
    """Replace every ``{{NAME}}`` by a ``Selector`` node holding the parsed body (PRJ-3)."""
    if isinstance(node, ast.SelectorRef):
        return _substitute(node, selectors, reporter)
    children = node.children()
    if not children:
        return node
    return ast.with_children(node, tuple(substitute_selectors(c, selectors, reporter) for c in children))


def _substitute(ref: ast.SelectorRef, selectors: Mapping[str, str], reporter: Reporter) -> ast.Node:
    if ref.name not in selectors:
        reporter.add(
            UnresolvedSelectorRef,
            f"no named selector {{{{{ref.name}}}}}; defined: {', '.join(sorted(selectors)) or 'none'}",
            ref.span,
            name=ref.name,
            available=sorted(selectors),
        )
        return ast.Invalid(f"{{{{{ref.name}}}}}", span=ref.span)
    source, path = selectors[ref.name], selector_path(ref.name)
    reporter.enter_selector(source, path, ref.span)
    try:
        try:
            body = parse(source, path=path)
        except ExpressionSyntaxError as err:
            reporter.add(ExpressionSyntaxError, err.message, err.span, expected=err.payload.get("expected", []))
            return ast.Invalid(ref.name, span=ref.span)
        nested = [n for n in body.walk() if isinstance(n, ast.SelectorRef)]
        for inner in nested:
            reporter.add(
                SelectorCycle,
                f"named selector {ref.name} uses {{{{{inner.name}}}}}; selectors cannot contain {{{{...}}}}",
                inner.span,
                selector=ref.name,
                reference=inner.name,
            )
        if nested:
            return ast.Invalid(ref.name, span=ref.span)
    finally:
        reporter.leave_selector()
    return ast.Selector(ref.name, body, source=source, path=path, span=ref.span)


def bind_column(col: ast.Column, scope: Scope, reporter: Reporter) -> ColumnBinding | None:
    """The frame column and type a column reference names; None after reporting
    UnresolvedColumnRef."""
    if col.qualifier is None:
        binding = scope.columns.get(col.name)
    else:
        binding = scope.qualifiers.get(col.qualifier, {}).get(col.name)
    if binding is None:
        _unresolved(col, scope, reporter)
    return binding


def _unresolved(col: ast.Column, scope: Scope, reporter: Reporter) -> None:
    reference = col.reference
    suggestion = closest(reference, scope.all_references())
    if col.qualifier is not None and col.qualifier not in scope.qualifiers:
        why = f"{col.qualifier!r} is not a table, lookup or join alias in scope here"
    elif col.qualifier is not None:
        why = f"{col.qualifier} has no column {col.name!r}"
    else:
        why = f"no column {col.name!r} in scope"
    hint = f"; did you mean {suggestion}?" if suggestion else ""
    qualifiers = ", ".join(sorted(scope.qualifiers)) or "none"
    reporter.add(
        UnresolvedColumnRef,
        f"unresolved column {reference}: {why}{hint} (qualifiers in scope: {qualifiers})",
        col.span,
        reference=reference,
        in_scope=scope.in_scope(),
        closest=suggestion,
    )
