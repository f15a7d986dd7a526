"""Operations of a Project: the D3 envelope and per-type parameters (operations.md).

Each operation also answers what it touches, so no caller has to know the
shape of every type: :meth:`~_Operation.datasets_read` (Datasets loaded
besides the working frame), :meth:`~_Operation.expressions` (every
expression with its YAML path and the scope it is evaluated in),
:meth:`~_Operation.columns_assigned` and :meth:`~_Operation.columns_named`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Discriminator, Field, StrictBool, StrictInt, Tag, model_validator

from dobo_engine.model.common import (
    LABEL_KEY_RE,
    MAX_ORDER,
    ColumnRef,
    DoboModel,
    EntityId,
    Expression,
    Issue,
    Version,
    check_identifier,
    fail,
    identifier_check,
    positive,
    repeated,
    sql_identifier_check,
)
from dobo_engine.model.resolver import TEMPLATE_TOKENS, template_check

OperationType = Literal["update", "delete", "aggregate", "append", "output"]
OPERATION_TYPES: tuple[str, ...] = ("update", "delete", "aggregate", "append", "output")

Path = tuple[str | int, ...]  # a YAML path below one operation, e.g. ("parameters", "joins", 0, "on")
ExpressionScope = Literal["working", "source"]


@dataclass(frozen=True)
class ExpressionAt:
    """One expression of an operation: where it is written and which rows it reads.

    ``working``: the working frame, its lookups and the operation's RuntimeJoin
    aliases; ``source``: an append source Dataset (OP-APP-2, OP-APP-5, OP-APP-7).
    """

    path: Path
    text: str
    scope: ExpressionScope = "working"


@dataclass(frozen=True)
class DatasetRead:
    """A Dataset an operation loads besides the working frame (OP-JOIN-1, OP-APP-1).

    ``path`` leads to the mapping holding ``dataset_id``/``dataset_version``;
    ``alias`` is the RuntimeJoin alias (None for an append source);
    ``with_lookups``: the Dataset is loaded with its lookups (an append source
    is; a RuntimeJoin reads the main table only).
    """

    dataset_id: str
    dataset_version: int | None
    path: Path
    rule: str
    alias: str | None = None
    with_lookups: bool = False

    @property
    def role(self) -> str:
        """How the operation uses the Dataset, for messages: ``join 'fx'`` or ``append source``."""
        return f"join {self.alias!r}" if self.alias is not None else "append source"


def _check_target(value: str) -> str:
    """OP-UPD-3: a bare non-`_` identifier or `_labels.<key>`."""
    if value.startswith("_labels."):
        if not LABEL_KEY_RE.fullmatch(value[len("_labels.") :]):
            raise fail("ReservedColumn", "OP-UPD-3", f"{value!r}: a label key must match [A-Za-z0-9_.-]+")
        return value
    if "." in value:
        raise fail("ReservedColumn", "OP-UPD-3", f"{value!r}: assignment targets are not qualified (D7)")
    return check_identifier(value, "OP-UPD-3", "ReservedColumn")


UpdateTarget = Annotated[str, AfterValidator(_check_target)]


class Assignment(DoboModel):
    RULE: ClassVar[str] = "OP-UPD-3"

    column: UpdateTarget
    expression: Expression


class AggregationColumn(DoboModel):
    RULE: ClassVar[str] = "OP-AGG-6"

    column: Annotated[str, identifier_check("OP-AGG-6", "ReservedColumn")]
    expression: Expression


class RuntimeJoin(DoboModel):
    RULE: ClassVar[str] = "OP-JOIN-1"

    alias: Annotated[str, identifier_check("OP-JOIN-1")]
    dataset_id: EntityId
    dataset_version: Version | None = None
    on: Expression


class UpdateParameters(DoboModel):
    RULE: ClassVar[str] = "OP-UPD-2"

    joins: list[RuntimeJoin] = []
    assignments: list[Assignment]

    def expressions(self) -> list[ExpressionAt]:
        joins = [ExpressionAt(("joins", i, "on"), j.on) for i, j in enumerate(self.joins)]
        return joins + [
            ExpressionAt(("assignments", i, "expression"), a.expression) for i, a in enumerate(self.assignments)
        ]

    def issues(self, path: tuple[str | int, ...]) -> list[Issue]:
        issues: list[Issue] = []
        if not self.assignments:
            issues.append(
                Issue((*path, "assignments"), "InvalidField", "VAL-012", "an update needs at least one assignment")
            )
        for i, column in repeated([a.column for a in self.assignments]):
            issues.append(
                Issue(
                    (*path, "assignments", i, "column"),
                    "DuplicateName",
                    "OP-UPD-2",
                    f"target {column!r} is assigned twice",
                )
            )
        for i, alias in repeated([j.alias for j in self.joins]):
            issues.append(
                Issue((*path, "joins", i, "alias"), "DuplicateName", "OP-JOIN-1", f"duplicate join alias {alias!r}")
            )
        return issues


class DeleteParameters(DoboModel):
    """OP-DEL-1: `parameters` is absent or `{}`."""

    RULE: ClassVar[str] = "OP-DEL-1"

    @classmethod
    def unknown_key(cls, key: str) -> tuple[str, str, str]:
        return "UnknownKey", "OP-DEL-1", f"unknown key {key!r}: delete takes no parameters"

    def issues(self, path: tuple[str | int, ...]) -> list[Issue]:
        return []


class Aggregation(DoboModel):
    """group_by plus aggregations: the body of `aggregate` and of append's `aggregation`."""

    RULE: ClassVar[str] = "OP-AGG-6"
    FIELD_RULES: ClassVar[dict[str, str]] = {"group_by": "OP-AGG-2"}

    group_by: list[ColumnRef]
    aggregations: list[AggregationColumn]

    def expressions(self, scope: ExpressionScope = "working") -> list[ExpressionAt]:
        return [
            ExpressionAt(("aggregations", i, "expression"), a.expression, scope)
            for i, a in enumerate(self.aggregations)
        ]

    def issues(self, path: tuple[str | int, ...]) -> list[Issue]:
        issues: list[Issue] = []
        if not self.aggregations:
            issues.append(
                Issue((*path, "aggregations"), "InvalidField", "VAL-012", "at least one aggregation is required")
            )
        for i, column in repeated([a.column for a in self.aggregations]):
            issues.append(
                Issue(
                    (*path, "aggregations", i, "column"),
                    "DuplicateName",
                    "OP-AGG-6",
                    f"aggregation column {column!r} appears twice",
                )
            )
        grouped = {g.rpartition(".")[2] for g in self.group_by}
        for i, agg in enumerate(self.aggregations):
            if agg.column in grouped:
                issues.append(
                    Issue(
                        (*path, "aggregations", i, "column"),
                        "DuplicateName",
                        "OP-AGG-6",
                        f"aggregation column {agg.column!r} is also a group_by column",
                    )
                )
        return issues


