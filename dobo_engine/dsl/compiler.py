"""Typed AST → one Polars expression (dsl.md §5-§9, §12).

Only called on a tree that checked without errors. Every operand is first
converted to the operation's type (integer → decimal, date → timestamp,
null → typed null), so Polars never picks a type of its own. Function calls
go to each function's own compiler in the registry (functions/), which gets
this compiler as its ``CompileContext`` to compile the arguments.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date

import polars as pl

from dobo_engine.dsl import ast
from dobo_engine.dsl.functions import FUNCTIONS
from dobo_engine.dsl.polars_exprs import (
    INT64,
    INT128,
    INT128_TARGET,
    PL_BOOLEAN,
    PL_DATE,
    PL_STRING,
    checked_int,
    coerce,
    col,
    dec,
    dec_target,
    lit,
)
from dobo_engine.dsl.types import BOOLEAN, INTEGER, DslType, common_type, decimal, scale_of
from dobo_engine.errors import InternalError
from dobo_engine.io.row_ids import row_id_text


class Compiler:
    def __init__(self, *, context: str, today: date | None, labels_column: str | None) -> None:
        self.aggregation = context == "aggregation"
        self.today = today
        self.labels_column = labels_column
        self.in_aggregate = False

    def compile(self, node: ast.Node) -> pl.Expr:
        try:
            method = _COMPILERS[type(node)]
        except KeyError:  # no c_<Name> for this class: fail as getattr always did
            method = getattr(type(self), f"c_{type(node).__name__}")
        return method(self, node)

    def typed(self, node: ast.Node, dst: DslType) -> pl.Expr:
        """Compile ``node`` and convert it to ``dst``."""
        return coerce(self.compile(node), _t(node), dst)

    # -- leaves -------------------------------------------------------------------
    def c_IntegerLit(self, node: ast.IntegerLit) -> pl.Expr:
        return lit(node.value, INT64)

    def c_DecimalLit(self, node: ast.DecimalLit) -> pl.Expr:
        return lit(node.value, dec(node.scale))

    def c_StringLit(self, node: ast.StringLit) -> pl.Expr:
        return lit(node.value, PL_STRING)

    def c_BoolLit(self, node: ast.BoolLit) -> pl.Expr:
        return lit(node.value, PL_BOOLEAN)

    def c_NullLit(self, node: ast.NullLit) -> pl.Expr:
        return lit(None)

    def c_DateLit(self, node: ast.DateLit) -> pl.Expr:
        return lit(node.value, PL_DATE)

    def c_Column(self, node: ast.Column) -> pl.Expr:
        frame_column = node.frame_column or node.name
        expr = col(frame_column)
        if frame_column == "_row_id":  # expressions read the id as its UUID text (D5, D37)
            expr = row_id_text(expr)
        if node.dtype is not None and node.dtype.kind == "decimal" and node.dtype.precision != 38:
            expr = expr.cast(dec_target(node.dtype.scale or 0))  # widen: results are always precision 38
        # In an aggregation a group_by column outside an aggregate is one value per group.
        return expr.first() if self.aggregation and not self.in_aggregate else expr

    def c_Selector(self, node: ast.Selector) -> pl.Expr:
        return self.compile(node.body)

    def c_Invalid(self, node: ast.Invalid) -> pl.Expr:
        raise InternalError("cannot compile an expression that failed to check")

    # -- operators ----------------------------------------------------------------
    def c_Negate(self, node: ast.Negate) -> pl.Expr:
        t = _t(node)
        if t.kind == "integer":
            return checked_int(
                lit(0, INT128) - self.typed(node.operand, INTEGER).cast(INT128_TARGET)
            )  # Int128 has no neg
        if t.kind == "null":
            return lit(None)
        return -self.typed(node.operand, t)

    def c_Not(self, node: ast.Not) -> pl.Expr:
        return ~self.typed(node.operand, BOOLEAN)

    def c_Binary(self, node: ast.Binary) -> pl.Expr:
        if node.op in ast.LOGICAL:
            left, right = self.typed(node.left, BOOLEAN), self.typed(node.right, BOOLEAN)
            return left & right if node.op == "AND" else left | right
        if node.op in ast.COMPARISON:
            return self._compare(node)
        return self._arithmetic(node)

    def _compare(self, node: ast.Binary) -> pl.Expr:
        common = common_type(_t(node.left), _t(node.right))
        if common is None or common.kind == "null":
            return lit(None, PL_BOOLEAN)  # x = NULL is always NULL (§7.3)
        if common.kind == "decimal":
            common = decimal(max(scale_of(_t(node.left)), scale_of(_t(node.right))))
        left, right = self.typed(node.left, common), self.typed(node.right, common)
        return _COMPARE[node.op](left, right)

    def _arithmetic(self, node: ast.Binary) -> pl.Expr:
        result, op = _t(node), node.op
        lt, rt = _t(node.left), _t(node.right)
        if result.kind == "null":
            return lit(None)
        if result.is_temporal:
            temporal, days = (node.left, node.right) if lt.is_temporal else (node.right, node.left)
            n = self.typed(days, INTEGER)
            return self.typed(temporal, result) + pl.duration(days=-n if op == "-" else n)
        if result.kind == "integer":
            left = self.typed(node.left, INTEGER).cast(INT128_TARGET)
            right = self.typed(node.right, INTEGER).cast(INT128_TARGET)
            value = left + right if op == "+" else left - right if op == "-" else left * right
            return checked_int(value)
        sa, sb = scale_of(lt), scale_of(rt)
        if op == "*":
            # Polars gives a*b the scale max(sa, sb): widen the left operand to the target scale (§12.1).
            left = self.typed(node.left, decimal(result.scale or 0))
            right = self.typed(node.right, decimal(sb))
            product = left * right
            return product.cast(dec_target(result.scale or 0)) if sb > (result.scale or 0) else product
        if op == "/":
            left = self.typed(node.left, decimal(result.scale or 0))
            right = self.typed(node.right, decimal(sb))
            quotient = left / pl.when(right != 0).then(right)
            return quotient.cast(dec_target(result.scale or 0)) if sb > (result.scale or 0) else quotient
        left, right = self.typed(node.left, decimal(sa)), self.typed(node.right, decimal(sb))
        return left + right if op == "+" else left - right  # Polars: scale max(sa, sb), as §5 says

    # -- calls --------------------------------------------------------------------
    def c_Call(self, node: ast.Call) -> pl.Expr:
        """The function's own compiler (functions/), which sees this compiler only as a
        ``CompileContext``: it compiles the arguments through ``compile``/``typed``."""
        spec = FUNCTIONS.get(node.name)
        if spec is None:
            raise InternalError(f"no compiler for function {node.name}")
        if not spec.aggregate:
            return spec.compile(self, node)
        outer, self.in_aggregate = self.in_aggregate, True
        try:
            return spec.compile(self, node)
        finally:
            self.in_aggregate = outer


_COMPARE: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

# Dispatch by node class: one dict lookup per node instead of getattr by name.
_COMPILERS: dict[type[ast.Node], Callable[[Compiler, ast.Node], pl.Expr]] = {
    cls: getattr(Compiler, f"c_{cls.__name__}") for cls in ast.NODE_TYPES if hasattr(Compiler, f"c_{cls.__name__}")
}


def _t(node: ast.Node) -> DslType:
    assert node.dtype is not None, "compile needs a type-checked tree"
    return node.dtype
