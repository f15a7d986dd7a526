"""The function catalogue (dsl.md §8) and each function's typing rule.

A rule gets the typed argument nodes and a ``need`` callback that reports a
TypeMismatch for one argument; it returns the result type (unknown when an
argument already failed, so errors do not cascade).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from dobo_engine.dsl import ast
from dobo_engine.dsl.types import (
    BOOLEAN,
    DATE,
    INTEGER,
    STRING,
    UNKNOWN,
    DslType,
    common_type,
    decimal,
    scale_of,
)


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    min_args: int
    max_args: int | None  # None: unbounded
    aggregate: bool = False

    @property
    def arity(self) -> str:
        if self.max_args is None:
            return f"≥{self.min_args}"
        if self.max_args == self.min_args:
            return str(self.min_args)
        return f"{self.min_args}-{self.max_args}"

    def accepts(self, count: int) -> bool:
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)


def _spec(name: str, lo: int, hi: int | None, aggregate: bool = False) -> FunctionSpec:
    return FunctionSpec(name, lo, hi, aggregate)


FUNCTIONS: dict[str, FunctionSpec] = {
    s.name: s
    for s in (
        _spec("IF", 3, 3), _spec("AND", 2, None), _spec("OR", 2, None), _spec("NOT", 1, 1),
        _spec("ISNULL", 1, 1), _spec("COALESCE", 2, None), _spec("ABS", 1, 1), _spec("ROUND", 2, 2),
        _spec("FLOOR", 1, 1), _spec("CEIL", 1, 1), _spec("MOD", 2, 2), _spec("MIN", 2, None),
        _spec("MAX", 2, None), _spec("CONCAT", 1, None), _spec("UPPER", 1, 1), _spec("LOWER", 1, 1),
        _spec("TRIM", 1, 1), _spec("LEFT", 2, 2), _spec("RIGHT", 2, 2), _spec("LEN", 1, 1),
        _spec("CONTAINS", 2, 2), _spec("REPLACE", 3, 3), _spec("DATE", 1, 1), _spec("TODAY", 0, 0),
        _spec("YEAR", 1, 1), _spec("MONTH", 1, 1), _spec("DAY", 1, 1), _spec("DATEDIFF", 2, 2),
        _spec("DATEADD", 2, 2), _spec("LABEL", 1, 1),
        _spec("SUM", 1, 1, True), _spec("COUNT", 1, 1, True), _spec("COUNT_ALL", 0, 0, True),
        _spec("AVG", 1, 1, True), _spec("MIN_AGG", 1, 1, True), _spec("MAX_AGG", 1, 1, True),
    )
}

# need(arg_index, ok, expected_description) -> bool: reports a mismatch when not ok.
Need = Callable[[int, bool, str], bool]
Rule = Callable[[Sequence[ast.Node], Need], DslType]


def _t(node: ast.Node) -> DslType:
    return node.dtype or UNKNOWN


def _all(args: Sequence[ast.Node], need: Need, test: Callable[[DslType], bool], what: str) -> bool:
    ok = True
    for i, arg in enumerate(args):
        t = _t(arg)
        ok = need(i, t.is_vague or test(t), what) and ok
    return ok


def _vague(args: Sequence[ast.Node]) -> bool:
    return any(_t(a).kind == "unknown" for a in args)


def _boolean(args: Sequence[ast.Node], need: Need) -> DslType:
    _all(args, need, lambda t: t.kind == "boolean", "boolean")
    return BOOLEAN


def _if(args: Sequence[ast.Node], need: Need) -> DslType:
    need(0, _t(args[0]).is_vague or _t(args[0]).kind == "boolean", "boolean")
    return _common(args[1:], need, offset=1)


def _common(args: Sequence[ast.Node], need: Need, offset: int = 0, orderable: bool = False) -> DslType:
    types = [_t(a) for a in args]
    common = common_type(*types)
    if common is None:
        first = next(t for t in types if not t.is_vague)
        for i, t in enumerate(types):
            if not t.is_vague and common_type(first, t) is None:
                need(i + offset, False, f"a type compatible with {first}")
                break
        return UNKNOWN
    if orderable and not common.is_vague and not common.is_orderable:
        need(offset, False, "an orderable type (number, string, date or timestamp)")
        return UNKNOWN
    return common


def _numeric_same(args: Sequence[ast.Node], need: Need) -> DslType:
    t = _t(args[0])
    if not need(0, t.is_vague or t.is_numeric, "integer or decimal"):
        return UNKNOWN
    return decimal(t.scale or 0) if t.kind == "decimal" else (INTEGER if t.kind == "null" else t)


def _round(args: Sequence[ast.Node], need: Need) -> DslType:
    t = _t(args[0])
    n = args[1]
    ok_n = isinstance(n, ast.IntegerLit) and 0 <= n.value <= 18
    need(1, ok_n, "an integer literal 0-18")
    if not need(0, t.is_vague or t.is_numeric, "integer or decimal"):
        return UNKNOWN
    if t.kind == "decimal" and isinstance(n, ast.IntegerLit):
        return decimal(min(scale_of(t), n.value))
    return UNKNOWN if t.kind == "unknown" else (t if t.kind == "decimal" else INTEGER)


def _floor(args: Sequence[ast.Node], need: Need) -> DslType:
    t = _t(args[0])
    need(0, t.is_vague or t.is_numeric, "integer or decimal")
    return INTEGER


def _mod(args: Sequence[ast.Node], need: Need) -> DslType:
    if not _all(args, need, lambda t: t.is_numeric, "integer or decimal") or _vague(args):
        return UNKNOWN
    types = [_t(a) for a in args]
    if all(t.kind in ("integer", "null") for t in types):
        return INTEGER
    return decimal(max(scale_of(t) for t in types))


def _concat(args: Sequence[ast.Node], need: Need) -> DslType:
    _all(args, need, lambda t: t.kind in ("string", "integer", "date"), "string, integer or date")
    return STRING


def _strings(count: int, result: DslType) -> Rule:
    def rule(args: Sequence[ast.Node], need: Need) -> DslType:
        _all(args[:count], need, lambda t: t.kind == "string", "string")
        return result

    return rule


def _left(args: Sequence[ast.Node], need: Need) -> DslType:
    need(0, _t(args[0]).is_vague or _t(args[0]).kind == "string", "string")
    need(1, _t(args[1]).is_vague or _t(args[1]).kind == "integer", "integer")
    return STRING


def _date_part(args: Sequence[ast.Node], need: Need) -> DslType:
    need(0, _t(args[0]).is_vague or _t(args[0]).is_temporal, "date or timestamp")
    return INTEGER


def _datediff(args: Sequence[ast.Node], need: Need) -> DslType:
    _all(args, need, lambda t: t.is_temporal, "date or timestamp")
    return INTEGER


def _dateadd(args: Sequence[ast.Node], need: Need) -> DslType:
    t = _t(args[0])
    ok = need(0, t.is_vague or t.is_temporal, "date or timestamp")
    need(1, _t(args[1]).is_vague or _t(args[1]).kind == "integer", "integer")
    return t if ok and t.is_temporal else (DATE if t.kind == "null" else UNKNOWN)


def _label(args: Sequence[ast.Node], need: Need) -> DslType:
    need(0, isinstance(args[0], ast.StringLit), "a string literal (the label key)")
    return STRING


def _sum(args: Sequence[ast.Node], need: Need) -> DslType:
    return _numeric_same(args, need)


def _avg(args: Sequence[ast.Node], need: Need) -> DslType:
    t = _t(args[0])
    if not need(0, t.is_vague or t.is_numeric, "integer or decimal"):
        return UNKNOWN
    return UNKNOWN if t.kind == "unknown" else decimal(max(scale_of(t), 6))


def _min_agg(args: Sequence[ast.Node], need: Need) -> DslType:
    t = _t(args[0])
    if not need(0, t.is_vague or t.is_orderable, "an orderable type (number, string, date or timestamp)"):
        return UNKNOWN
    return t


RULES: dict[str, Rule] = {
    "IF": _if,
    "AND": _boolean,
    "OR": _boolean,
    "NOT": _boolean,
    "ISNULL": lambda args, need: BOOLEAN,
    "COALESCE": lambda args, need: _common(args, need),
    "ABS": _numeric_same,
    "ROUND": _round,
    "FLOOR": _floor,
    "CEIL": _floor,
    "MOD": _mod,
    "MIN": lambda args, need: _common(args, need, orderable=True),
    "MAX": lambda args, need: _common(args, need, orderable=True),
    "CONCAT": _concat,
    "UPPER": _strings(1, STRING),
    "LOWER": _strings(1, STRING),
    "TRIM": _strings(1, STRING),
    "LEFT": _left,
    "RIGHT": _left,
    "LEN": _strings(1, INTEGER),
    "CONTAINS": _strings(2, BOOLEAN),
    "REPLACE": _strings(3, STRING),
    "TODAY": lambda args, need: DATE,
    "YEAR": _date_part,
    "MONTH": _date_part,
    "DAY": _date_part,
    "DATEDIFF": _datediff,
    "DATEADD": _dateadd,
    "LABEL": _label,
    "SUM": _sum,
    "COUNT": lambda args, need: INTEGER,
    "COUNT_ALL": lambda args, need: INTEGER,
    "AVG": _avg,
    "MIN_AGG": _min_agg,
    "MAX_AGG": _min_agg,
}
