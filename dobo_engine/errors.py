"""The product's single error catalogue (D30).

Every error dobo reports is a :class:`DoboError` carrying a stable ``code``
from :data:`CATALOGUE`, a one-line message, an optional detail, and where it
happened (:class:`Location`: file, YAML path, line, column, operation order).
Validators collect errors and raise one :class:`DoboErrors`; the CLI prints
them all and exits 2 (bad input) or 1 (a check or run failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable

INPUT = "input"  # bad input: unreadable/invalid file, unknown id, wrong flags -> exit 2
FAILURE = "failure"  # the check or the run failed -> exit 1

# code -> (category, one-line meaning). Keep sorted by area; docs/errors.md lists them.
CATALOGUE: dict[str, tuple[str, str]] = {
    # documents and catalog apply
    "YamlSyntaxError": (INPUT, "a YAML/JSON document cannot be read"),
    "UnknownKey": (INPUT, "a key that the entity does not define (D2)"),
    "InvalidField": (INPUT, "a field breaks a structural rule of entities.md"),
    "MissingField": (INPUT, "a required field is absent"),
    "UnknownKind": (INPUT, "a document's top-level key is not an entity kind (GEN-2)"),
    "DuplicateEntity": (INPUT, "two documents of one apply define the same id"),
    "UnresolvedReference": (INPUT, "an entity refers to an id that does not exist"),
    "ReferenceCycle": (INPUT, "Dataset lookups refer to each other in a cycle (DS-3)"),
    "StaleEntity": (INPUT, "a system-managed field differs from the stored value (GEN-3)"),
    "DuplicateDefault": (INPUT, "two documents claim is_default in one apply (D28)"),
    "DefaultRequired": (INPUT, "the only default Calendar cannot be cleared (D31)"),
    "NotYetSupported": (INPUT, "a feature that this version does not offer yet"),
    "EntityNotFound": (INPUT, "no entity with that kind and id"),
    "VersionNotFound": (INPUT, "the entity has no such version"),
    "CatalogNotFound": (INPUT, "the catalog folder does not exist"),
    "CalendarGenerationError": (FAILURE, "Periods cannot be generated from a Calendar (CAL-8)"),
    "InvalidTransition": (INPUT, "a status change that the lifecycle does not allow"),
    "ProjectInConflict": (INPUT, "a Project in conflict must be resolved first (D22)"),
    "ProjectInactive": (INPUT, "an inactive Project rejects edits (PRJ-7)"),
    "ConnectionFailure": (FAILURE, "a data or metadata store cannot be reached"),
    # expression language (dsl.md §10)
    "ExpressionSyntaxError": (INPUT, "an expression cannot be parsed"),
    "UnresolvedColumnRef": (INPUT, "a name is not in scope"),
    "TypeMismatch": (INPUT, "an operand, argument or context has the wrong type"),
    "UnknownFunction": (INPUT, "no function of that name"),
    "WrongArity": (INPUT, "a function got the wrong number of arguments"),
    "AggregateNotAllowed": (INPUT, "an aggregate outside an aggregation"),
    "AggregateRequired": (INPUT, "an aggregation without an aggregate, or a bare non-group column"),
    "UnresolvedSelectorRef": (INPUT, "{{NAME}} names no selector"),
    "SelectorCycle": (INPUT, "a named selector's body contains {{...}}"),
    "FunctionNotAllowed": (INPUT, "a function that a Resolver `when` may not use (D31)"),
    "NumericOverflow": (FAILURE, "a value does not fit its type"),
    # resolution and data access
    "NoResolverRuleMatched": (FAILURE, "no Resolver rule matched (RES-3)"),
    "UnknownDataLevel": (FAILURE, "a data_level is not a level of the Calendar (RES-4)"),
    "NoPeriodsAtDataLevel": (FAILURE, "expansion found no Periods (RES-5)"),
    "UnknownTemplateToken": (INPUT, "a template uses a token that is not listed (RES-6)"),
    "ResolverNotFound": (FAILURE, "no Resolver can be selected (RES-9)"),
    "ResolverDisabled": (FAILURE, "the selected Resolver is disabled (RES-9)"),
    "DataNotFound": (FAILURE, "a resolved location does not exist (RES-8)"),
    "UnsupportedStrategy": (FAILURE, "a reserved Resolver strategy has no adapter"),
    "UnsupportedSourceType": (FAILURE, "a reserved DataSource type has no adapter (SRC-1)"),
    "UnsupportedCredentialScheme": (FAILURE, "a credential_ref scheme is unknown (SRC-3)"),
    "CredentialNotFound": (FAILURE, "a credential_ref names nothing that exists"),
    "DataSourceDisabled": (FAILURE, "a disabled DataSource is used (SRC-6)"),
    "UnsafePath": (INPUT, "a path escapes its DataSource's prefix (SRC-5)"),
    "InvalidIdentifier": (INPUT, "a table or schema name is not a plain identifier"),
    "SchemaMismatch": (FAILURE, "loaded data does not fit the declared columns (DS-6)"),
    "DuplicateRowId": (FAILURE, "a loaded frame repeats a _row_id (OP-SYS-2)"),
    "WriteFailure": (FAILURE, "an output could not be written"),
    # engine and runs
    "LookupNotUnique": (FAILURE, "a key matches more than one lookup/join row (LK-2)"),
    "UnsupportedJoinCondition": (INPUT, "a RuntimeJoin `on` has an unsupported form (OP-JOIN-3)"),
    "AppendColumnNotFound": (INPUT, "an incoming append column is not a working column (OP-APP-4)"),
    "OperationFailure": (FAILURE, "an unexpected error inside an operation (D31)"),
    "TraceWriteFailure": (FAILURE, "a trace file could not be written (TR-1)"),
    "ValidationFailed": (FAILURE, "start-of-run or activation validation failed (V-1)"),
    "InvalidResumePoint": (INPUT, "the Run cannot be resumed (RUN-7)"),
    "ConcurrentRunConflict": (FAILURE, "another Run of the Project and Period is queued or running (D15)"),
    "ProjectNotRunnable": (INPUT, "the Project's status forbids a Run (PRJ-10)"),
    "PeriodNotFound": (INPUT, "no Period with that identifier in the Calendar"),
    "PeriodNotRunnable": (INPUT, "the Period is locked or its Calendar is draft (PER-5)"),
    "RunNotFound": (INPUT, "no such Run"),
    "RunNotFinished": (INPUT, "the Run is queued or running"),
    "RowNotFound": (INPUT, "no trace event for the row at that step"),
    "StepOutOfRange": (INPUT, "the step is not an operation of the Run"),
    "TraceDisabled": (INPUT, "the Run was made with the trace switched off (D32)"),
    # activation validation (validation.md)
    "UnresolvedDatasetRef": (FAILURE, "a Dataset reference does not exist or is not active"),
    "DuplicateOperationOrder": (FAILURE, "two operations share an order"),
    "UnknownOperationType": (FAILURE, "an operation type that does not exist"),
    "InvalidOperation": (FAILURE, "an operation's shape is wrong"),
    "ReservedColumn": (FAILURE, "a target starts with `_` or is qualified"),
    "DuplicateName": (FAILURE, "a name repeats within an operation"),
    "InvalidDestination": (FAILURE, "an output destination is not usable"),
    "InvalidRegistration": (FAILURE, "register_as_dataset breaks OP-OUT-6"),
    "ProjectNotDraft": (FAILURE, "only draft Projects can be activated"),
    "EmptyPipeline": (FAILURE, "a Project without operations"),
    # scenario harness (scenarios.md §7)
    "ScenarioParseError": (INPUT, "a scenario file cannot be read"),
    "SchemaValidationError": (INPUT, "scenario data does not fit its Dataset"),
    "DataFileNotFound": (INPUT, "a scenario data file is missing"),
    "ProjectNotFound": (INPUT, "a scenario's project ref names no stored Project"),
    "DatasetNotProvided": (INPUT, "a scenario does not define a Dataset the Project loads"),
    "ExecutionFailure": (FAILURE, "the scenario's Run failed"),
}


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
    """Base of every error the product reports; ``code`` is from CATALOGUE."""

    code: ClassVar[str] = "OperationFailure"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        detail: str | None = None,
        location: Location | None = None,
        rule: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        if code is not None:
            self.code = code  # type: ignore[misc]
        if self.code not in CATALOGUE:
            raise ValueError(f"error code {self.code!r} is not in the catalogue")
        self.message = message
        self.detail = detail
        self.location = location or Location()
        self.rule = rule
        self.payload = payload or {}
        super().__init__(self.render())

    @property
    def category(self) -> str:
        return CATALOGUE[self.code][0]

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
        self.code = first.code  # type: ignore[misc]
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


def error_class(code: str, doc: str | None = None) -> type[DoboError]:
    """A DoboError subclass for one catalogue code (``except SchemaMismatch:``)."""

    if code not in CATALOGUE:
        raise ValueError(f"error code {code!r} is not in the catalogue")
    return type(code, (DoboError,), {"code": code, "__doc__": doc or CATALOGUE[code][1]})


# One class per catalogue code, importable by name: ``from dobo_engine.errors import SchemaMismatch``.
# Modules with richer errors (the DSL's caret excerpts) subclass these.
for _code in CATALOGUE:
    globals()[_code] = error_class(_code)
del _code
