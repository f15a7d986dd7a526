"""Trace assertions (scenarios.md §6) against the trace the real writer wrote.

Row states after step N are rebuilt from the trace files alone, the same way
``trace.md`` §4 rebuilds one row, but for all rows at once with frame joins:
``created`` events give the starting rows, ``updated`` events are merged
column by column where the column is in ``changed_columns``, ``deleted``
events set ``_deleted``. ``row_match`` is then a frame filter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl

from dobo_engine.harness.compare import plain
from dobo_engine.harness.values import fraction_digits, labels_value, text_to, to_text
from dobo_engine.trace.format import AFTER, BEFORE, CHANGE_TYPE, CHANGED_COLUMNS, ROW_ID
from dobo_engine.trace.reader import TraceReader
from dobo_engine.trace.runinfo import RunInfo

_RID, _NEW = "__rid", "__new"


def rebuild_states(reader: TraceReader, run: RunInfo, step: int) -> pl.DataFrame:
    """Every row that exists after ``step``, as the trace rebuilds it (plus ``__rid``)."""
    state: pl.DataFrame | None = None
    for s in run.traced_steps(upto=step):
        events = reader.operation_changes(run, s)
        created = events.filter(pl.col(CHANGE_TYPE) == "created")
        if created.height:
            rows = created.select(pl.col(ROW_ID).alias(_RID), pl.col(AFTER)).unnest(AFTER)
            state = rows if state is None else pl.concat([state, rows], how="diagonal_relaxed")
        if state is None:
            continue
        updated = events.filter(pl.col(CHANGE_TYPE) == "updated")
        if updated.height:
            state = _merge_updates(state, updated)
        deleted = events.filter(pl.col(CHANGE_TYPE) == "deleted")[ROW_ID]
        touched = pl.concat([updated[ROW_ID], deleted])
        state = state.with_columns(
            pl.when(pl.col(_RID).is_in(deleted.implode())).then(True).otherwise(pl.col("_deleted")).alias("_deleted"),
            pl.when(pl.col(_RID).is_in(touched.implode()))
            .then(pl.lit(run.clock).cast(state.schema["_updated_at"]))
            .otherwise(pl.col("_updated_at"))
            .alias("_updated_at"),
        )
    if state is None:
        return pl.DataFrame({_RID: []}, schema={_RID: pl.Utf8})
    return state


def _merge_updates(state: pl.DataFrame, updated: pl.DataFrame) -> pl.DataFrame:
    after = updated.schema[AFTER]
    if not isinstance(after, pl.Struct):  # every trace file stores `after` as a struct (TR-2)
        raise TypeError(f"trace column {AFTER!r} is {after}, not a struct")
    fields = [f.name for f in after.fields]
    new = updated.select(
        pl.col(ROW_ID).alias(_RID),
        pl.col(CHANGED_COLUMNS),
        *[pl.col(AFTER).struct.field(f).alias(f + _NEW) for f in fields],
    )
    missing = [pl.lit(None, dtype=new.schema[f + _NEW]).alias(f) for f in fields if f not in state.columns]
    merged = state.with_columns(missing).join(new, on=_RID, how="left", maintain_order="left")
    exprs = []
    for f in fields:
        target = merged.schema[f] if merged.schema[f] != pl.Null else new.schema[f + _NEW]
        changed = pl.col(CHANGED_COLUMNS).list.contains(pl.lit(f)).fill_null(False)
        exprs.append(pl.when(changed).then(pl.col(f + _NEW).cast(target)).otherwise(pl.col(f).cast(target)).alias(f))
    return merged.with_columns(exprs).drop([CHANGED_COLUMNS, *(f + _NEW for f in fields)])


def pick(state: pl.DataFrame, row_match: Mapping[str, Any]) -> tuple[list[str], str | None]:
    """Row ids whose state matches every ``row_match`` value; or a reason why none can."""
    conditions: list[pl.Expr] = []
    for column, value in row_match.items():
        if column not in state.columns:
            return [], f"column {column!r} is not in the rebuilt row state"
        dtype = state.schema[column]
        if value is None:
            conditions.append(pl.col(column).is_null())
            continue
        if column == "_labels":
            try:
                wanted = pl.Series([labels_value(value)], dtype=state.schema[column])
            except ValueError as exc:
                return [], str(exc)
            conditions.append(pl.col(column).eq_missing(pl.lit(wanted[0], dtype=dtype)))
            continue
        text = pl.Series([to_text(value)], dtype=pl.Utf8)
        if isinstance(dtype, pl.Decimal):
            common = pl.Decimal(38, min(max(fraction_digits(text), dtype.scale or 0), 30))
            converted = text.to_frame("v").select(text_to(pl.col("v"), common, decimal_scale=common.scale))["v"]
            conditions.append(pl.col(column).cast(common) == converted[0])
        else:
            converted = text.to_frame("v").select(text_to(pl.col("v"), dtype))["v"]
            if converted[0] is None:
                return [], f"{value!r} is not a valid value of {column!r}"
            conditions.append(pl.col(column) == pl.lit(converted[0], dtype=dtype))
    picked = state.filter(pl.all_horizontal(conditions) if conditions else pl.lit(True))
    return picked[_RID].to_list(), None


def same_value(expected: Any, actual: Any, tolerance: float) -> bool:
    """Expected YAML value vs one event value, with §5.4 equality."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected or (isinstance(expected, str) and expected.lower() == str(actual).lower())
    if isinstance(actual, float):
        try:
            return abs(float(to_text(expected) or "nan") - actual) <= tolerance
        except ValueError:
            return False
    if isinstance(actual, (int, Decimal)):
        try:
            return Decimal(to_text(expected) or "x") == Decimal(actual)
        except InvalidOperation:
            return False
    if isinstance(actual, datetime):
        try:
            parsed = datetime.fromisoformat(str(expected).replace("Z", "+00:00"))
        except ValueError:
            return False
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return parsed == (actual if actual.tzinfo else actual.replace(tzinfo=UTC))
    if isinstance(actual, date):
        return str(to_text(expected)) == actual.isoformat()
    if isinstance(actual, list):
        return (plain(actual) or {}) == (expected or {})
    return str(to_text(expected)) == str(actual)


