"""One DSL function as data (dsl.md §8-§9): arity, typing rule, Polars compiler and docs.

A :class:`FunctionSpec` is the only place a function is declared. The type
checker reads ``min_args``/``max_args``, ``aggregate`` and ``infer``; the
compiler calls ``compile``; ``dobo parse --help`` and docs/dsl-functions.md
are generated from the documentation fields.

Typing rules get the typed argument nodes and a ``need`` callback that reports
a TypeMismatch for one argument; they return the result type (unknown when an
argument already failed, so errors do not cascade, V-3). Compilers get a
:class:`CompileContext` (the compiler, seen only through this protocol, so the
function modules never import it) and the typed call node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import polars as pl

from dobo_engine.dsl import ast
from dobo_engine.dsl.types import UNKNOWN, DslType, common_type

# need(arg_index, ok, expected_description) -> ok: reports a mismatch when not ok.
Need = Callable[[int, bool, str], bool]
TypeRule = Callable[[Sequence[ast.Node], Need], DslType]


class CompileContext(Protocol):
    """What a function compiler may ask of the compiler."""

    @property
    def today(self) -> date | None:
        """The Run date for ``TODAY()`` (None: not known here)."""

    @property
    def labels_column(self) -> str | None:
        """The frame column holding the row labels for ``LABEL()`` (None: no labels)."""

    def compile(self, node: ast.Node) -> pl.Expr:
        """The Polars expression of a typed argument, in its own type."""

    def typed(self, node: ast.Node, dst: DslType) -> pl.Expr:
        """The Polars expression of a typed argument converted to ``dst`` (§5)."""


CallCompiler = Callable[[CompileContext, ast.Call], pl.Expr]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A DSL function: how it is called, typed, compiled and documented."""

    name: str
    min_args: int
    max_args: int | None  # None: unbounded
    infer: TypeRule
    compile: CallCompiler
    signature: str  # as written in dsl.md §8, e.g. "LEFT(s, n)"
    types: str  # "arguments → result", e.g. "string, integer → string"
    summary: str  # one line: what it computes
    example: str  # an expression over literals (or the sample rows, for aggregates)
    example_result: str  # its value, as docs/dsl-functions.md prints it
    nulls: str = ""  # NULL and edge behaviour beyond "NULL in, NULL out" (§7.1)
    aggregate: bool = False
    result: DslType | None = None  # the result type when it never depends on the arguments

    @property
    def arity(self) -> str:
        if self.max_args is None:
            return f"≥{self.min_args}"
        if self.max_args == self.min_args:
            return str(self.min_args)
        return f"{self.min_args}-{self.max_args}"

    def accepts(self, count: int) -> bool:
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)


# -- helpers shared by the typing rules ----------------------------------------------


def arg_type(node: ast.Node) -> DslType:
    """The checked type of an argument (unknown when it has none)."""
    return node.dtype or UNKNOWN


def need_all(args: Sequence[ast.Node], need: Need, test: Callable[[DslType], bool], what: str) -> bool:
    """Require ``test`` of every argument that is not null/unknown; report each failure."""
    ok = True
    for i, arg in enumerate(args):
        t = arg_type(arg)
        ok = need(i, t.is_vague or test(t), what) and ok
    return ok


def common_of(args: Sequence[ast.Node], need: Need, offset: int = 0, orderable: bool = False) -> DslType:
    """The common type of the arguments (§5); the first incompatible one is reported."""
    types = [arg_type(a) for a in args]
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


def fixed(result: DslType) -> TypeRule:
    """A rule for a function whose result type never depends on its arguments."""

    def rule(args: Sequence[ast.Node], need: Need) -> DslType:
        return result

    return rule


# -- helpers shared by the compilers ----------------------------------------------------


def compiled_type(node: ast.Node) -> DslType:
    """The type of a node of a checked tree (compilers only see checked trees)."""
    assert node.dtype is not None, "compile needs a type-checked tree"
    return node.dtype