class AggregateParameters(Aggregation):
    pass


class AppendSource(DoboModel):
    RULE: ClassVar[str] = "OP-APP-1"

    dataset_id: EntityId
    dataset_version: Version | None = None


class AppendParameters(DoboModel):
    RULE: ClassVar[str] = "OP-APP-1"
    FIELD_RULES: ClassVar[dict[str, str]] = {"source_selector": "OP-APP-2", "columns": "OP-APP-7"}

    source: AppendSource
    source_selector: Expression | None = None
    aggregation: Aggregation | None = None
    columns: dict[Annotated[str, identifier_check("OP-APP-7")], Expression] | None = None

    def expressions(self) -> list[ExpressionAt]:
        """All of them read the append source, not the working frame."""
        found = [ExpressionAt(("source_selector",), self.source_selector, "source")] if self.source_selector else []
        if self.aggregation:
            found += [
                ExpressionAt(("aggregation", *e.path), e.text, "source") for e in self.aggregation.expressions("source")
            ]
        return found + [ExpressionAt(("columns", name), text, "source") for name, text in (self.columns or {}).items()]

    def issues(self, path: tuple[str | int, ...]) -> list[Issue]:
        return self.aggregation.issues((*path, "aggregation")) if self.aggregation else []


OutputTemplate = Annotated[str, template_check(tuple(t for t in TEMPLATE_TOKENS if t != "table_name"))]

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message='Field name "schema"')

    class OutputDestination(DoboModel):
        RULE: ClassVar[str] = "OP-OUT-1"

        datasource_id: EntityId
        table: Annotated[OutputTemplate, sql_identifier_check("OP-OUT-1", "table name", template=True)] | None = None
        path: OutputTemplate | None = None
        schema: Annotated[str, sql_identifier_check("OP-OUT-1", "schema name")] | None = None  # type: ignore[assignment]  # field `schema` shadows BaseModel.schema()

        @model_validator(mode="after")
        def _one_target(self) -> OutputDestination:
            if (self.table is None) == (self.path is None):
                raise fail(
                    "InvalidField", "OP-OUT-1", "a DataSource destination needs exactly one of `table` or `path`"
                )
            if self.schema is not None and self.table is None:
                raise fail("InvalidField", "OP-OUT-1", "`schema` goes with `table` only", "schema")
            return self


def _destination_kind(value: Any) -> str:
    return "default" if isinstance(value, str) else "datasource"


Destination = Annotated[
    Annotated[Literal["default"], Tag("default")] | Annotated[OutputDestination, Tag("datasource")],
    Discriminator(_destination_kind),
]
OutputMode = Literal["overwrite", "append"]


class OutputParameters(DoboModel):
    RULE: ClassVar[str] = "OP-OUT-1"
    FIELD_RULES: ClassVar[dict[str, str]] = {
        "columns": "OP-OUT-3",
        "include_deleted": "OP-OUT-2",
        "mode": "OP-OUT-4",
        "register_as_dataset": "OP-OUT-6",
    }

    destination: Destination
    columns: list[ColumnRef] | None = None
    include_deleted: StrictBool = False
    mode: OutputMode = "overwrite"
    register_as_dataset: EntityId | None = None

    def issues(self, path: tuple[str | int, ...]) -> list[Issue]:
        return [
            Issue((*path, "columns", i), "InvalidField", "OP-OUT-3", f"column {name!r} is listed twice")
            for i, name in repeated(self.columns or [])
        ]


