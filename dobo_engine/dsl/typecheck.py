"""Type inference and checking (dsl.md §5-§9): annotates every node's ``dtype``.

Input: a tree with named selectors substituted (resolve.py). Output: a typed
copy whose columns are bound to frame columns (``resolve.bind_column``, called
per column so the tree is copied once); errors go to the Reporter. A failed
part is typed *unknown* and accepted everywhere afterwards, so one mistake
gives one error (V-3). Function calls are typed by their registry entry
(functions/): arity, aggregate or not, and the entry's typing rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dobo_engine.dsl import ast
from dobo_engine.dsl.errors import (
    AggregateNotAllowed,
    AggregateRequired,
    FunctionNotAllowed,
    Reporter,
    TypeMismatch,
    UnknownFunction,
    WrongArity,
    closest,
)
from dobo_engine.dsl.functions import AGGREGATE_NAMES, FUNCTIONS, FunctionSpec
from dobo_engine.dsl.resolve import bind_column
from dobo_engine.dsl.scope import ColumnBinding, Scope
from dobo_engine.dsl.types import (
    BOOLEAN,
    DATE,
    INTEGER,
    NULL,
    STRING,
    UNKNOWN,
    DslType,
    common_type,
    decimal,
    is_storable,
    scale_of,
)

_AGGREGATE_LIST = ", ".join(AGGREGATE_NAMES)

CONTEXT_NAMES = {
    "selector": "a selector",
    "assignment": "an assignment",
    "join_on": "a join condition (on)",
    "source_selector": "a source_selector",
    "resolver_when": "a Resolver rule's when",
    "parse": "a plain expression",
}


@dataclass
class _State:
    in_aggregate: str | None = None  # name of the enclosing aggregate call
    aggregates_seen: int = 0


class Checker:
    def __init__(self, scope: Scope, reporter: Reporter) -> None:
        self.scope = scope
        self.reporter = reporter
        self.state = _State()
        group = {scope.columns[g].frame_column for g in scope.group_by if g in scope.columns}
        self.group_frame_columns = group
        # (qualifier, name) of each column bound to a frame column: what the expression reads.
        self.references: set[tuple[str | None, str]] = set()

    # -- entry ------------------------------------------------------------------
    def check(self, node: ast.Node, expected: DslType | None = None) -> ast.Node:
        typed = self.visit(node)
        if self.scope.aggregates_allowed and self.state.aggregates_seen == 0 and not _failed(typed):
            self.reporter.add(
                AggregateRequired,
                f"an aggregation needs at least one aggregate ({_AGGREGATE_LIST})",
                node.span,
                reference=self.reporter.expression,
            )
        if expected is not None:
            self._expect(typed, expected)
        return typed

    def _expect(self, typed: ast.Node, expected: DslType) -> None:
        actual = typed.dtype or UNKNOWN
        where = CONTEXT_NAMES.get(self.scope.context, self.scope.context)
        if expected.kind == "boolean" and not actual.is_vague and actual.kind != "boolean":
            self._mismatch(typed, "boolean", actual, where)
        elif not is_storable(actual, expected):
            self._mismatch(typed, str(expected), actual, where, f"a column of type {expected} cannot hold {actual}")

    # -- helpers ----------------------------------------------------------------
    def _mismatch(self, node: ast.Node, expected: str, actual: DslType, where: str, message: str | None = None) -> None:
        text = message or f"{where} expects {expected}, got {actual}"
        self.reporter.add(TypeMismatch, text, node.span, expected=expected, actual=str(actual), where=where)

    def visit(self, node: ast.Node) -> ast.Node:
        try:
            visitor = _VISITORS[type(node)]
        except KeyError:  # not one of ast.NODE_TYPES: fail as the missing method would
            visitor = getattr(type(self), f"visit_{type(node).__name__}")
        return visitor(self, node)

    # -- leaves -----------------------------------------------------------------
    def visit_IntegerLit(self, node: ast.IntegerLit) -> ast.Node:
        return node.evolve(dtype=INTEGER)

    def visit_DecimalLit(self, node: ast.DecimalLit) -> ast.Node:
        return node.evolve(dtype=decimal(node.scale))

    def visit_StringLit(self, node: ast.StringLit) -> ast.Node:
        return node.evolve(dtype=STRING)

    def visit_BoolLit(self, node: ast.BoolLit) -> ast.Node:
        return node.evolve(dtype=BOOLEAN)

    def visit_NullLit(self, node: ast.NullLit) -> ast.Node:
        return node.evolve(dtype=NULL)

    def visit_DateLit(self, node: ast.DateLit) -> ast.Node:
        return node.evolve(dtype=DATE)

    def visit_Invalid(self, node: ast.Invalid) -> ast.Node:
        return node.evolve(dtype=UNKNOWN)

    def visit_SelectorRef(self, node: ast.SelectorRef) -> ast.Node:
        return node.evolve(dtype=UNKNOWN)  # only reached when selectors were not substituted

    def visit_Column(self, node: ast.Column) -> ast.Node:
        binding = bind_column(node, self.scope, self.reporter)
        if binding is None:
            typed = node.evolve(dtype=UNKNOWN)
        else:
            typed = node.evolve(frame_column=binding.frame_column, dtype=self._column_type(node, binding))
        if typed.frame_column:
            self.references.add((typed.qualifier, typed.name))
        return typed

    def _column_type(self, node: ast.Column, binding: ColumnBinding) -> DslType:
        dtype = binding.dtype or UNKNOWN
        if (
            self.scope.aggregates_allowed
            and self.state.in_aggregate is None
            and dtype.kind != "unknown"
            and binding.frame_column not in self.group_frame_columns
        ):
            self.reporter.add(
                AggregateRequired,
                f"column {node.reference} is not in group_by; use it inside an aggregate such as SUM({node.reference})",
                node.span,
                reference=node.reference,
            )
            return UNKNOWN
        return dtype

    # -- compound ---------------------------------------------------------------
    def visit_Selector(self, node: ast.Selector) -> ast.Node:
        self.reporter.enter_selector(node.source, node.path, node.span)
        try:
            body = self.visit(node.body)
        finally:
            self.reporter.leave_selector()
        t = body.dtype or UNKNOWN
        if not t.is_vague and t.kind != "boolean":
            self._mismatch(
                node,
                "boolean",
                t,
                f"selector {{{{{node.name}}}}}",
                f"named selector {node.name} must be boolean, got {t}",
            )
            t = UNKNOWN
        return node.evolve(body=body, dtype=BOOLEAN if t.kind != "unknown" else UNKNOWN)

    def visit_Negate(self, node: ast.Negate) -> ast.Node:
        operand = self.visit(node.operand)
        t = operand.dtype or UNKNOWN
        if t.is_vague:
            result = UNKNOWN if t.kind == "unknown" else NULL
        elif t.is_numeric:
            result = decimal(scale_of(t)) if t.kind == "decimal" else INTEGER
        else:
            self._mismatch(operand, "integer or decimal", t, "unary -")
            result = UNKNOWN
        return node.evolve(operand=operand, dtype=result)

    def visit_Not(self, node: ast.Not) -> ast.Node:
        operand = self.visit(node.operand)
        t = operand.dtype or UNKNOWN
        if not t.is_vague and t.kind != "boolean":
            self._mismatch(operand, "boolean", t, "NOT")
        return node.evolve(operand=operand, dtype=BOOLEAN)

    def visit_Binary(self, node: ast.Binary) -> ast.Node:
        left, right = self.visit(node.left), self.visit(node.right)
        lt, rt = left.dtype or UNKNOWN, right.dtype or UNKNOWN
        if node.op in ast.LOGICAL:
            for side, t in ((left, lt), (right, rt)):
                if not t.is_vague and t.kind != "boolean":
                    self._mismatch(side, "boolean", t, node.op)
            result = BOOLEAN
        elif node.op in ast.COMPARISON:
            result = self._comparison(node, left, right, lt, rt)
        else:
            result = self._arithmetic(node, left, right, lt, rt)
        return node.evolve(left=left, right=right, dtype=result)

    def _comparison(self, node: ast.Binary, left: ast.Node, right: ast.Node, lt: DslType, rt: DslType) -> DslType:
        common = common_type(lt, rt)
        where = f"operator {node.op}"
        if common is None:
            self._mismatch(right, f"a type comparable with {lt}", rt, where, f"cannot compare {lt} with {rt} ({where})")
        elif node.op not in ("=", "<>") and not common.is_vague and not common.is_orderable:
            self._mismatch(
                left, "number, string, date or timestamp", common, where, f"{common} values are not ordered ({where})"
            )
        return BOOLEAN

    def _arithmetic(self, node: ast.Binary, left: ast.Node, right: ast.Node, lt: DslType, rt: DslType) -> DslType:
        op = node.op
        where = f"operator {op}"
        if "unknown" in (lt.kind, rt.kind):
            return UNKNOWN
        # A NULL operand takes the other side's type (null → any, §5).
        if lt.kind == "null" and rt.kind == "null":
            return NULL
        if lt.kind == "null":
            lt = INTEGER if rt.is_temporal else rt
        if rt.kind == "null":
            rt = INTEGER if lt.is_temporal else lt
        if op in ("+", "-") and (lt.is_temporal or rt.is_temporal):
            if lt.is_temporal and rt.kind == "integer":
                return lt
            if op == "+" and lt.kind == "integer" and rt.is_temporal:
                return rt
            if op == "-" and lt.is_temporal and rt.is_temporal:
                self._mismatch(
                    right, "integer (days)", rt, where, f"cannot subtract {rt} from {lt}: use DATEDIFF(end, start)"
                )
                return UNKNOWN
            bad = right if lt.is_temporal else left
            self._mismatch(bad, "integer (days)", bad.dtype or UNKNOWN, where)
            return UNKNOWN
        ok = True
        for side, t in ((left, lt), (right, rt)):
            if not t.is_numeric:
                self._mismatch(side, "integer or decimal", side.dtype or UNKNOWN, where)
                ok = False
        if not ok:
            return UNKNOWN
        sa, sb = scale_of(lt), scale_of(rt)
        if op == "/":
            return decimal(max(sa, sb, 6))
        if lt.kind == "integer" and rt.kind == "integer":
            return INTEGER
        if op == "*":
            return decimal(min(sa + sb, 18))
        return decimal(max(sa, sb))

    def visit_Call(self, node: ast.Call) -> ast.Node:
        spec = FUNCTIONS.get(node.name)
        if spec is not None and spec.aggregate:
            return self._aggregate_call(node)
        args = tuple(self.visit(a) for a in node.args)
        return node.evolve(args=args, dtype=self._call_type(node, spec, args))

    def _call_type(self, node: ast.Call, spec: FunctionSpec | None, args: tuple[ast.Node, ...]) -> DslType:
        if spec is None:
            suggestion = closest(node.name, list(FUNCTIONS), fold=True)
            hint = f"; did you mean {suggestion}?" if suggestion else ""
            self.reporter.add(
                UnknownFunction,
                f"unknown function {node.name}{hint}",
                _name_span(node),
                function=node.name,
                suggestion=suggestion,
            )
            return UNKNOWN
        if node.name in self.scope.forbidden_functions:
            self._not_allowed(node)
            return spec.result or UNKNOWN
        if not spec.accepts(len(args)):
            self.reporter.add(
                WrongArity,
                f"{node.name} takes {spec.arity} argument{'s' if spec.arity != '1' else ''}, got {len(args)}",
                node.span,
                function=node.name,
                expected=spec.arity,
                actual=len(args),
            )
            return UNKNOWN

        def need(i: int, ok: bool, expected: str) -> bool:
            if not ok:
                arg = args[i]
                self._mismatch(arg, expected, arg.dtype or UNKNOWN, f"{node.name} arg {i + 1}")
            return ok

        return spec.infer(args, need)

    def _not_allowed(self, node: ast.Call) -> None:
        where = CONTEXT_NAMES.get(self.scope.context, self.scope.context)
        self.reporter.add(
            FunctionNotAllowed,
            f"{node.name}() is not allowed in {where}",
            _name_span(node),
            function=node.name,
            context=self.scope.context,
        )

    def _aggregate_call(self, node: ast.Call) -> ast.Node:
        spec = FUNCTIONS[node.name]
        outer = self.state.in_aggregate
        if self.scope.context == "resolver_when":
            self._not_allowed(node)
        elif not self.scope.aggregates_allowed:
            where = CONTEXT_NAMES.get(self.scope.context, self.scope.context)
            self.reporter.add(
                AggregateNotAllowed,
                f"aggregate {node.name} is not allowed in {where}; aggregates belong in aggregations",
                _name_span(node),
                function=node.name,
                context=self.scope.context,
            )
        elif outer is not None:
            self.reporter.add(
                AggregateNotAllowed,
                f"aggregate {node.name} cannot be nested inside {outer}",
                _name_span(node),
                function=node.name,
                context=f"inside {outer}",
            )
        self.state.in_aggregate = outer or node.name
        try:
            args = tuple(self.visit(a) for a in node.args)
        finally:
            self.state.in_aggregate = outer
        self.state.aggregates_seen += 1
        return node.evolve(args=args, dtype=self._aggregate_type(node, spec, args))

    def _aggregate_type(self, node: ast.Call, spec: FunctionSpec, args: tuple[ast.Node, ...]) -> DslType:
        if not spec.accepts(len(args)):
            self.reporter.add(
                WrongArity,
                f"{node.name} takes {spec.arity} argument(s), got {len(args)}",
                node.span,
                function=node.name,
                expected=spec.arity,
                actual=len(args),
            )
            return UNKNOWN

        def need(i: int, ok: bool, expected: str) -> bool:
            if not ok:
                self._mismatch(args[i], expected, args[i].dtype or UNKNOWN, f"{node.name} arg {i + 1}")
            return ok

        return spec.infer(args, need)


# Dispatch by node class: one dict lookup per node instead of getattr by name.
_VISITORS: dict[type[ast.Node], Callable[[Checker, ast.Node], ast.Node]] = {
    cls: getattr(Checker, f"visit_{cls.__name__}") for cls in ast.NODE_TYPES
}


def _name_span(node: ast.Call) -> ast.Span:
    s = node.span
    return ast.Span(s.line, s.column, s.line, s.column + len(node.name), s.start, s.start + len(node.name))


def _failed(node: ast.Node) -> bool:
    return (node.dtype or UNKNOWN).kind == "unknown"
