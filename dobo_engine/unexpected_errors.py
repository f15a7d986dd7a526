"""Which dobo error an exception that is not a DoboError becomes (D31).

Polars and pyarrow raise on the user's data — a strict cast that fails, a
frame that does not fit a schema, an arithmetic overflow — and those keep a
catalogue code the user can act on (``NumericOverflow``, ``OperationFailure``).
An operating-system failure (a full disk, a refused permission) is not dobo's
fault either. Anything else that escapes (AttributeError, KeyError, TypeError
from dobo's own code) is a bug in dobo: :class:`InternalError`, exit 1, with
a request to report it. The decision is made on the exception's type.
"""

from __future__ import annotations

import polars as pl

from dobo_engine.errors import DoboError, InternalError, Location, NumericOverflow, OperationFailure

# Raised by Polars while evaluating the user's expressions over the user's data.
POLARS_DATA_ERRORS: tuple[type[Exception], ...] = (
    pl.exceptions.ComputeError,
    pl.exceptions.InvalidOperationError,
    pl.exceptions.SchemaError,
    pl.exceptions.SchemaFieldNotFoundError,
    pl.exceptions.ColumnNotFoundError,
    pl.exceptions.ShapeError,
    pl.exceptions.DuplicateError,
)


def _is_arrow_error(err: BaseException) -> bool:
    """pyarrow's errors about values (ArrowInvalid, ArrowTypeError, ...), known without importing
    pyarrow (a fifth of the engine's import time): their classes all derive from ArrowException."""
    return any(c.__name__ == "ArrowException" and c.__module__.startswith("pyarrow") for c in type(err).__mro__)


# The machine, not dobo: disks, permissions, memory.
ENVIRONMENT_ERRORS: tuple[type[Exception], ...] = (OSError, MemoryError)

# Polars has no exception type for overflow: a failed checked cast or decimal
# overflow is a ComputeError/InvalidOperationError whose message is the only signal.
_OVERFLOW_MARKERS = ("overflow", "conversion from `decimal", "conversion from `i")


def is_overflow(err: BaseException) -> bool:
    """Whether a Polars error is a value that does not fit its type."""
    if not isinstance(err, (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError)):
        return False
    text = str(err)
    return any(marker in text for marker in _OVERFLOW_MARKERS)


def from_unexpected(err: Exception, *, operation_order: int | None = None) -> DoboError:
    """The DoboError that reports ``err``; the caller raises it ``from err``."""
    location = Location(operation_order=operation_order)
    text = str(err)
    first = text.splitlines()[0] if text else type(err).__name__
    if is_overflow(err):
        return NumericOverflow(f"a value does not fit its type: {first}", location=location)
    if isinstance(err, POLARS_DATA_ERRORS):
        return OperationFailure(f"operation failed: {first}", detail=text, location=location)
    if _is_arrow_error(err) or isinstance(err, ENVIRONMENT_ERRORS):
        return OperationFailure(f"operation failed: {type(err).__name__}: {err}", location=location)
    return InternalError.from_exception(err, location=location)


__all__ = ["from_unexpected", "is_overflow"]
