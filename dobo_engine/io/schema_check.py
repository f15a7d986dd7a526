"""The load-time schema check and system-column filling (DS-6, ROW-1/2/7, OP-SYS-2).

:func:`conform` turns one loaded location into a frame with exactly the
declared columns (converted exactly to their types) followed by the table's
system columns. All problems are found by one aggregate query over the
frame and reported together in one ``SchemaMismatch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from dobo_engine.columns import (
    KNOWLEDGE_COLUMNS,
    LABELS_DTYPE,
    SYSTEM_COLUMNS,
    TIMESTAMP_DTYPE,
    ColumnLike,
    column_dtype,
    system_columns_for,
)
from dobo_engine.errors import DuplicateRowId, SchemaMismatch, UnreadableData
from dobo_engine.io.exact_casts import conversion
from dobo_engine.io.row_ids import ROW_ID_DTYPE, is_row_id_text, row_id_compact_expr, row_id_from_text

# System columns that must hold a value on every row once present.
_NOT_NULL_SYSTEM = ("_period_from", "_valid_from")
_EXAMPLE_LIMIT = 60
# What Python's date/datetime (and so the trace read-back) can hold: years 1..9999.
_MIN_YEAR, _MAX_YEAR = 1, 9999


@dataclass(frozen=True)
class ColumnProblem:
    column: str
    problem: str  # missing | conversion | nulls | unavailable
    count: int | None = None
    example: str | None = None
    expected: str | None = None

    def render(self) -> str:
        if self.problem == "missing":
            return f"{self.column}: missing (declared {self.expected})"
        if self.problem == "conversion":
            example = f", e.g. {self.example!r}" if self.example is not None else ""
            return f"{self.column}: {self.count} value(s) cannot be held exactly as {self.expected}{example}"
        if self.problem == "nulls":
            return f"{self.column}: {self.count} NULL(s) in a non-nullable column"
        return f"{self.column}: {self.expected}"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _type_text(column: ColumnLike | None, dtype: pl.DataType) -> str:
    if column is None:
        return str(dtype)
    if column.type == "decimal" and isinstance(dtype, pl.Decimal):
        return f"decimal({dtype.precision},{dtype.scale})"
    return column.type


def _period_problem(
    temporal_mode: str, present: set[str], period_identifier: str | None, descendants_ok: bool
) -> list[ColumnProblem]:
    problems: list[ColumnProblem] = []
    if temporal_mode == "period" and "_period" not in present and not (descendants_ok and period_identifier):
        why = f"Period {period_identifier!r}" if period_identifier else "this location"
        problems.append(
            ColumnProblem(
                "_period", "unavailable", expected=f"missing, and {why} is not the Run's Period or a descendant (ROW-2)"
            )
        )
    if temporal_mode == "bitemporal":
        if "_period_from" not in present:
            problems.append(
                ColumnProblem("_period_from", "unavailable", expected="missing from a bitemporal table (ROW-2)")
            )
        valid = [c for c in KNOWLEDGE_COLUMNS if c in present]
        if len(valid) == 1:
            problems.append(
                ColumnProblem(
                    valid[0], "unavailable", expected="_valid_from and _valid_to appear together or not at all (D9)"
                )
            )
    return problems


def conform(
    frame: pl.LazyFrame,
    columns: Sequence[ColumnLike],
    temporal_mode: str,
    *,
    dataset_id: str,
    table_name: str,
    period_identifier: str | None,
    clock: datetime,
    row_id_seed: str,
    descendants_ok: bool,
    location: str | None = None,
) -> pl.LazyFrame:
    """Check one loaded location against its declared columns and fill system columns.

    ``period_identifier`` is the location's Period; ``descendants_ok`` says it is
    the Run's Period or a descendant, so it may fill a missing ``_period`` (ROW-2).
    ``row_id_seed`` is the D26 seed (dataset id, table, location) for missing
    ``_row_id`` values; ``location`` (a file path or ``schema.table``) is named
    in errors. Raises ``SchemaMismatch`` listing every offending
    column, or ``DuplicateRowId``. Rows stored with ``_deleted = true`` are dropped (ROW-7).
    """
    schema = frame.collect_schema()
    present = set(schema.names())
    where = f"table {table_name!r} of Dataset {dataset_id!r}, Period {period_identifier!r}"
    if location:
        where += f", location {location!r}"

    knowledge = temporal_mode == "bitemporal" and all(c in present for c in KNOWLEDGE_COLUMNS)
    system_names = system_columns_for(temporal_mode, knowledge_axis=knowledge)

    problems: list[ColumnProblem] = []
    converted: dict[str, pl.Expr] = {}
    checks: list[pl.Expr] = []
    check_meta: list[tuple[str, str, str]] = []  # (kind, column, expected)

    targets: list[tuple[str, pl.DataType, ColumnLike | None]] = [(c.name, column_dtype(c), c) for c in columns]
    targets += [(n, SYSTEM_COLUMNS[n], None) for n in system_names if n in present]

    for name, dtype, column in targets:
        expected = _type_text(column, dtype)
        if name not in present:
            problems.append(ColumnProblem(name, "missing", expected=expected))
            continue
        value, failed = conversion(name, schema[name], dtype)
        if name == "_row_id":
            value, failed, expected = _stored_row_id(schema[name], value, failed)
        if dtype == pl.Date or isinstance(dtype, pl.Datetime):
            # Arrow holds dates far beyond year 9999; Python, and so the trace read-back, does not.
            failed = failed | (value.is_not_null() & ~value.dt.year().is_between(_MIN_YEAR, _MAX_YEAR)).fill_null(False)
            expected = f"{expected} (years {_MIN_YEAR}-{_MAX_YEAR})"
        converted[name] = value
        if not failed.meta.is_literal():
            idx = len(check_meta)
            checks.append(failed.sum().alias(f"f{idx}"))
            checks.append(pl.col(name).filter(failed).first().cast(pl.Utf8).str.head(_EXAMPLE_LIMIT).alias(f"e{idx}"))
            check_meta.append(("conversion", name, expected))
        must_have = (column is not None and not getattr(column, "nullable", True)) or name in _NOT_NULL_SYSTEM
        if must_have:
            idx = len(check_meta)
            checks.append(pl.col(name).null_count().alias(f"f{idx}"))
            checks.append(pl.lit(None, dtype=pl.Utf8).alias(f"e{idx}"))
            check_meta.append(("nulls", name, expected))

    problems += _period_problem(temporal_mode, present, period_identifier, descendants_ok)
    if "_row_id" in present:
        ids = converted["_row_id"].drop_nulls()
        checks.append((ids.len() - ids.n_unique()).alias("dup"))

    duplicates = 0
    if checks:
        try:
            result = frame.select(checks).collect().row(0, named=True)
        except pl.exceptions.PolarsError as exc:
            # A lazily scanned file fails only now (a corrupt Parquet page, say): say which location.
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UnreadableData(
                f"{where}: the data cannot be read: {reason}",
                rule="RES-8",
                payload={"dataset_id": dataset_id, "table": table_name, "period": period_identifier},
            ) from None
        for idx, (kind, name, expected) in enumerate(check_meta):
            count = int(result[f"f{idx}"] or 0)
            if count:
                problems.append(ColumnProblem(name, kind, count=count, example=result[f"e{idx}"], expected=expected))
        duplicates = int(result.get("dup") or 0)

    if problems:
        listing = "; ".join(p.render() for p in problems)
        raise SchemaMismatch(
            f"{where}: {len(problems)} column problem(s): {listing}",
            rule="DS-6",
            payload={
                "dataset_id": dataset_id,
                "table": table_name,
                "period": period_identifier,
                "columns": [p.as_dict() for p in problems],
            },
        )
    if duplicates:
        raise DuplicateRowId(f"{where}: {duplicates} row(s) repeat a stored _row_id", rule="OP-SYS-2")

    return frame.select(
        _output_columns(
            columns,
            system_names,
            converted,
            dataset_id=dataset_id,
            table_name=table_name,
            period_identifier=period_identifier,
            clock=clock,
            row_id_seed=row_id_seed,
            descendants_ok=descendants_ok,
        )
    ).filter(~pl.col("_deleted"))


def _stored_row_id(source: pl.DataType, text: pl.Expr, failed: pl.Expr) -> tuple[pl.Expr, pl.Expr, str]:
    """A stored ``_row_id`` in the engine's form (D37): (value, failed, expected type).

    Stored ids are UUID text (entities.md §1); any other text cannot be held
    as the 128-bit id and is reported like any value that does not convert.
    """
    if source == ROW_ID_DTYPE:  # already the engine's form
        return pl.col("_row_id"), pl.lit(False), "UUID"
    not_uuid = (text.is_not_null() & ~is_row_id_text(text)).fill_null(False)
    return row_id_from_text(text), failed | not_uuid, "UUID text (D26)"


def _output_columns(
    columns: Sequence[ColumnLike],
    system_names: list[str],
    converted: dict[str, pl.Expr],
    *,
    dataset_id: str,
    table_name: str,
    period_identifier: str | None,
    clock: datetime,
    row_id_seed: str,
    descendants_ok: bool,
) -> list[pl.Expr]:
    utc_clock = clock if clock.tzinfo else clock.replace(tzinfo=UTC)
    clock_lit = pl.lit(utc_clock).cast(TIMESTAMP_DTYPE)
    fills: dict[str, pl.Expr] = {
        # Stored values are kept (ROW-1); NULLs inside a stored column are filled like a missing column.
        "_row_id": row_id_compact_expr(clock, row_id_seed),
        "_source_dataset_id": pl.lit(dataset_id, dtype=pl.Utf8),
        "_source_table": pl.lit(table_name, dtype=pl.Utf8),
        "_created_by_project_id": pl.lit(None, dtype=pl.Utf8),
        "_created_by_run_id": pl.lit(None, dtype=pl.Utf8),
        "_created_at": clock_lit,
        "_updated_at": clock_lit,
        "_deleted": pl.lit(False),
        "_labels": pl.lit([], dtype=LABELS_DTYPE),
        "_period": pl.lit(period_identifier if descendants_ok else None, dtype=pl.Utf8),
        "_period_to": pl.lit(None, dtype=pl.Date),
    }
    out = [converted[c.name].alias(c.name) for c in columns]
    for name in system_names:
        dtype = ROW_ID_DTYPE if name == "_row_id" else SYSTEM_COLUMNS[name]
        stored = converted.get(name)
        fill = fills.get(name)
        if (
            stored is not None
            and fill is not None
            and name not in ("_created_by_project_id", "_created_by_run_id", "_period_to", "_valid_to")
        ):
            expr = pl.coalesce(stored, fill)
        elif stored is not None:
            expr = stored
        elif fill is not None:
            expr = fill
        else:  # only reachable for columns checked above (_period_from); keep the frame well-typed
            expr = pl.lit(None, dtype=dtype)
        out.append(expr.cast(dtype).alias(name))
    return out


__all__ = ["conform", "ColumnProblem"]