Order = Annotated[StrictInt, positive("OP-GEN-1", MAX_ORDER)]


class _Operation(DoboModel):
    """The D3 envelope; subclasses fix `type` and `parameters`."""

    RULE: ClassVar[str] = "D3"
    FIELD_RULES: ClassVar[dict[str, str]] = {"order": "OP-GEN-1", "type": "VAL-012", "selector": "OP-SEL-1"}

    order: Order
    name: str | None = None

    @classmethod
    def unknown_key(cls, key: str) -> tuple[str, str, str]:
        return (
            "UnknownKey",
            "PRJ-2",
            f"unknown key {key!r} (an operation has only order, name, type, selector, parameters)",
        )

    if TYPE_CHECKING:
        # Each subclass declares its own; not a pydantic field here, so the field order stays D3's.
        parameters: OperationParameters

        @property
        def selector(self) -> str | None: ...

    def issues(self, path: tuple[str | int, ...]) -> list[Issue]:
        return self.parameters.issues((*path, "parameters"))

    def datasets_read(self) -> list[DatasetRead]:
        """Datasets this operation loads besides the working frame, in YAML order."""
        return []

    def expressions(self, scope: ExpressionScope | None = None) -> list[ExpressionAt]:
        """Every expression (selector, then parameters in YAML order), paths from the operation;
        only those of ``scope`` when given."""
        found = [ExpressionAt(("selector",), self.selector)] if self.selector else []
        found += [ExpressionAt(("parameters", *e.path), e.text, e.scope) for e in self._parameter_expressions()]
        return [e for e in found if scope is None or e.scope == scope]

    def _parameter_expressions(self) -> list[ExpressionAt]:
        return []

    def columns_assigned(self) -> list[str]:
        """Working columns this operation gives values to, row by row (as written: ``_labels.k`` too)."""
        return []

    def columns_named(self) -> list[str]:
        """Working columns named as plain lists rather than in expressions (as written, maybe ``alias.column``)."""
        return []


class _SelectingOperation(_Operation):
    selector: Expression | None = None


class UpdateOperation(_SelectingOperation):
    type: Literal["update"]
    parameters: UpdateParameters

    def datasets_read(self) -> list[DatasetRead]:
        return [
            DatasetRead(j.dataset_id, j.dataset_version, ("parameters", "joins", i), "OP-JOIN-1", alias=j.alias)
            for i, j in enumerate(self.parameters.joins)
        ]

    def _parameter_expressions(self) -> list[ExpressionAt]:
        return self.parameters.expressions()

    def columns_assigned(self) -> list[str]:
        return [a.column for a in self.parameters.assignments]


class DeleteOperation(_SelectingOperation):
    type: Literal["delete"]
    parameters: DeleteParameters = DeleteParameters()

    @model_validator(mode="before")
    @classmethod
    def _absent_parameters(cls, data: Any) -> Any:
        if isinstance(data, dict) and "parameters" in data and data["parameters"] is None:
            return {k: v for k, v in data.items() if k != "parameters"}
        return data


class AggregateOperation(_SelectingOperation):
    """Replaces the working frame with one row per group; it assigns no working column."""

    type: Literal["aggregate"]
    parameters: AggregateParameters

    def _parameter_expressions(self) -> list[ExpressionAt]:
        return self.parameters.expressions()

    def columns_named(self) -> list[str]:
        return list(self.parameters.group_by)


class AppendOperation(_Operation):
    type: Literal["append"]
    parameters: AppendParameters

    @property
    def selector(self) -> None:
        """append takes no selector (OP-SEL-2); present for uniform access."""
        return None

    def datasets_read(self) -> list[DatasetRead]:
        source = self.parameters.source
        return [
            DatasetRead(
                source.dataset_id, source.dataset_version, ("parameters", "source"), "OP-APP-1", with_lookups=True
            )
        ]

    def _parameter_expressions(self) -> list[ExpressionAt]:
        return self.parameters.expressions()

    def columns_assigned(self) -> list[str]:
        """Incoming columns land in working columns of the same name (OP-APP-4, OP-APP-7)."""
        return list(self.parameters.columns or {})

    @classmethod
    def unknown_key(cls, key: str) -> tuple[str, str, str]:
        if key == "selector":
            return (
                "InvalidField",
                "OP-SEL-2",
                "append takes no selector; filter its source with parameters.source_selector",
            )
        return super().unknown_key(key)


class OutputOperation(_SelectingOperation):
    type: Literal["output"]
    parameters: OutputParameters

    def columns_named(self) -> list[str]:
        return list(self.parameters.columns or [])


Operation = Annotated[
    UpdateOperation | DeleteOperation | AggregateOperation | AppendOperation | OutputOperation,
    Field(discriminator="type"),
]
OperationParameters = UpdateParameters | DeleteParameters | AggregateParameters | AppendParameters | OutputParameters
