"""The expression AST: frozen dataclasses, the only thing the pipeline stages pass on.

Every node carries its source :class:`Span`. Spans, and the annotations the
resolver and the checker add (``dtype``, a column's ``frame_column``), are
excluded from equality, so a re-parsed pretty-print equals the original.
Stages never mutate a node: they return copies via ``dataclasses.replace``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Iterator, TypeVar

from dobo_engine.dsl.types import DslType


@dataclass(frozen=True, slots=True)
class Span:
    """1-based line/column of the first character; end is exclusive; offsets 0-based."""

    line: int = 1
    column: int = 1
    end_line: int = 1
    end_column: int = 1
    start: int = 0
    end: int = 0


NO_SPAN = Span()
N = TypeVar("N", bound="Node")


@dataclass(frozen=True, slots=True)
class Node:
    span: Span = field(default=NO_SPAN, compare=False, kw_only=True, repr=False)
    dtype: DslType | None = field(default=None, compare=False, kw_only=True, repr=False)

    def children(self) -> tuple[Node, ...]:
        return ()

    def walk(self) -> Iterator[Node]:
        """This node and every descendant, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class IntegerLit(Node):
    value: int


@dataclass(frozen=True, slots=True)
class DecimalLit(Node):
    value: Decimal
    scale: int  # compared too: 1.50 and 1.5 are different literals (scale 2 vs 1)


@dataclass(frozen=True, slots=True)
class StringLit(Node):
    value: str


@dataclass(frozen=True, slots=True)
class BoolLit(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class NullLit(Node):
    pass


@dataclass(frozen=True, slots=True)
class DateLit(Node):
    """``DATE("YYYY-MM-DD")``, validated by the parser."""

    value: date


@dataclass(frozen=True, slots=True)
class Column(Node):
    name: str
    qualifier: str | None = None
    # Set by name resolution: the frame column the engine put this name in.
    frame_column: str | None = field(default=None, compare=False, repr=False)

    @property
    def reference(self) -> str:
        return f"{self.qualifier}.{self.name}" if self.qualifier else self.name


@dataclass(frozen=True, slots=True)
class SelectorRef(Node):
    """``{{NAME}}`` before substitution."""

    name: str


@dataclass(frozen=True, slots=True)
class Selector(Node):
    """A substituted named selector: ``body`` behaves as ``( body )`` (PRJ-3).

    ``source`` and ``path`` are the selector's own text and path, so errors
    inside the body point into the selector; ``span`` is the use site.
    """

    name: str
    body: Node
    source: str = field(default="", compare=False, repr=False)
    path: str | None = field(default=None, compare=False, repr=False)

    def children(self) -> tuple[Node, ...]:
        return (self.body,)


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


ARITHMETIC = ("+", "-", "*", "/")
COMPARISON = ("=", "<>", "<", "<=", ">", ">=")
LOGICAL = ("AND", "OR")


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """Arithmetic, comparison or logical operator; ``op`` is one of the tuples above."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A function call; ``name`` is upper-cased (function names are case-insensitive)."""

    name: str
    args: tuple[Node, ...] = ()

    def children(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True, slots=True)
class Invalid(Node):
    """Stands in for a part that already failed (e.g. an unresolvable ``{{NAME}}``);
    its type is unknown, so it causes no further errors (V-3)."""

    reason: str = ""


_FIELDS: dict[type, tuple[str, ...]] = {}


def evolve(node: N, **changes: object) -> N:
    """``dataclasses.replace`` without re-running ``__init__``: the stages copy many
    nodes, and this keeps parse + check + compile of a 200-node expression fast."""
    cls = type(node)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))
    new = object.__new__(cls)
    for name in names:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(node, name))
    return new


def with_children(node: Node, children: tuple[Node, ...]) -> Node:
    """A copy of ``node`` with new children, in the order ``children()`` lists them."""
    replace = evolve
    if isinstance(node, (Negate, Not)):
        return replace(node, operand=children[0])
    if isinstance(node, Binary):
        return replace(node, left=children[0], right=children[1])
    if isinstance(node, Call):
        return replace(node, args=children)
    if isinstance(node, Selector):
        return replace(node, body=children[0])
    return node
