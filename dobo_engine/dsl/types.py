"""Types of the expression language (dsl.md §5) and their Polars dtypes.

A :class:`DslType` is a kind plus, for decimals, precision and scale. Two
kinds exist only inside the checker: ``null`` (the type of a bare ``NULL``)
and ``unknown`` (the type of a sub-expression that already failed; it is
compatible with everything, so one mistake gives one error, V-3).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import polars as pl

MAX_PRECISION = 38
MAX_LITERAL_SCALE = 18
DEFAULT_PRECISION = 38
DEFAULT_SCALE = 6

KINDS = ("string", "integer", "decimal", "boolean", "date", "timestamp", "null", "unknown")
COLUMN_TYPE_NAMES = ("string", "integer", "decimal", "boolean", "date", "timestamp")


@dataclass(frozen=True, slots=True)
class DslType:
    kind: str
    precision: int | None = None
    scale: int | None = None

    def __str__(self) -> str:
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        return self.kind

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("integer", "decimal")

    @property
    def is_temporal(self) -> bool:
        return self.kind in ("date", "timestamp")

    @property
    def is_orderable(self) -> bool:
        return self.kind in ("integer", "decimal", "string", "date", "timestamp")

    @property
    def is_vague(self) -> bool:
        """null or unknown: accepted wherever a concrete type is wanted."""
        return self.kind in ("null", "unknown")

    def to_polars(self) -> pl.DataType:
        if self.kind == "decimal":
            return pl.Decimal(self.precision or DEFAULT_PRECISION, self.scale or 0)
        if self.kind == "unknown":
            raise ValueError("the unknown type has no Polars dtype")
        return _POLARS[self.kind]

    @staticmethod
    def from_column(type_name: str, precision: int | None = None, scale: int | None = None) -> DslType:
        """The type of a Dataset column (D4); decimals default to 38/6."""
        name = type_name.strip().lower()
        if name == "decimal":
            p = DEFAULT_PRECISION if precision is None else precision
            s = DEFAULT_SCALE if scale is None else scale
            if not (1 <= p <= MAX_PRECISION and 0 <= s <= p):
                raise ValueError(f"invalid decimal precision/scale {p}/{s}")
            return DslType("decimal", p, s)
        if name not in COLUMN_TYPE_NAMES:
            raise ValueError(f"unknown column type {type_name!r} (one of {', '.join(COLUMN_TYPE_NAMES)})")
        return DslType(name)

    @staticmethod
    def from_polars(dtype: pl.DataType) -> DslType:
        """The DSL type of a Polars dtype (for frames built outside a Dataset)."""
        if isinstance(dtype, pl.Decimal):
            return DslType("decimal", dtype.precision or DEFAULT_PRECISION, dtype.scale)
        for kind, pdt in _POLARS.items():
            if kind != "null" and dtype == pdt:
                return DslType(kind)
        if dtype == pl.Null:
            return NULL
        if isinstance(dtype, pl.Datetime):
            return TIMESTAMP
        if dtype in (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16, pl.UInt32):
            return INTEGER
        raise ValueError(f"no DSL type for Polars dtype {dtype}")


STRING = DslType("string")
INTEGER = DslType("integer")
BOOLEAN = DslType("boolean")
DATE = DslType("date")
TIMESTAMP = DslType("timestamp")
NULL = DslType("null")
UNKNOWN = DslType("unknown")


@cache
def decimal(scale: int, precision: int = MAX_PRECISION) -> DslType:
    # Cached (types are immutable): the checker and compiler ask for a few scales many times.
    return DslType("decimal", precision, scale)


_POLARS: dict[str, pl.DataType] = {
    "string": pl.Utf8(),
    "integer": pl.Int64(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us", "UTC"),
    "null": pl.Null(),
}


def scale_of(t: DslType) -> int:
    """Integers count as scale 0 in decimal arithmetic (§5)."""
    return t.scale or 0 if t.kind == "decimal" else 0


def common_type(*types: DslType) -> DslType | None:
    """The common type of operands (§5), or None when there is none.

    NULLs are ignored; an unknown operand makes the result unknown (it is
    compatible with everything and must not produce a second error).
    """
    concrete = [t for t in types if t.kind != "null"]
    if any(t.kind == "unknown" for t in concrete):
        return UNKNOWN
    if not concrete:
        return NULL
    kinds = {t.kind for t in concrete}
    if kinds <= {"integer", "decimal"}:
        if kinds == {"integer"}:
            return INTEGER
        return decimal(max(scale_of(t) for t in concrete))
    if kinds <= {"date", "timestamp"}:
        return TIMESTAMP if "timestamp" in kinds else DATE
    if len(kinds) == 1:
        return concrete[0]
    return None


def is_storable(value_type: DslType, target_type: DslType) -> bool:
    """Whether a value of one type may be stored in a column of another.

    OP-UPD-4 / D35: same type, any decimal into any decimal (rounded
    half-even, overflow checked at run time), integer into decimal, date into
    timestamp, or NULL.
    """
    if value_type.is_vague or target_type.kind == "unknown":
        return True
    if value_type.kind == target_type.kind:
        return True
    if target_type.kind == "decimal" and value_type.kind == "integer":
        return True
    return target_type.kind == "timestamp" and value_type.kind == "date"
