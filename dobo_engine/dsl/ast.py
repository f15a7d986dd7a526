"""The expression AST: frozen dataclasses, the only thing the pipeline stages pass on.

Every node carries its source :class:`Span`. Spans, and the annotations the
checker adds (``dtype``, a column's ``frame_column`` from name binding), are
excluded from equality, so a re-parsed pretty-print equals the original.
Stages never mutate a node: they return copies via ``node.evolve(...)``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import MISSING, dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, Self, TypeVar, cast

from dobo_engine.dsl.types import DslType


class Span(NamedTuple):
    """1-based line/column of the first character; end is exclusive; offsets 0-based.

    A named tuple rather than a dataclass: the parser makes one per token and
    per operator, and a tuple is several times cheaper to build."""

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

    def evolve(self, **changes: object) -> Self:
        """A copy with some fields changed: ``dataclasses.replace`` without re-running
        ``__init__``. The classes in NODE_TYPES replace this by a generated version
        (``_make_evolve``): the checker copies every node, so copying must be cheap."""
        evolve = _EVOLVERS.get(type(self)) or _make_evolve(type(self))
        return cast(Self, evolve(self, **changes))  # an evolver copies the class it was made for


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


# Every concrete node class, for dispatch tables keyed by ``type(node)``
# (``Node.__subclasses__()`` also lists the pre-slots classes that
# ``dataclass(slots=True)`` replaced).
NODE_TYPES: tuple[type[Node], ...] = (
    IntegerLit,
    DecimalLit,
    StringLit,
    BoolLit,
    NullLit,
    DateLit,
    Column,
    SelectorRef,
    Selector,
    Negate,
    Not,
    Binary,
    Call,
    Invalid,
)

_EVOLVERS: dict[type, Callable[..., Node]] = {}
_KEEP = object()  # "field not given": keep the node's value


def evolve(node: N, **changes: object) -> N:
    """``node.evolve(**changes)``: a copy with some fields changed."""
    return node.evolve(**changes)


def _make_evolve(cls: type[Node]) -> Callable[..., Node]:
    """Write ``evolve(self, *, <field>=KEEP, ...)`` for one class, as dataclasses write
    ``__init__``. It sets each slot through its member descriptor: what
    ``object.__setattr__`` does (bypassing the frozen ``__setattr__``), without
    looking names up or looping over the fields on every copy."""
    names = [f.name for f in fields(cls)]
    env: dict[str, Any] = {"_cls": cls, "_new": object.__new__, "_KEEP": _KEEP}  # exec's namespace
    env.update({f"_set_{n}": inspect.getattr_static(cls, n).__set__ for n in names})
    params = ", ".join(f"{n}=_KEEP" for n in names)
    sets = "".join(f"    _set_{n}(_copy, _self.{n} if {n} is _KEEP else {n})\n" for n in names)
    source = f"def evolve(_self, *, {params}):\n    _copy = _new(_cls)\n{sets}    return _copy\n"
    exec(source, env)  # noqa: S102 - our own code from field names, as dataclasses do
    func: Callable[..., Node] = env["evolve"]
    func.__qualname__ = f"{cls.__name__}.evolve"
    _EVOLVERS[cls] = func
    return func


def _make_init(cls: type[Node]) -> Callable[..., None]:
    """The dataclass ``__init__`` of ``cls`` (same parameters and defaults), setting
    the slots through their descriptors like ``_make_evolve``: a frozen dataclass's
    own ``__init__`` calls ``object.__setattr__`` per field, which makes building
    the nodes the largest cost of parsing."""
    params: list[str] = []
    keyword: list[str] = []
    env: dict[str, Any] = {}  # exec's namespace
    for f in fields(cls):
        env[f"_set_{f.name}"] = inspect.getattr_static(cls, f.name).__set__
        env[f"_default_{f.name}"] = f.default
        param = f.name if f.default is MISSING else f"{f.name}=_default_{f.name}"
        (keyword if f.kw_only else params).append(param)
    signature = ", ".join(["self", *params, *(["*", *keyword] if keyword else [])])
    sets = "".join(f"    _set_{f.name}(self, {f.name})\n" for f in fields(cls))
    exec(f"def __init__({signature}):\n{sets}", env)  # noqa: S102 - our own code, as dataclasses do
    init: Callable[..., None] = env["__init__"]
    init.__qualname__ = f"{cls.__name__}.__init__"
    return init


# Node classes are final (nothing subclasses them), so each can carry its own
# evolve and __init__. They are installed with setattr: each generated function
# has the signature of the method it replaces, which mypy cannot see in exec'd code.
for _cls in NODE_TYPES:
    for _name, _method in (("evolve", _make_evolve(_cls)), ("__init__", _make_init(_cls))):
        setattr(_cls, _name, _method)
del _cls, _name, _method


def with_children(node: Node, children: tuple[Node, ...]) -> Node:
    """A copy of ``node`` with new children, in the order ``children()`` lists them."""
    if isinstance(node, (Negate, Not)):
        return node.evolve(operand=children[0])
    if isinstance(node, Binary):
        return node.evolve(left=children[0], right=children[1])
    if isinstance(node, Call):
        return node.evolve(args=children)
    if isinstance(node, Selector):
        return node.evolve(body=children[0])
    return node