def _event_view(event: Mapping[str, Any]) -> dict[str, Any]:
    changed = list(event[CHANGED_COLUMNS] or [])
    before = event[BEFORE] or None
    return {
        "row_id": event[ROW_ID],
        "change_type": event[CHANGE_TYPE],
        "changed_columns": changed,
        "before": {c: plain(before.get(c)) for c in changed} if before else None,
        "after": {c: plain((event[AFTER] or {}).get(c)) for c in changed},
    }


def _diff_problems(assertion: Mapping[str, Any], event: Mapping[str, Any], tolerance: float) -> list[str]:
    problems: list[str] = []
    kind = assertion["change_type"]
    changed = set(event[CHANGED_COLUMNS] or [])
    before, after = event[BEFORE] or {}, event[AFTER] or {}
    if kind == "deleted" and after.get("_deleted") is not True:
        problems.append("_deleted")
    for column, diff in (assertion.get("expected_diff") or {}).items():
        if kind != "created" and column not in changed:
            problems.append(column)
            continue
        if kind != "created" and "old" in diff and not same_value(diff["old"], before.get(column), tolerance):
            problems.append(column)
        elif "new" in diff and not same_value(diff["new"], after.get(column), tolerance):
            problems.append(column)
    return problems


def check_trace(
    assertions: Sequence[Mapping[str, Any]], reader: TraceReader, run: RunInfo, *, exact: bool, tolerance: float
) -> list[dict[str, Any]]:
    """Every trace mismatch (§6): missing_event, diff_mismatch, and extra_event in exact mode."""
    found: list[dict[str, Any]] = []
    valid = set(run.valid_steps())
    for order in sorted({int(a["operation_order"]) for a in assertions}):
        items = [a for a in assertions if int(a["operation_order"]) == order]
        if order not in valid:
            found += [
                {
                    "operation_order": order,
                    "type": "missing_event",
                    "expected": dict(a),
                    "actual": None,
                    "columns": [],
                    "reason": f"operation {order} is not a step of this Run",
                }
                for a in items
            ]
            continue
        state = rebuild_states(reader, run, order)
        events = reader.operation_changes(run, order)
        claimed: set[str] = set()
        for assertion in items:
            ids, why = pick(state, assertion["row_match"] or {})
            if not ids:
                found.append(
                    {
                        "operation_order": order,
                        "type": "missing_event",
                        "expected": dict(assertion),
                        "actual": None,
                        "columns": [],
                        "reason": why or "no row matches row_match",
                    }
                )
                continue
            by_id = {e[ROW_ID]: e for e in events.filter(pl.col(ROW_ID).is_in(ids)).to_dicts()}
            for row_id in ids:  # the handful of rows one assertion picks
                event = by_id.get(row_id)
                if event is None:
                    found.append(
                        {
                            "operation_order": order,
                            "type": "missing_event",
                            "expected": dict(assertion),
                            "actual": None,
                            "columns": [],
                            "reason": f"row {row_id} has no event",
                        }
                    )
                    continue
                claimed.add(row_id)
                if event[CHANGE_TYPE] != assertion["change_type"]:
                    found.append(
                        {
                            "operation_order": order,
                            "type": "diff_mismatch",
                            "expected": dict(assertion),
                            "actual": _event_view(event),
                            "columns": ["change_type"],
                        }
                    )
                    continue
                problems = _diff_problems(assertion, event, tolerance)
                if problems:
                    found.append(
                        {
                            "operation_order": order,
                            "type": "diff_mismatch",
                            "expected": dict(assertion),
                            "actual": _event_view(event),
                            "columns": problems,
                        }
                    )
        if exact:
            extra = events.filter(~pl.col(ROW_ID).is_in(sorted(claimed)))
            found += [
                {
                    "operation_order": order,
                    "type": "extra_event",
                    "expected": None,
                    "actual": _event_view(e),
                    "columns": list(e[CHANGED_COLUMNS] or []),
                }
                for e in extra.to_dicts()
            ]
    return found


__all__ = ["check_trace", "rebuild_states", "pick", "same_value"]
