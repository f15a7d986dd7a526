"""Shared building blocks of the authored-entity models.

Value checks raise :class:`PydanticCustomError` whose type is a catalogue code
and whose context carries the rule id (and, for model-level checks, the field
the error belongs to), so that :mod:`dobo_engine.model.pydantic_errors` can
turn every failure into a located :class:`~dobo_engine.errors.DoboError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, PrivateAttr
from pydantic_core import PydanticCustomError

from dobo_engine.errors import Location
from dobo_engine.io.paths import identifier_problem

ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
IDENTIFIER_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
LABEL_KEY_RE = re.compile(r"[A-Za-z0-9_.-]+")
# Working/system column names (output columns, group_by): optional `main.` qualifier.
COLUMN_REF_RE = re.compile(r"(?:[A-Za-z][A-Za-z0-9_]*\.)?_?[A-Za-z][A-Za-z0-9_]*")
MAX_ORDER = 2**31 - 1


def fail(code: str, rule: str | None, message: str, field: str | None = None) -> PydanticCustomError:
    """A validation error carrying a catalogue code, a rule id and optionally its field.

    Without a rule, the rule of the field/model where the error sits is cited.
    """
    context: dict[str, Any] = {"rule": rule, "msg": message}
    if field is not None:
        context["field"] = field
    return PydanticCustomError(code, "{msg}", context)


def _check_id(value: str) -> str:
    if not ID_RE.fullmatch(value):
        raise fail(
            "InvalidField", "GEN-1", f"{value!r} is not a valid id (expected [A-Za-z0-9][A-Za-z0-9._-]{{0,127}}, D1)"
        )
    return value


def check_identifier(value: str, rule: str, reserved_code: str = "InvalidField") -> str:
    """``value`` if it is an identifier (GEN-5); a `_` name fails with `reserved_code`."""
    if value.startswith("_"):
        raise fail(reserved_code, rule, f"{value!r}: names starting with '_' are reserved for the system (D7)")
    if not IDENTIFIER_RE.fullmatch(value):
        raise fail("InvalidField", rule, f"{value!r} is not an identifier (expected [A-Za-z][A-Za-z0-9_]*)")
    return value


def identifier_check(rule: str, reserved_code: str = "InvalidField") -> AfterValidator:
    """An identifier (GEN-5); a `_` name fails with `reserved_code` (VAL-013 uses ReservedColumn)."""

    def check(value: str) -> str:
        return check_identifier(value, rule, reserved_code)

    return AfterValidator(check)


_TEMPLATE_TOKEN = re.compile(r"\{\{.*?\}\}")


def sql_identifier_check(rule: str, what: str, *, template: bool = False) -> AfterValidator:
    """A table or schema name that SQL will use: a plain identifier (``InvalidIdentifier``).

    The rule is the writer's (:func:`dobo_engine.io.paths.identifier_problem`).
    In a ``template`` each ``{{token}}`` stands for a plain value; the text
    around the tokens must keep the name an identifier, so a name that would
    carry SQL is refused on apply, not in the middle of a Run.
    """

    def check(value: str | None) -> str | None:
        if value is None:
            return value
        probe = _TEMPLATE_TOKEN.sub("x", value) if template else value
        problem = identifier_problem(probe, what)
        if problem is not None:
            shown = f"{what} {value!r}" + (" (tokens read as plain values)" if probe != value else "")
            raise fail("InvalidIdentifier", rule, problem.replace(f"{what} {probe!r}", shown))
        return value

    return AfterValidator(check)


def _check_non_empty(value: str) -> str:
    if not value.strip():
        raise fail("InvalidField", None, "must not be empty")
    return value


def positive(rule: str, upper: int | None = None) -> AfterValidator:
    def check(value: int) -> int:
        if value < 1 or (upper is not None and value > upper):
            bound = f"from 1 to {upper}" if upper is not None else "at least 1"
            raise fail("InvalidField", rule, f"{value} is out of range (expected an integer {bound})")
        return value

    return AfterValidator(check)


def _check_column_ref(value: str) -> str:
    if not COLUMN_REF_RE.fullmatch(value):
        raise fail("InvalidField", "GEN-5", f"{value!r} is not a column name")
    return value


EntityId = Annotated[str, AfterValidator(_check_id)]
Identifier = Annotated[str, identifier_check("GEN-5")]
NonEmptyStr = Annotated[str, AfterValidator(_check_non_empty)]
Expression = NonEmptyStr  # compiled elsewhere; kept as text here
Version = Annotated[int, positive("GEN-4")]
ColumnRef = Annotated[str, AfterValidator(_check_column_ref)]


@dataclass(frozen=True)
class Issue:
    """A structural problem found on a parsed entity; ``path`` is relative to its kind key."""

    path: tuple[str | int, ...]
    code: str
    rule: str
    message: str
    warning: bool = False


@dataclass(frozen=True)
class LoadWarning:
    """A non-blocking remark found while loading a document (e.g. RES-1)."""

    message: str
    rule: str
    location: Location

    def render(self) -> str:
        where = self.location.render()
        return f"{where}: warning [{self.rule}]: {self.message}" if where else f"warning [{self.rule}]: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """As kept on a Run record and printed by ``--json``."""
        return {"rule": self.rule, "message": self.message, "where": self.location.render() or None}


class DoboModel(BaseModel):
    """Base of every model: unknown keys are errors (D2)."""

    model_config = ConfigDict(extra="forbid", strict=False, validate_default=False)

    # Rule cited for built-in errors inside this model, per field, else RULE.
    RULE: ClassVar[str] = "D2"
    FIELD_RULES: ClassVar[dict[str, str]] = {}

    @classmethod
    def unknown_key(cls, key: str) -> tuple[str, str, str]:
        """(code, rule, message) for an unknown key in this model (D2)."""
        allowed = ", ".join(cls.model_fields)
        return "UnknownKey", "D2", f"unknown key {key!r} (allowed: {allowed})"


class Entity(DoboModel):
    """An authored entity, stored by kind and id."""

    KIND: ClassVar[str] = ""
    SYSTEM_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"version", "status", "created_at", "updated_at", "conflict_report"}
    )

    _load_warnings: list[LoadWarning] = PrivateAttr(default_factory=list)

    def structural_issues(self) -> list[Issue]:
        """Cross-field rules checked after the shape is valid (uniqueness, references)."""
        return []

    @property
    def load_warnings(self) -> list[LoadWarning]:
        """Warnings found when the entity was parsed from a document."""
        return self._load_warnings


def repeated(values: list[Any]) -> list[tuple[int, Any]]:
    """(index, value) of every value that already appeared earlier in the list."""
    seen: set[Any] = set()
    result: list[tuple[int, Any]] = []
    for index, value in enumerate(values):
        if value in seen:
            result.append((index, value))
        seen.add(value)
    return result
