"""The product's single error catalogue (D30).

Every error dobo reports is an instance of one :class:`DoboError` subclass
below. The class *is* the catalogue entry: it states the stable ``code``, the
``category`` (bad input, exit 2; a failed check or Run, exit 1) and, as its
docstring, the one-line meaning with the rule id in parentheses.
:data:`CATALOGUE` and ``docs/errors.md`` are derived from these classes
(``scripts/write_error_docs.py``), so a new code is one new class here.

An error carries a one-line message, an optional detail and where it happened
(:class:`Location`: file, YAML path, line, column, operation order).
Validators collect errors and raise one :class:`DoboErrors`; the CLI prints
them all and exits with the worst category's code. Bugs in dobo itself are
:class:`InternalError`, which is deliberately not in the catalogue.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

INPUT = "input"  # bad input: unreadable/invalid file, unknown id, wrong flags -> exit 2
FAILURE = "failure"  # the check or the run failed -> exit 1

# code -> its class, in definition order; filled by DoboError.__init_subclass__.
_CLASSES: dict[str, type[DoboError]] = {}


@dataclass(frozen=True)
class Location:
    """Where an error happened. Every part is optional."""

    file: str | None = None
    path: str | None = None  # YAML path, e.g. project.operations[2].parameters.joins[0].on
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    operation_order: int | None = None

    def render(self) -> str:
        parts: list[str] = []
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}" if where else f"line {self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if where:
            parts.append(where)
        if self.path:
            parts.append(self.path)
        if self.operation_order is not None:
            parts.append(f"operation {self.operation_order}")
        return ": ".join(parts)


class DoboError(Exception):
    """Base of every error the product reports; raise a subclass, whose class states the code.

    A class that sets ``code`` in its body joins the catalogue, unless it is
    declared with ``catalogued=False`` (:class:`InternalError`). A subclass
    of a catalogue class (a richer DSL error, say) keeps its parent's code.
    """

    code: str
    category: str

    def __init_subclass__(cls, *, catalogued: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__ or not catalogued:
            return
        if cls.category not in (INPUT, FAILURE):
            raise TypeError(f"{cls.__name__}.category must be INPUT or FAILURE")
        known = _CLASSES.get(cls.code)
        if known is not None:
            if not issubclass(cls, known):
                raise TypeError(f"{cls.__name__} repeats the code {cls.code!r}: subclass {known.__name__} instead")
            return
        if cls.__module__ != __name__:  # one catalogue (D30): new codes are declared in this module
            raise TypeError(f"{cls.__name__} declares the new code {cls.code!r} outside dobo_engine.errors")
        if not (cls.__doc__ or "").strip():
            raise TypeError(f"{cls.__name__} needs a docstring: its one-line meaning")
        _CLASSES[cls.code] = cls

    def __init__(
        self,
        message: str,
        *,
        detail: str | None = None,
        location: Location | None = None,
        rule: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        if not hasattr(self, "code"):
            raise TypeError(f"{type(self).__name__} has no code: raise a catalogue class such as SchemaMismatch")
        self.message = message
        self.detail = detail
        self.location = location or Location()
        self.rule = rule
        self.payload = payload or {}
        super().__init__(self.render())

    @property
    def exit_code(self) -> int:
        return 2 if self.category == INPUT else 1

    def render(self) -> str:
        where = self.location.render()
        rule = f" [{self.rule}]" if self.rule else ""
        head = f"{where}: " if where else ""
        text = f"{head}{self.code}{rule}: {self.message}"
        if self.detail:
            text += f"\n  {self.detail}"
        return text

    def to_dict(self) -> dict[str, Any]:
        loc = self.location
        return {
            "code": self.code,
            "message": self.message,
            "detail": self.detail,
            "rule": self.rule,
            "file": loc.file,
            "path": loc.path,
            "line": loc.line,
            "column": loc.column,
            "operation_order": loc.operation_order,
            **({"payload": self.payload} if self.payload else {}),
        }


class DoboErrors(DoboError):
    """Several errors reported at once (validators collect, then raise this)."""

    def __init__(self, errors: Iterable[DoboError]) -> None:
        self.errors = list(errors)
        if not self.errors:
            raise ValueError("DoboErrors needs at least one error")
        first = self.errors[0]
        self.code = first.code
        self.category = first.category
        super().__init__(first.message, location=first.location, rule=first.rule, detail=first.detail)

    @property
    def exit_code(self) -> int:
        return 2 if any(e.category == INPUT for e in self.errors) else 1

    def render(self) -> str:
        if not hasattr(self, "errors"):
            return super().render()
        count = len(self.errors)
        head = f"{count} error{'s' if count != 1 else ''}:"
        return "\n".join([head, *(e.render() for e in self.errors)])

    def to_dict(self) -> dict[str, Any]:
        return {"errors": [e.to_dict() for e in self.errors]}


def debug_enabled() -> bool:
    """Whether tracebacks of internal errors are shown (``DOBO_DEBUG=1``, or the CLI's ``--debug``)."""
    return os.environ.get("DOBO_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


BUG_HINT = (
    "please report it with the command you ran and the traceback "
    "(run again with DOBO_DEBUG=1 or `dobo --debug ...` to see it)"
)


class InternalError(DoboError, catalogued=False):
    """A bug in dobo itself (outside the catalogue: no change to the input can fix it); exits 1.

    The message says so and the detail asks for a bug report; the traceback
    of the cause joins the detail only when debugging (:func:`debug_enabled`).
    """

    code = "InternalError"
    category = FAILURE

    def __init__(self, message: str, *, location: Location | None = None, cause: BaseException | None = None) -> None:
        detail = BUG_HINT
        if cause is not None and debug_enabled():
            detail += "\n" + "".join(traceback.format_exception(cause)).rstrip()
        super().__init__(f"a bug in dobo, not in your catalog or data: {message}", detail=detail, location=location)
        if cause is not None:
            self.__cause__ = cause

    @classmethod
    def from_exception(cls, err: BaseException, *, location: Location | None = None) -> InternalError:
        """The error for an unexpected exception raised by dobo's own code."""
        return cls(f"{type(err).__name__}: {err}", location=location, cause=err)


# The catalogue, one class per code, grouped by area. Import them by name
# (``from dobo_engine.errors import SchemaMismatch``); the docstring is the
# meaning listed in docs/errors.md, with the rule id (docs/spec/) in parentheses.


# -- documents and catalog apply ---------------------------------------------------------------


class YamlSyntaxError(DoboError):
    """a YAML/JSON document cannot be read"""

    code = "YamlSyntaxError"
    category = INPUT


class UnknownKey(DoboError):
    """a key that the entity does not define (D2)"""

    code = "UnknownKey"
    category = INPUT


class InvalidField(DoboError):
    """a field breaks a structural rule of entities.md"""

    code = "InvalidField"
    category = INPUT


class MissingField(DoboError):
    """a required field is absent"""

    code = "MissingField"
    category = INPUT


class UnknownKind(DoboError):
    """a document's top-level key is not an entity kind (GEN-2)"""

    code = "UnknownKind"
    category = INPUT


class DuplicateEntity(DoboError):
    """two documents of one apply define the same id"""

    code = "DuplicateEntity"
    category = INPUT


class UnresolvedReference(DoboError):
    """an entity refers to an id that does not exist"""

    code = "UnresolvedReference"
    category = INPUT


class ReferenceCycle(DoboError):
    """Dataset lookups refer to each other in a cycle (DS-3)"""

    code = "ReferenceCycle"
    category = INPUT


class StaleEntity(DoboError):
    """a system-managed field differs from the stored value (GEN-3)"""

    code = "StaleEntity"
    category = INPUT


class DuplicateDefault(DoboError):
    """two documents claim is_default in one apply (D28)"""

    code = "DuplicateDefault"
    category = INPUT


class DefaultRequired(DoboError):
    """the only default Calendar cannot be cleared (D31)"""

    code = "DefaultRequired"
    category = INPUT


class NotYetSupported(DoboError):
    """a feature that this version does not offer yet"""

    code = "NotYetSupported"
    category = INPUT


class EntityNotFound(DoboError):
    """no entity with that kind and id"""

    code = "EntityNotFound"
    category = INPUT


class VersionNotFound(DoboError):
    """the entity has no such version"""

    code = "VersionNotFound"
    category = INPUT


class CatalogNotFound(DoboError):
    """the catalog folder does not exist"""

    code = "CatalogNotFound"
    category = INPUT


class CalendarGenerationError(DoboError):
    """Periods cannot be generated from a Calendar (CAL-8)"""

    code = "CalendarGenerationError"
    category = FAILURE


class InvalidTransition(DoboError):
    """a status change that the lifecycle does not allow"""

    code = "InvalidTransition"
    category = INPUT


class ProjectInConflict(DoboError):
    """a Project in conflict must be resolved first (D22)"""

    code = "ProjectInConflict"
    category = INPUT


class ProjectInactive(DoboError):
    """an inactive Project rejects edits (PRJ-7)"""

    code = "ProjectInactive"
    category = INPUT


class ConnectionFailure(DoboError):
    """a data or metadata store cannot be reached"""

    code = "ConnectionFailure"
    category = FAILURE


# -- expression language (dsl.md §10) ----------------------------------------------------------


class ExpressionSyntaxError(DoboError):
    """an expression cannot be parsed"""

    code = "ExpressionSyntaxError"
    category = INPUT


class UnresolvedColumnRef(DoboError):
    """a name is not in scope"""

    code = "UnresolvedColumnRef"
    category = INPUT


class TypeMismatch(DoboError):
    """an operand, argument or context has the wrong type"""

    code = "TypeMismatch"
    category = INPUT


class UnknownFunction(DoboError):
    """no function of that name"""

    code = "UnknownFunction"
    category = INPUT


class WrongArity(DoboError):
    """a function got the wrong number of arguments"""

    code = "WrongArity"
    category = INPUT


class AggregateNotAllowed(DoboError):
    """an aggregate outside an aggregation"""

    code = "AggregateNotAllowed"
    category = INPUT


class AggregateRequired(DoboError):
    """an aggregation without an aggregate, or a bare non-group column"""

    code = "AggregateRequired"
    category = INPUT


class UnresolvedSelectorRef(DoboError):
    """{{NAME}} names no selector"""

    code = "UnresolvedSelectorRef"
    category = INPUT


class SelectorCycle(DoboError):
    """a named selector's body contains {{...}}"""

    code = "SelectorCycle"
    category = INPUT


class FunctionNotAllowed(DoboError):
    """a function that a Resolver `when` may not use (D31)"""

    code = "FunctionNotAllowed"
    category = INPUT


class NumericOverflow(DoboError):
    """a value does not fit its type"""

    code = "NumericOverflow"
    category = FAILURE


# -- resolution and data access ----------------------------------------------------------------


class NoResolverRuleMatched(DoboError):
    """no Resolver rule matched (RES-3)"""

    code = "NoResolverRuleMatched"
    category = FAILURE


class UnknownDataLevel(DoboError):
    """a data_level is not a level of the Calendar (RES-4)"""

    code = "UnknownDataLevel"
    category = FAILURE


class NoPeriodsAtDataLevel(DoboError):
    """expansion found no Periods (RES-5)"""

    code = "NoPeriodsAtDataLevel"
    category = FAILURE


class UnknownTemplateToken(DoboError):
    """a template uses a token that is not listed (RES-6)"""

    code = "UnknownTemplateToken"
    category = INPUT


class ResolverNotFound(DoboError):
    """no Resolver can be selected (RES-9)"""

    code = "ResolverNotFound"
    category = FAILURE


class ResolverDisabled(DoboError):
    """the selected Resolver is disabled (RES-9)"""

    code = "ResolverDisabled"
    category = FAILURE


class DataNotFound(DoboError):
    """a resolved location does not exist (RES-8)"""

    code = "DataNotFound"
    category = FAILURE


class UnsupportedStrategy(DoboError):
    """a reserved Resolver strategy has no adapter"""

    code = "UnsupportedStrategy"
    category = FAILURE


class UnsupportedSourceType(DoboError):
    """a reserved DataSource type has no adapter (SRC-1)"""

    code = "UnsupportedSourceType"
    category = FAILURE


class UnsupportedCredentialScheme(DoboError):
    """a credential_ref scheme is unknown (SRC-3)"""

    code = "UnsupportedCredentialScheme"
    category = FAILURE


class CredentialNotFound(DoboError):
    """a credential_ref names nothing that exists"""

    code = "CredentialNotFound"
    category = FAILURE


class DataSourceDisabled(DoboError):
    """a disabled DataSource is used (SRC-6)"""

    code = "DataSourceDisabled"
    category = FAILURE


class UnsafePath(DoboError):
    """a path escapes its DataSource's prefix (SRC-5)"""

    code = "UnsafePath"
    category = INPUT


class InvalidIdentifier(DoboError):
    """a table or schema name is not a plain identifier"""

    code = "InvalidIdentifier"
    category = INPUT


class SchemaMismatch(DoboError):
    """loaded data does not fit the declared columns (DS-6)"""

    code = "SchemaMismatch"
    category = FAILURE


class UnreadableData(DoboError):
    """a data file cannot be read: corrupt or truncated Parquet, CSV not in UTF-8 (RES-8)"""

    code = "UnreadableData"
    category = FAILURE


class DuplicateRowId(DoboError):
    """a loaded frame repeats a _row_id (OP-SYS-2)"""

    code = "DuplicateRowId"
    category = FAILURE


class WriteFailure(DoboError):
    """an output could not be written"""

    code = "WriteFailure"
    category = FAILURE


# -- engine and runs ---------------------------------------------------------------------------


class LookupNotUnique(DoboError):
    """a key matches more than one lookup/join row (LK-2)"""

    code = "LookupNotUnique"
    category = FAILURE


class UnsupportedJoinCondition(DoboError):
    """a RuntimeJoin `on` has an unsupported form (OP-JOIN-3)"""

    code = "UnsupportedJoinCondition"
    category = INPUT


class AppendColumnNotFound(DoboError):
    """an incoming append column is not a working column (OP-APP-4)"""

    code = "AppendColumnNotFound"
    category = INPUT


class OperationFailure(DoboError):
    """an unexpected error inside an operation (D31)"""

    code = "OperationFailure"
    category = FAILURE


class TraceWriteFailure(DoboError):
    """a trace file could not be written (TR-1)"""

    code = "TraceWriteFailure"
    category = FAILURE


class ValidationFailed(DoboError):
    """start-of-run or activation validation failed (V-1)"""

    code = "ValidationFailed"
    category = FAILURE


class InvalidResumePoint(DoboError):
    """the Run cannot be resumed (RUN-7)"""

    code = "InvalidResumePoint"
    category = INPUT


class ConcurrentRunConflict(DoboError):
    """another Run of the Project and Period is queued or running (D15)"""

    code = "ConcurrentRunConflict"
    category = FAILURE


class WorkerLost(DoboError):
    """the process executing a Run stopped renewing its lease; the Run failed and can be resumed (RUN-5, RUN-7)"""

    code = "WorkerLost"
    category = FAILURE


class ProjectNotRunnable(DoboError):
    """the Project's status forbids a Run (PRJ-10)"""

    code = "ProjectNotRunnable"
    category = INPUT


class PeriodNotFound(DoboError):
    """no Period with that identifier in the Calendar"""

    code = "PeriodNotFound"
    category = INPUT


class PeriodNotRunnable(DoboError):
    """the Period is locked or its Calendar is draft (PER-5)"""

    code = "PeriodNotRunnable"
    category = INPUT


class RunNotFound(DoboError):
    """no such Run"""

    code = "RunNotFound"
    category = INPUT


class RunNotFinished(DoboError):
    """the Run is queued or running"""

    code = "RunNotFinished"
    category = INPUT


class RowNotFound(DoboError):
    """no trace event for the row at that step"""

    code = "RowNotFound"
    category = INPUT


class StepOutOfRange(DoboError):
    """the step is not an operation of the Run"""

    code = "StepOutOfRange"
    category = INPUT


class TraceDisabled(DoboError):
    """the Run was made with the trace switched off (D32)"""

    code = "TraceDisabled"
    category = INPUT


class TraceInputChanged(DoboError):
    """a location the load's trace refers to changed since the Run, or cannot be re-read here (TR-15)"""

    code = "TraceInputChanged"
    category = FAILURE


# -- activation validation (validation.md) -----------------------------------------------------


class UnresolvedDatasetRef(DoboError):
    """a Dataset reference does not exist or is not active"""

    code = "UnresolvedDatasetRef"
    category = FAILURE


class DuplicateOperationOrder(DoboError):
    """two operations share an order"""

    code = "DuplicateOperationOrder"
    category = FAILURE


class UnknownOperationType(DoboError):
    """an operation type that does not exist"""

    code = "UnknownOperationType"
    category = FAILURE


class InvalidOperation(DoboError):
    """an operation's shape is wrong"""

    code = "InvalidOperation"
    category = FAILURE


class ReservedColumn(DoboError):
    """a target starts with `_` or is qualified"""

    code = "ReservedColumn"
    category = FAILURE


class DuplicateName(DoboError):
    """a name repeats within an operation"""

    code = "DuplicateName"
    category = FAILURE


class InvalidDestination(DoboError):
    """an output destination is not usable"""

    code = "InvalidDestination"
    category = FAILURE


class InvalidRegistration(DoboError):
    """register_as_dataset breaks OP-OUT-6"""

    code = "InvalidRegistration"
    category = FAILURE


class ProjectNotDraft(DoboError):
    """only draft Projects can be activated"""

    code = "ProjectNotDraft"
    category = FAILURE


class EmptyPipeline(DoboError):
    """a Project without operations"""

    code = "EmptyPipeline"
    category = FAILURE


# -- scenario harness (scenarios.md §7) --------------------------------------------------------


class ScenarioParseError(DoboError):
    """a scenario file cannot be read"""

    code = "ScenarioParseError"
    category = INPUT


class SchemaValidationError(DoboError):
    """scenario data does not fit its Dataset"""

    code = "SchemaValidationError"
    category = INPUT


class DataFileNotFound(DoboError):
    """a scenario data file is missing"""

    code = "DataFileNotFound"
    category = INPUT


class ProjectNotFound(DoboError):
    """a scenario's project ref names no stored Project"""

    code = "ProjectNotFound"
    category = INPUT


class DatasetNotProvided(DoboError):
    """a scenario does not define a Dataset the Project loads"""

    code = "DatasetNotProvided"
    category = INPUT


class ExecutionFailure(DoboError):
    """the scenario's Run failed"""

    code = "ExecutionFailure"
    category = FAILURE


class _Catalogue(Mapping[str, tuple[str, str]]):
    """code -> (category, one-line meaning), read from the classes above (always current)."""

    def __getitem__(self, code: str) -> tuple[str, str]:
        cls = _CLASSES[code]
        return cls.category, meaning_of(cls)

    def __iter__(self) -> Iterator[str]:
        return iter(list(_CLASSES))

    def __len__(self) -> int:
        return len(_CLASSES)


def meaning_of(cls: type[DoboError]) -> str:
    """The one-line meaning of a catalogue class: the first line of its docstring."""
    return (cls.__doc__ or "").strip().splitlines()[0]


def error_class(code: str) -> type[DoboError]:
    """The catalogue class of ``code``, for errors whose code is decided at run time."""
    try:
        return _CLASSES[code]
    except KeyError:
        raise ValueError(f"error code {code!r} is not in the catalogue") from None


def catalogue_classes() -> list[type[DoboError]]:
    """Every catalogue class, in the order of this module."""
    return list(_CLASSES.values())


CATALOGUE: Mapping[str, tuple[str, str]] = _Catalogue()
