"""What names mean at one place in a Project (dsl.md §3, D5-D7).

The engine decides in which frame column each name lives (a lookup column
may be ``accounts.type`` in the joined frame); the compiler only ever emits
``pl.col(binding.frame_column)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from dobo_engine.dsl.types import DATE, STRING, DslType

# Where an expression sits; only "aggregation" admits aggregates (§9).
CONTEXTS = ("selector", "assignment", "join_on", "source_selector", "aggregation", "resolver_when", "parse")

# Readable system columns of the working dataset (D5); `_deleted`, `_labels`
# and lineage columns are deliberately absent.
SYSTEM_COLUMNS: dict[str, DslType] = {
    "_row_id": STRING,
    "_period": STRING,
    "_period_from": DATE,
    "_period_to": DATE,
    "_created_at": DslType("timestamp"),
    "_updated_at": DslType("timestamp"),
}

LABELS_COLUMN = "_labels"


@dataclass(frozen=True, slots=True)
class ColumnBinding:
    frame_column: str
    dtype: DslType


@dataclass(frozen=True, slots=True)
class ColumnDef:
    """A column definition as Datasets declare it (name, type name, precision, scale)."""

    name: str
    type: str
    precision: int | None = None
    scale: int | None = None

    def binding(self, frame_column: str | None = None) -> ColumnBinding:
        return ColumnBinding(frame_column or self.name, DslType.from_column(self.type, self.precision, self.scale))


@dataclass(frozen=True)
class Scope:
    """Names visible to one expression.

    ``columns``: bare names. ``qualifiers``: qualifier → its columns; the main
    table's logical name is a qualifier meaning the same as the bare names.
    ``context`` says where the expression sits (aggregates only in
    ``"aggregation"``, whose ``group_by`` lists the bare group columns).
    ``today`` is the Run clock's date for ``TODAY()`` (D10). ``labels_column``
    is the frame column holding labels for ``LABEL()`` (None: no labels here).
    ``forbidden_functions`` are rejected with FunctionNotAllowed (D31).
    """

    columns: Mapping[str, ColumnBinding] = field(default_factory=dict)
    qualifiers: Mapping[str, Mapping[str, ColumnBinding]] = field(default_factory=dict)
    context: str = "selector"
    group_by: frozenset[str] = frozenset()
    today: date | None = None
    labels_column: str | None = LABELS_COLUMN
    forbidden_functions: frozenset[str] = frozenset()

    @property
    def aggregates_allowed(self) -> bool:
        return self.context == "aggregation"

    def in_scope(self) -> dict[str, object]:
        """The names in scope, as error payloads list them."""
        return {
            "columns": sorted(self.columns),
            "qualifiers": {q: sorted(cols) for q, cols in sorted(self.qualifiers.items())},
        }

    def all_references(self) -> list[str]:
        refs = list(self.columns)
        for q, cols in self.qualifiers.items():
            refs.extend(f"{q}.{c}" for c in cols)
        return refs

    def with_context(self, context: str, *, group_by: Iterable[str] = ()) -> Scope:
        return replace(self, context=context, group_by=frozenset(group_by))


def bindings(columns: Iterable[ColumnDef | tuple[str, str]], *, prefix: str | None = None) -> dict[str, ColumnBinding]:
    """Bindings for column definitions; ``prefix`` names frame columns ``prefix.name``."""
    out: dict[str, ColumnBinding] = {}
    for col in columns:
        cdef = col if isinstance(col, ColumnDef) else ColumnDef(col[0], col[1])
        out[cdef.name] = cdef.binding(f"{prefix}.{cdef.name}" if prefix else None)
    return out


def build_scope(
    columns: Iterable[ColumnDef | tuple[str, str]],
    *,
    main_name: str | None = None,
    lookups: Mapping[str, Iterable[ColumnDef | tuple[str, str]]] | None = None,
    system_columns: bool = True,
    context: str = "selector",
    group_by: Iterable[str] = (),
    today: date | None = None,
) -> Scope:
    """A Scope from column definitions: bare columns (plus the readable system
    columns), the main table as a qualifier, and each lookup/alias as a
    qualifier whose frame columns are named ``alias.column``."""
    bare = bindings(columns)
    if system_columns:
        for name, dtype in SYSTEM_COLUMNS.items():
            bare.setdefault(name, ColumnBinding(name, dtype))
    qualifiers: dict[str, Mapping[str, ColumnBinding]] = {}
    if main_name:
        qualifiers[main_name] = bare
    for alias, cols in (lookups or {}).items():
        qualifiers[alias] = bindings(cols, prefix=alias)
    return Scope(bare, qualifiers, context, frozenset(group_by), today)


# Resolver `when` (RES-2, D31): only these names, no TODAY/LABEL/aggregates.
WHEN_VARIABLES: dict[str, dict[str, DslType]] = {
    "period": {"identifier": STRING, "level": STRING, "start_date": DATE, "end_date": DATE},
    "table": {"name": STRING},
}


def resolver_when_scope() -> Scope:
    """The scope of a Resolver rule's ``when``; frame columns are ``period.identifier`` etc."""
    qualifiers = {
        q: {name: ColumnBinding(f"{q}.{name}", t) for name, t in cols.items()} for q, cols in WHEN_VARIABLES.items()
    }
    return Scope(
        {},
        qualifiers,
        context="resolver_when",
        labels_column=None,
        forbidden_functions=frozenset({"TODAY", "LABEL"}),
    )
