"""Resolver: rules mapping (Dataset table, Period) to locations (entities.md §4)."""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt

from dobo_engine.model.common import (
    DoboModel,
    Entity,
    EntityId,
    Expression,
    Issue,
    NonEmptyStr,
    Version,
    check_identifier,
    fail,
    repeated,
    sql_identifier_check,
)

TEMPLATE_TOKENS = ("table_name", "identifier", "level", "year", "sequence", "YYYY", "MM", "DD", "QQ")
TEMPLATE_TOKEN_RE = re.compile(r"\{\{(.*?)\}\}")


def template_tokens(template: str) -> list[str]:
    """Token names used in a `{{token}}` template, surrounding spaces ignored."""
    return [body.strip() for body in TEMPLATE_TOKEN_RE.findall(template)]


def template_check(allowed: tuple[str, ...] = TEMPLATE_TOKENS) -> AfterValidator:
    """RES-6: only the listed tokens; an unknown one is `UnknownTemplateToken`."""

    def check(value: Any) -> Any:
        texts = value.values() if isinstance(value, dict) else [value]
        for text in texts:
            for token in template_tokens(text) if isinstance(text, str) else []:
                if token not in allowed:
                    raise fail(
                        "UnknownTemplateToken",
                        "RES-6",
                        f"unknown template token {{{{{token}}}}} (allowed: {', '.join(allowed)})",
                    )
        return value

    return AfterValidator(check)


Template = Annotated[NonEmptyStr, template_check()]


class PathStrategy(DoboModel):
    RULE: ClassVar[str] = "RES-7"

    type: Literal["path"]
    datasource_id: EntityId
    path: Template


with warnings.catch_warnings():
    # `schema` is the spec's field name; it shadows a deprecated BaseModel helper.
    warnings.filterwarnings("ignore", message='Field name "schema"')

    class TableStrategy(DoboModel):
        RULE: ClassVar[str] = "RES-7"

        type: Literal["table"]
        datasource_id: EntityId
        table: Annotated[Template, sql_identifier_check("RES-7", "table name", template=True)]
        schema: Annotated[Template, sql_identifier_check("RES-7", "schema name", template=True)] | None = None  # type: ignore[assignment]  # field `schema` shadows BaseModel.schema()

    class ResolvedLocation(DoboModel):
        """One rendered location of a table for one Period (entities.md §4)."""

        RULE: ClassVar[str] = "RES-5"

        resolver_id: str
        resolver_version: StrictInt
        rule: str
        table_name: str
        period_identifier: str
        strategy: Literal["path", "table", "catalog"]
        datasource_id: str | None = None
        path: str | None = None
        table: str | None = None
        schema: str | None = None  # type: ignore[assignment]  # field `schema` shadows BaseModel.schema()
        endpoint: str | None = None
        method: str | None = None
        params: dict[str, str] | None = None


class CatalogStrategy(DoboModel):
    """Reserved: validates, but loading fails with UnsupportedStrategy."""

    RULE: ClassVar[str] = "RES-7"

    type: Literal["catalog"]
    endpoint: Template
    method: Literal["GET", "POST"] = "GET"
    auth: str | None = None
    params: Annotated[dict[str, str], template_check()] | None = None
    headers: dict[str, str] | None = None


Strategy = Annotated[PathStrategy | TableStrategy | CatalogStrategy, Field(discriminator="type")]


def _check_data_level(value: str) -> str:
    return value if value == "any" else check_identifier(value, "RES-4")


class ResolverRule(DoboModel):
    RULE: ClassVar[str] = "RES-1"
    FIELD_RULES: ClassVar[dict[str, str]] = {"when": "RES-2", "data_level": "RES-4", "strategy": "RES-7"}

    name: NonEmptyStr
    when: Expression | None = None
    data_level: Annotated[str, AfterValidator(_check_data_level)]
    strategy: Strategy


class Resolver(Entity):
    KIND: ClassVar[str] = "resolver"
    RULE: ClassVar[str] = "RES-1"
    FIELD_RULES: ClassVar[dict[str, str]] = {"id": "GEN-1", "status": "GEN-3", "is_default": "RES-10"}

    id: EntityId
    name: NonEmptyStr
    description: str | None = None
    version: Version | None = None
    status: Literal["active", "disabled"] | None = None
    is_default: StrictBool | None = None  # omitted = unchanged (D31)
    rules: list[ResolverRule]
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def structural_issues(self) -> list[Issue]:
        if not self.rules:
            return [Issue(("rules",), "InvalidField", "RES-1", "a Resolver needs at least one rule")]
        issues = [
            Issue(("rules", i, "name"), "InvalidField", "RES-1", f"duplicate rule name {name!r}")
            for i, name in repeated([r.name for r in self.rules])
        ]
        for index, rule in enumerate(self.rules[:-1]):
            if rule.when is None:
                issues.append(
                    Issue(
                        ("rules", index),
                        "InvalidField",
                        "RES-1",
                        f"rule {rule.name!r} has no `when` and is not last: the rules after it are unreachable",
                        warning=True,
                    )
                )
        return issues
