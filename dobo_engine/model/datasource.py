"""DataSource: a named connection to an external store (entities.md §2)."""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StrictBool, model_validator

from dobo_engine.io.credentials import SECRET_KEY_RE
from dobo_engine.model.common import DoboModel, Entity, EntityId, NonEmptyStr, Version, fail, sql_identifier_check

SourceType = Literal["database", "parquet", "csv", "api"]
# SRC-2: option keys that would hold a secret (one rule, shared with `dobo config` masking).
FORBIDDEN_KEY_RE = SECRET_KEY_RE
_TYPE_KEY = "source_type"  # filled from DataSource.type; never authored


def _no_password_in_url(value: str) -> str:
    try:
        has_password = urlsplit(value).password is not None
    except ValueError:
        has_password = False
    if has_password:
        raise fail("InvalidField", "SRC-2", "the URL embeds a password; give it through credential_ref instead")
    return value


def _no_secret_keys(value: dict[str, str] | None) -> dict[str, str] | None:
    for key in value or {}:
        if FORBIDDEN_KEY_RE.search(key):
            raise fail("InvalidField", "SRC-2", f"key {key!r} looks like a credential; use credential_ref instead")
    return value


SafeUrl = Annotated[str, AfterValidator(_no_password_in_url)]
SafeMap = Annotated[dict[str, str] | None, AfterValidator(_no_secret_keys)]


class _Options(DoboModel):
    RULE: ClassVar[str] = "SRC-1"

    @classmethod
    def unknown_key(cls, key: str) -> tuple[str, str, str]:
        if FORBIDDEN_KEY_RE.search(key):
            return "InvalidField", "SRC-2", f"option {key!r} would hold a credential; use credential_ref instead"
        allowed = ", ".join(k for k in cls.model_fields if k != _TYPE_KEY)
        return "UnknownKey", "SRC-1", f"unknown option {key!r} for this type (allowed: {allowed})"


with warnings.catch_warnings():
    # `schema` is the spec's option name; it shadows a deprecated BaseModel helper.
    warnings.filterwarnings("ignore", message='Field name "schema"')

    class DatabaseOptions(_Options):
        source_type: Literal["database"] = Field(exclude=True, repr=False)
        connection_string: SafeUrl
        schema: Annotated[str, sql_identifier_check("SRC-1", "schema name")] | None = None  # type: ignore[assignment]  # field `schema` shadows BaseModel.schema()


class ParquetOptions(_Options):
    source_type: Literal["parquet"] = Field(exclude=True, repr=False)
    path_prefix: NonEmptyStr


class CsvOptions(_Options):
    source_type: Literal["csv"] = Field(exclude=True, repr=False)
    path_prefix: NonEmptyStr
    delimiter: str = ","
    has_header: StrictBool = True


class ApiOptions(_Options):
    source_type: Literal["api"] = Field(exclude=True, repr=False)
    endpoint: SafeUrl
    method: Literal["GET", "POST"] = "GET"
    headers: SafeMap = None
    params: SafeMap = None


DataSourceOptions = Annotated[
    DatabaseOptions | ParquetOptions | CsvOptions | ApiOptions, Field(discriminator=_TYPE_KEY)
]


def _check_credential_ref(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*://\S+", value):
        raise fail("InvalidField", "SRC-3", f"credential_ref {value!r} is not a reference such as env://NAME")
    return value


class DataSource(Entity):
    KIND: ClassVar[str] = "datasource"
    RULE: ClassVar[str] = "SRC-1"
    FIELD_RULES: ClassVar[dict[str, str]] = {"id": "GEN-1", "status": "GEN-3"}

    id: EntityId
    name: NonEmptyStr
    description: str | None = None
    owner: str | None = None
    version: Version | None = None
    status: Literal["active", "disabled"] | None = None
    type: SourceType
    options: DataSourceOptions
    credential_ref: Annotated[str, AfterValidator(_check_credential_ref)] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _tag_options(cls, data: Any) -> Any:
        # The options model depends on the sibling `type`: copy it in as the union's tag.
        if isinstance(data, dict) and isinstance(data.get("options"), dict) and isinstance(data.get("type"), str):
            options = dict(data["options"])
            if _TYPE_KEY not in options and data["type"] in ("database", "parquet", "csv", "api"):
                options[_TYPE_KEY] = data["type"]
                return {**data, "options": options}
        return data
