"""Checking one expression in its scope and turning DSL errors into failures.

Named selectors are parsed once on their own (VAL-005): their syntax errors
and `{{…}}` nesting are reported there, with the selector's path, and not
again at each use. What depends on the use site (names, types) is reported
per use, with the selector's path and the use site in the detail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dobo_engine.dsl import ast
from dobo_engine.dsl.errors import ExpressionError
from dobo_engine.dsl.parser import parse
from dobo_engine.dsl.pipeline import run_check
from dobo_engine.dsl.scope import Scope
from dobo_engine.dsl.types import UNKNOWN, DslType
from dobo_engine.errors import DoboError, ExpressionSyntaxError, SelectorCycle, TypeMismatch
from dobo_engine.validation.report import Collector

RULE_OF_CODE = {
    "ExpressionSyntaxError": "VAL-001",
    "UnresolvedColumnRef": "VAL-002",
    "TypeMismatch": "VAL-003",
    "UnresolvedSelectorRef": "VAL-004",
    "SelectorCycle": "VAL-005",
    "UnknownFunction": "VAL-010",
    "WrongArity": "VAL-010",
    "FunctionNotAllowed": "VAL-010",
    "AggregateNotAllowed": "VAL-011",
    "AggregateRequired": "VAL-011",
}
SELECTOR_REF = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
_SELECTOR_WHERE = re.compile(r"selector \{\{([A-Za-z][A-Za-z0-9_]*)\}\}")
# Reported once by the selector's own check, so not again at every use site.
_ONCE_PER_SELECTOR = (ExpressionSyntaxError, SelectorCycle)


@dataclass(frozen=True)
class Checked:
    dtype: DslType  # unknown when the expression failed (V-3)
    ok: bool
    references: set[tuple[str | None, str]]
    tree: ast.Node | None


def excerpt(expression: str, line: int | None, column: int | None) -> str:
    """The offending line with a caret before the offending token, on one line."""
    lines = expression.split("\n")
    if line is None or not 1 <= line <= len(lines):
        return expression.strip()
    text = lines[line - 1].replace("\t", " ")
    cut = max((column or 1) - 1, 0)
    return f"{text[:cut].rstrip()} ^ {text[cut:].lstrip()}".strip()


def _null_comparisons(node: ast.Node) -> list[str]:
    """Comparisons with a literal NULL (always NULL, dsl.md §7.3); selector bodies are checked on their own."""
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Selector):
            continue
        if (
            isinstance(item, ast.Binary)
            and item.op in ast.COMPARISON
            and (isinstance(item.left, ast.NullLit) or isinstance(item.right, ast.NullLit))
        ):
            found.append(item.op)
        stack.extend(item.children())
    return found


@dataclass
class ExpressionChecker:
    selectors: dict[str, str]
    out: Collector
    used_selectors: set[str] = field(default_factory=set)
    broken_selectors: set[str] = field(default_factory=set)

    def check(
        self, text: object, scope: Scope, order: int | None, path: str, *, expected: DslType | None = None
    ) -> Checked:
        """Check one expression; every error becomes a failure located at `path`."""
        if not isinstance(text, str):
            return Checked(UNKNOWN, False, set(), None)  # a parse finding of the operation (VAL-012)
        self.used_selectors.update(SELECTOR_REF.findall(text))
        result = run_check(text, scope, selectors=self.selectors, expected=expected, path=path)
        for err in result.errors:
            self._report(err, order, path)
        if result.ast is not None and _null_comparisons(result.ast):
            self.out.warn(f"{path} compares with literal NULL, which is always NULL; use ISNULL()")
        ok = not result.errors
        return Checked(result.dtype if ok else UNKNOWN, ok, result.references, result.ast)

    def _report(self, err: DoboError, order: int | None, path: str) -> None:
        loc = err.location
        rule = RULE_OF_CODE.get(err.code, "VAL-003")
        site = getattr(err, "use_site", None)
        message = err.message
        where = loc.path or path
        expression = getattr(err, "expression", "")
        if site:  # inside a named selector's body
            if isinstance(err, _ONCE_PER_SELECTOR):
                return
            message = f"{message} (in {where}, used at {site.get('path') or path})"
        elif isinstance(err, TypeMismatch):
            named = _SELECTOR_WHERE.fullmatch(str(err.payload.get("where", "")))
            if named:  # the named selector is not boolean here (VAL-005)
                rule, where = "VAL-005", f"selectors.{named.group(1)}"
                message = f"{message} (used at {path})"
        detail = (
            f"{message}: {excerpt(expression, loc.line, loc.column)}" if isinstance(err, ExpressionError) else message
        )
        self.out.fail(rule, err.code, order, detail, where, line=loc.line, column=loc.column)

    def check_named_selectors(self) -> None:
        """VAL-005: every named selector parses and holds no `{{…}}`, even if unused."""
        for name, body in self.selectors.items():
            path = f"selectors.{name}"
            try:
                tree = parse(body, path=path)
            except ExpressionError as err:
                self.broken_selectors.add(name)
                loc = err.location
                self.out.fail(
                    "VAL-005",
                    "ExpressionSyntaxError",
                    None,
                    f"{err.message}: {excerpt(body, loc.line, loc.column)}",
                    path,
                    line=loc.line,
                    column=loc.column,
                )
                continue
            for node in tree.walk():
                if isinstance(node, ast.SelectorRef):
                    self.broken_selectors.add(name)
                    self.out.fail(
                        "VAL-005",
                        "SelectorCycle",
                        None,
                        f"named selector {name} uses {{{{{node.name}}}}}; a named selector cannot contain "
                        f"{{{{…}}}}: {excerpt(body, node.span.line, node.span.column)}",
                        path,
                        line=node.span.line,
                        column=node.span.column,
                    )
            if _null_comparisons(tree):
                self.out.warn(f"named selector {name} compares with literal NULL, which is always NULL; use ISNULL()")

    def warn_unused_selectors(self) -> None:
        for name in self.selectors:
            if name not in self.used_selectors:
                self.out.warn(f"named selector {name} is never used")
