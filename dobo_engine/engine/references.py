"""Which qualifiers a Project's expressions read (LK-5: only referenced lookups load).

Syntactic: parses each expression (and the named selectors it uses) and
collects the qualifiers of its column references; no scope needed.
"""

from __future__ import annotations

from collections.abc import Iterable

from dobo_engine.dsl import ast, parse
from dobo_engine.errors import DoboError
from dobo_engine.model.operations import Operation


def qualifiers_in(texts: Iterable[str], selectors: dict[str, str]) -> set[str]:
    """Qualifiers read by the texts, named selectors expanded; unparsable texts are skipped
    (their errors surface when the operation compiles)."""
    found: set[str] = set()
    pending = list(texts)
    seen_selectors: set[str] = set()
    while pending:
        text = pending.pop()
        try:
            node = parse(text)
        except DoboError:
            continue
        for item in node.walk():
            if isinstance(item, ast.Column) and item.qualifier:
                found.add(item.qualifier)
            elif isinstance(item, ast.SelectorRef) and item.name in selectors and item.name not in seen_selectors:
                seen_selectors.add(item.name)
                pending.append(selectors[item.name])
    return found


def referenced_qualifiers(operations: Iterable[Operation], selectors: dict[str, str]) -> set[str]:
    """Qualifiers read in the working scope (an append source's lookups are the append's business)."""
    texts = [e.text for op in operations for e in op.expressions("working")]
    return qualifiers_in(texts, selectors)


def columns_read(text: str) -> set[tuple[str | None, str]]:
    """The column references of one expression as (qualifier, name) pairs; an unparsable text
    reads nothing here (its error surfaces when the operation compiles)."""
    try:
        node = parse(text)
    except DoboError:
        return set()
    return {(item.qualifier, item.name) for item in node.walk() if isinstance(item, ast.Column)}
