"""Dataset: a versioned logical contract of tables (entities.md §1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StrictBool, StrictInt, model_validator

from dobo_engine.model.common import (
    DoboModel,
    Entity,
    EntityId,
    Identifier,
    Issue,
    NonEmptyStr,
    Version,
    fail,
    repeated,
)

ColumnType = Literal["string", "integer", "decimal", "boolean", "date", "timestamp"]
TemporalMode = Literal["period", "bitemporal"]
DEFAULT_PRECISION = 38  # D4
DEFAULT_SCALE = 6  # D4
_LOCATION_KEYS = frozenset({"datasource_id", "path", "table", "location"})


class ColumnDef(DoboModel):
    RULE: ClassVar[str] = "DS-1"

    name: Identifier
    type: ColumnType
    nullable: StrictBool = True
    precision: StrictInt | None = None
    scale: StrictInt | None = None
    description: str | None = None
    renamed_from: Identifier | None = None

    @model_validator(mode="after")
    def _decimal_shape(self) -> ColumnDef:
        if self.type != "decimal":
            for key in ("precision", "scale"):
                if getattr(self, key) is not None:
                    raise fail("InvalidField", "D4", f"{key} is only allowed on decimal columns", key)
            return self
        if self.precision is not None and not 1 <= self.precision <= 38:
            raise fail("InvalidField", "D4", f"precision {self.precision} is out of range (expected 1-38)", "precision")
        precision = DEFAULT_PRECISION if self.precision is None else self.precision
        # Spec is silent on a precision given alone: keep the default scale unless it cannot fit.
        scale = min(DEFAULT_SCALE, precision) if self.scale is None else self.scale
        if not 0 <= scale <= precision:
            raise fail("InvalidField", "D4", f"scale {scale} must be between 0 and precision {precision}", "scale")
        self.precision, self.scale = precision, scale
        return self


class TableRef(DoboModel):
    RULE: ClassVar[str] = "DS-1"

    name: Identifier
    temporal_mode: TemporalMode = "period"
    columns: list[ColumnDef]

    @classmethod
    def unknown_key(cls, key: str) -> tuple[str, str, str]:
        if key in _LOCATION_KEYS:
            return "UnknownKey", "DS-2", f"unknown key {key!r}: a Dataset holds no location; its Resolver does"
        return super().unknown_key(key)

    def column(self, name: str) -> ColumnDef | None:
        return next((c for c in self.columns if c.name == name), None)

    def table_issues(self, path: tuple[str | int, ...]) -> list[Issue]:
        issues: list[Issue] = []
        if not self.columns:
            issues.append(
                Issue((*path, "columns"), "InvalidField", "DS-1", f"table {self.name!r} needs at least one column")
            )
        for index, name in repeated([c.name for c in self.columns]):
            issues.append(
                Issue(
                    (*path, "columns", index, "name"),
                    "InvalidField",
                    "DS-1",
                    f"duplicate column {name!r} in table {self.name!r}",
                )
            )
        return issues


class TableTarget(TableRef):
    type: Literal["table"]


class DatasetTarget(DoboModel):
    RULE: ClassVar[str] = "DS-3"

    type: Literal["dataset"]
    dataset_id: EntityId
    dataset_version: Version | None = None


LookupTarget = Annotated[TableTarget | DatasetTarget, Field(discriminator="type")]


class JoinCondition(DoboModel):
    RULE: ClassVar[str] = "DS-1"

    source_column: NonEmptyStr
    target_column: Identifier


class LookupDef(DoboModel):
    RULE: ClassVar[str] = "DS-1"

    alias: Identifier | None = None
    target: LookupTarget
    join_conditions: list[JoinCondition]

    @model_validator(mode="after")
    def _default_alias(self) -> LookupDef:
        if self.alias is None:
            if isinstance(self.target, DatasetTarget):
                raise fail("MissingField", "DS-1", "alias is required for a dataset lookup target", "alias")
            self.alias = self.target.name
        if not self.join_conditions:
            raise fail("InvalidField", "DS-1", "a lookup needs at least one join condition", "join_conditions")
        return self

    @property
    def resolved_alias(self) -> str:
        """The alias the lookup's columns go by: declared, or the target table's name (set on validation)."""
        if self.alias is None:  # unreachable on a validated model: _default_alias fills it
            raise ValueError("a lookup without an alias was not validated")
        return self.alias


class Dataset(Entity):
    KIND: ClassVar[str] = "dataset"
    RULE: ClassVar[str] = "DS-1"
    FIELD_RULES: ClassVar[dict[str, str]] = {"id": "GEN-1", "status": "GEN-3", "resolver_id": "RES-9"}

    id: EntityId
    name: NonEmptyStr
    description: str | None = None
    owner: str | None = None
    version: Version | None = None
    status: Literal["active", "disabled"] | None = None
    resolver_id: EntityId | None = None
    natural_key_columns: list[Identifier] = []
    main_table: TableRef
    lookups: list[LookupDef] = []
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def lookup(self, alias: str) -> LookupDef | None:
        return next((lk for lk in self.lookups if lk.alias == alias), None)

    def structural_issues(self) -> list[Issue]:
        issues = self.main_table.table_issues(("main_table",))
        issues += self._natural_key_issues()
        names: list[str] = [self.main_table.name]
        for index, lookup in enumerate(self.lookups):
            path = ("lookups", index)
            if isinstance(lookup.target, TableTarget):
                issues += lookup.target.table_issues((*path, "target"))
                if lookup.target.name in names:
                    issues.append(
                        Issue(
                            (*path, "target", "name"),
                            "InvalidField",
                            "DS-1",
                            f"duplicate table name {lookup.target.name!r}",
                        )
                    )
                names.append(lookup.target.name)
            issues += self._lookup_issues(index, lookup)
        return issues

    def _natural_key_issues(self) -> list[Issue]:
        issues: list[Issue] = []
        for index, name in enumerate(self.natural_key_columns):
            column = self.main_table.column(name)
            path = ("natural_key_columns", index)
            if column is None:
                issues.append(
                    Issue(path, "InvalidField", "DS-7", f"natural key column {name!r} is not a main-table column")
                )
            elif column.nullable:
                issues.append(
                    Issue(path, "InvalidField", "DS-7", f"natural key column {name!r} must be nullable: false")
                )
        return issues

    def _lookup_issues(self, index: int, lookup: LookupDef) -> list[Issue]:
        path = ("lookups", index)
        issues: list[Issue] = []
        earlier = {lk.alias: lk for lk in self.lookups[:index]}
        if lookup.alias == self.main_table.name:
            issues.append(
                Issue(
                    (*path, "alias"),
                    "InvalidField",
                    "DS-1",
                    f"lookup alias {lookup.alias!r} equals the main table name",
                )
            )
        elif lookup.alias in earlier:
            issues.append(Issue((*path, "alias"), "InvalidField", "DS-1", f"duplicate lookup alias {lookup.alias!r}"))
        for c_index, cond in enumerate(lookup.join_conditions):
            c_path = (*path, "join_conditions", c_index)
            source_type = self._source_type(cond.source_column, earlier)
            if source_type is None:
                issues.append(
                    Issue(
                        (*c_path, "source_column"),
                        "InvalidField",
                        "DS-1",
                        f"source_column {cond.source_column!r} is neither a main-table column nor alias.column of an earlier lookup",
                    )
                )
            if isinstance(lookup.target, TableTarget):
                target = lookup.target.column(cond.target_column)
                if target is None:
                    issues.append(
                        Issue(
                            (*c_path, "target_column"),
                            "InvalidField",
                            "DS-1",
                            f"target_column {cond.target_column!r} is not a column of {lookup.target.name!r}",
                        )
                    )
                elif source_type not in (None, "?") and source_type != target.type:
                    issues.append(
                        Issue(
                            (*c_path, "target_column"),
                            "InvalidField",
                            "DS-1",
                            f"join columns differ in type ({source_type} vs {target.type})",
                        )
                    )
        return issues

    def _source_type(self, source: str, earlier: dict[str | None, LookupDef]) -> str | None:
        """Declared type of a join source column; "?" when it cannot be known here."""
        if "." not in source:
            column = self.main_table.column(source)
            return column.type if column else None
        alias, _, name = source.partition(".")
        lookup = earlier.get(alias)
        if lookup is None:
            return None
        if isinstance(lookup.target, DatasetTarget):
            return "?"  # the target Dataset's columns are checked on apply
        column = lookup.target.column(name)
        return column.type if column else None
