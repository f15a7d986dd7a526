"""Fixtures for the expression-language tests: scopes and the finance sample (entities.md §8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from dobo_engine.dsl import Scope, build_scope, compile_expression
from dobo_engine.dsl.runtime import collect
from dobo_engine.dsl.scope import ColumnDef

D = Decimal

TRANSACTIONS = [
    ColumnDef("journal_id", "string"),
    ColumnDef("line_number", "integer"),
    ColumnDef("posting_date", "date"),
    ColumnDef("account_code", "string"),
    ColumnDef("cost_center_code", "string"),
    ColumnDef("currency", "string"),
    ColumnDef("amount_local", "decimal"),
    ColumnDef("amount_reporting", "decimal"),
    ColumnDef("description", "string"),
    ColumnDef("source_system", "string"),
]
ACCOUNTS = [ColumnDef(n, "string") for n in ("code", "name", "type", "category")] + [ColumnDef("is_active", "boolean")]
COST_CENTERS = [ColumnDef(n, "string") for n in ("code", "name", "department", "region")] + [
    ColumnDef("is_active", "boolean")
]
FX = [ColumnDef(n, "string") for n in ("from_currency", "to_currency", "rate_type")] + [ColumnDef("rate", "decimal")]

ROWS = [
    ("JE-001", 1, "2026-01-05", "4100", "CC-100", "USD", "15000.00", "15000.00", "Product revenue", "ERP"),
    ("JE-001", 2, "2026-01-05", "1200", "CC-100", "USD", "15000.00", "15000.00", "AR - product revenue", "ERP"),
    ("JE-002", 1, "2026-01-10", "5100", "CC-200", "EUR", "8500.00", None, "Office supplies", "EXPENSE"),
    ("JE-002", 2, "2026-01-10", "2100", "CC-200", "EUR", "-8500.00", None, "AP - office supplies", "EXPENSE"),
    ("JE-003", 1, "2026-01-15", "4200", "CC-300", "GBP", "22000.00", None, "Consulting revenue", "ERP"),
    ("JE-003", 2, "2026-01-15", "1200", "CC-300", "GBP", "22000.00", None, "AR - consulting", "ERP"),
    ("JE-004", 1, "2026-01-20", "5200", "CC-100", "USD", "3200.00", "3200.00", "Travel expense", "EXPENSE"),
    ("JE-004", 2, "2026-01-20", "2100", "CC-100", "USD", "-3200.00", "-3200.00", "AP - travel", "EXPENSE"),
    ("JE-005", 1, "2026-01-25", "4100", "CC-200", "JPY", "2500000.00", None, "Product revenue JP", "ERP"),
    ("JE-005", 2, "2026-01-25", "1200", "CC-200", "JPY", "2500000.00", None, "AR - product JP", "ERP"),
]
ACCOUNT_ROWS = {
    "1200": ("Accounts Receivable", "asset"),
    "2100": ("Accounts Payable", "liability"),
    "4100": ("Product Revenue", "revenue"),
    "4200": ("Consulting Revenue", "revenue"),
    "5100": ("Office Supplies", "expense"),
    "5200": ("Travel & Entertainment", "expense"),
}
CC_ROWS = {
    "CC-100": ("Sales NA", "Sales", "AMER"),
    "CC-200": ("Operations EU", "Operations", "EMEA"),
    "CC-300": ("Consulting UK", "Consulting", "EMEA"),
}
RATES = {"EUR": "1.0920", "GBP": "1.2710", "JPY": "0.00672", "USD": "1.0000"}


def finance_scope(
    context: str = "assignment",
    *,
    fx: bool = True,
    today: date | None = date(2026, 1, 31),
    group_by: tuple[str, ...] = (),
) -> Scope:
    lookups: dict[str, list[ColumnDef]] = {"accounts": ACCOUNTS, "cost_centers": COST_CENTERS}
    if fx:
        lookups["fx"] = FX
    return build_scope(
        TRANSACTIONS, main_name="transactions", lookups=lookups, context=context, today=today, group_by=group_by
    )


def finance_frame() -> pl.DataFrame:
    """The working frame of an update on transactions with both lookups and the fx join applied."""
    cols: dict[str, list[Any]] = {c.name: [] for c in TRANSACTIONS}
    extra: dict[str, list[Any]] = {f"accounts.{c.name}": [] for c in ACCOUNTS}
    extra.update({f"cost_centers.{c.name}": [] for c in COST_CENTERS})
    extra.update({f"fx.{c.name}": [] for c in FX})
    for row in ROWS:
        for col, value in zip(TRANSACTIONS, row):
            if col.type == "decimal" and value is not None:
                value = D(value)
            if col.type == "date":
                value = date.fromisoformat(value)
            cols[col.name].append(value)
        name, kind = ACCOUNT_ROWS[row[3]]
        for k, v in zip(("code", "name", "type", "category", "is_active"), (row[3], name, kind, "operating", True)):
            extra[f"accounts.{k}"].append(v)
        cc = CC_ROWS[row[4]]
        for k, v in zip(("code", "name", "department", "region", "is_active"), (row[4], *cc, True)):
            extra[f"cost_centers.{k}"].append(v)
        for k, v in zip(
            ("from_currency", "to_currency", "rate_type", "rate"), (row[5], "USD", "closing", D(RATES[row[5]]))
        ):
            extra[f"fx.{k}"].append(v)
    labels = [[{"key": "review", "value": "pending"}] if i == 2 else [] for i in range(len(ROWS))]
    schema = {c.name: c.binding().dtype.to_polars() for c in TRANSACTIONS}
    schema.update({f"accounts.{c.name}": c.binding().dtype.to_polars() for c in ACCOUNTS})
    schema.update({f"cost_centers.{c.name}": c.binding().dtype.to_polars() for c in COST_CENTERS})
    schema.update({f"fx.{c.name}": c.binding().dtype.to_polars() for c in FX})
    schema["_labels"] = pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8}))
    return pl.DataFrame({**cols, **extra, "_labels": labels}, schema=schema)


def evaluate(text: str, frame: pl.DataFrame, scope: Scope, **kwargs: Any) -> list[Any]:
    compiled = compile_expression(text, scope, **kwargs)
    return collect(frame.lazy().select(compiled.expr.alias("v")))["v"].to_list()


@pytest.fixture
def ev() -> Callable[..., list[Any]]:
    """Evaluate an expression over a small frame given as {column: (type, values)}."""

    def run(text: str, columns: dict[str, tuple[str, list[Any]]] | None = None, **kwargs: Any) -> list[Any]:
        columns = columns or {"_dummy": ("integer", [0])}
        defs = [ColumnDef(n, *_type(t)) for n, (t, _) in columns.items()]
        scope = build_scope(
            defs, today=kwargs.pop("today", date(2026, 1, 31)), context=kwargs.pop("context", "assignment")
        )
        frame = pl.DataFrame(
            {n: v for n, (_, v) in columns.items()},
            schema={d.name: d.binding().dtype.to_polars() for d in defs},
        )
        return evaluate(text, frame, scope, **kwargs)

    return run


def _type(text: str) -> tuple[str, int | None, int | None]:
    if text.startswith("decimal(") and text.endswith(")"):
        p, s = text[8:-1].split(",")
        return "decimal", int(p), int(s)
    return text, None, None
