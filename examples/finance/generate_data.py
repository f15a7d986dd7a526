"""Writes the finance example's data files under examples/finance/data.

2026-01 holds exactly the sample rows of the entity reference (§8) as CSV
(the legacy format, before the 2026-02-01 cut-over); 2026-02 and 2026-03 are
deterministic generated rows as Parquet; exchange rates are one bitemporal
Parquet file. Re-running the script reproduces the same files.

    python examples/finance/generate_data.py [--out DIR]
"""

from __future__ import annotations

import argparse
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl

AMOUNT = pl.Decimal(18, 2)
RATE = pl.Decimal(18, 6)

TRANSACTIONS_SCHEMA = {
    "journal_id": pl.Utf8,
    "line_number": pl.Int64,
    "posting_date": pl.Date,
    "account_code": pl.Utf8,
    "cost_center_code": pl.Utf8,
    "currency": pl.Utf8,
    "amount_local": AMOUNT,
    "amount_reporting": AMOUNT,
    "description": pl.Utf8,
    "source_system": pl.Utf8,
}

SAMPLE_TRANSACTIONS = [
    ("JE-001", 1, date(2026, 1, 5), "4100", "CC-100", "USD", "15000.00", "15000.00", "Product revenue", "ERP"),
    ("JE-001", 2, date(2026, 1, 5), "1200", "CC-100", "USD", "15000.00", "15000.00", "AR - product revenue", "ERP"),
    ("JE-002", 1, date(2026, 1, 10), "5100", "CC-200", "EUR", "8500.00", None, "Office supplies", "EXPENSE"),
    ("JE-002", 2, date(2026, 1, 10), "2100", "CC-200", "EUR", "-8500.00", None, "AP - office supplies", "EXPENSE"),
    ("JE-003", 1, date(2026, 1, 15), "4200", "CC-300", "GBP", "22000.00", None, "Consulting revenue", "ERP"),
    ("JE-003", 2, date(2026, 1, 15), "1200", "CC-300", "GBP", "22000.00", None, "AR - consulting", "ERP"),
    ("JE-004", 1, date(2026, 1, 20), "5200", "CC-100", "USD", "3200.00", "3200.00", "Travel expense", "EXPENSE"),
    ("JE-004", 2, date(2026, 1, 20), "2100", "CC-100", "USD", "-3200.00", "-3200.00", "AP - travel", "EXPENSE"),
    ("JE-005", 1, date(2026, 1, 25), "4100", "CC-200", "JPY", "2500000.00", None, "Product revenue JP", "ERP"),
    ("JE-005", 2, date(2026, 1, 25), "1200", "CC-200", "JPY", "2500000.00", None, "AR - product JP", "ERP"),
]

ACCOUNTS = [
    ("1200", "Accounts Receivable", "asset", "operating"),
    ("2100", "Accounts Payable", "liability", "operating"),
    ("4100", "Product Revenue", "revenue", "operating"),
    ("4200", "Consulting Revenue", "revenue", "operating"),
    ("5100", "Office Supplies", "expense", "operating"),
    ("5200", "Travel & Entertainment", "expense", "operating"),
    ("6100", "Depreciation", "expense", "non-operating"),
]

COST_CENTERS = [
    ("CC-100", "Sales NA", "Sales", "AMER"),
    ("CC-200", "Operations EU", "Operations", "EMEA"),
    ("CC-300", "Consulting UK", "Consulting", "EMEA"),
    ("CC-400", "Engineering", "Engineering", "AMER"),
]

EXCHANGE_RATES = [
    ("EUR", "USD", "1.0850", "closing", date(2025, 1, 1), date(2026, 1, 1)),
    ("EUR", "USD", "1.0920", "closing", date(2026, 1, 1), None),
    ("GBP", "USD", "1.2650", "closing", date(2025, 1, 1), date(2026, 1, 1)),
    ("GBP", "USD", "1.2710", "closing", date(2026, 1, 1), None),
    ("JPY", "USD", "0.00667", "closing", date(2025, 1, 1), date(2026, 1, 1)),
    ("JPY", "USD", "0.00672", "closing", date(2026, 1, 1), None),
    ("USD", "USD", "1.0000", "closing", date(2020, 1, 1), None),
    ("EUR", "USD", "1.0800", "average", date(2025, 1, 1), date(2026, 1, 1)),
    ("EUR", "USD", "1.0900", "average", date(2026, 1, 1), None),
]

BUDGETS = [
    ("BUD-001", 1, "4100", "CC-100", "USD", "20000.00", "original"),
    ("BUD-001", 2, "5100", "CC-200", "EUR", "10000.00", "original"),
    ("BUD-001", 3, "4200", "CC-300", "GBP", "25000.00", "original"),
    ("BUD-001", 4, "5200", "CC-100", "USD", "5000.00", "original"),
]

# Journal templates for generated months: (debit account, credit account, description, system).
TEMPLATES = [
    ("4100", "1200", "Product revenue", "ERP"),
    ("4200", "1200", "Consulting revenue", "ERP"),
    ("5100", "2100", "Office supplies", "EXPENSE"),
    ("5200", "2100", "Travel expense", "EXPENSE"),
    ("6100", "2100", "Depreciation", "ERP"),
]
CURRENCIES = ["USD", "EUR", "GBP", "JPY"]
BUDGET_TYPES = ["original", "revised", "forecast"]


def _decimals(values: list[str | None], dtype: pl.Decimal) -> pl.Series:
    return pl.Series([None if v is None else Decimal(v) for v in values], dtype=dtype)


def _frame(rows: list[tuple], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    data = {}
    for (name, dtype), values in zip(schema.items(), columns):
        if isinstance(dtype, pl.Decimal):
            data[name] = _decimals(list(values), dtype)
        else:
            data[name] = pl.Series(name, list(values), dtype=dtype)
    return pl.DataFrame(data)


def generated_transactions(year: int, month: int, entries: int) -> pl.DataFrame:
    rng = random.Random(year * 100 + month)
    rows = []
    for entry in range(1, entries + 1):
        debit, credit, text, system = rng.choice(TEMPLATES)
        currency = rng.choice(CURRENCIES)
        cents = rng.randrange(10_000, 5_000_000) * (100 if currency == "JPY" else 1)
        amount = Decimal(cents).scaleb(-2)
        day = rng.randint(1, 28)
        cost_center = rng.choice([c[0] for c in COST_CENTERS] + [None])
        reporting = str(amount) if currency == "USD" else None
        jid = f"JE-{year % 100:02d}{month:02d}-{entry:04d}"
        posted = date(year, month, day)
        rows.append((jid, 1, posted, debit, cost_center, currency, str(amount), reporting, text, system))
        negated = None if reporting is None else str(-amount)
        rows.append((jid, 2, posted, credit, cost_center, currency, str(-amount), negated, f"{text} (offset)", system))
    return _frame(rows, TRANSACTIONS_SCHEMA)


def generated_budgets(year: int, month: int, lines: int) -> pl.DataFrame:
    rng = random.Random(10_000 + year * 100 + month)
    rows = []
    for line in range(1, lines + 1):
        account = rng.choice(ACCOUNTS)[0]
        cost_center = rng.choice(COST_CENTERS)[0]
        amount = Decimal(rng.randrange(100_000, 10_000_000)).scaleb(-2)
        rows.append(
            (
                f"BUD-{year}{month:02d}",
                line,
                account,
                cost_center,
                rng.choice(CURRENCIES),
                str(amount),
                rng.choice(BUDGET_TYPES),
            )
        )
    return _frame(rows, BUDGETS_SCHEMA)


BUDGETS_SCHEMA = {
    "budget_id": pl.Utf8,
    "line_number": pl.Int64,
    "account_code": pl.Utf8,
    "cost_center_code": pl.Utf8,
    "currency": pl.Utf8,
    "amount": AMOUNT,
    "budget_type": pl.Utf8,
}
ACCOUNTS_SCHEMA = {"code": pl.Utf8, "name": pl.Utf8, "type": pl.Utf8, "category": pl.Utf8, "is_active": pl.Boolean}
COST_CENTERS_SCHEMA = {
    "code": pl.Utf8,
    "name": pl.Utf8,
    "department": pl.Utf8,
    "region": pl.Utf8,
    "is_active": pl.Boolean,
}
RATES_SCHEMA = {
    "from_currency": pl.Utf8,
    "to_currency": pl.Utf8,
    "rate": RATE,
    "rate_type": pl.Utf8,
    "_period_from": pl.Date,
    "_period_to": pl.Date,
}


def reference_tables() -> dict[str, pl.DataFrame]:
    return {
        "accounts": _frame([(*a, True) for a in ACCOUNTS], ACCOUNTS_SCHEMA),
        "cost_centers": _frame([(*c, True) for c in COST_CENTERS], COST_CENTERS_SCHEMA),
    }


def write_all(out: Path) -> list[Path]:
    written: list[Path] = []

    def save(frame: pl.DataFrame, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".csv":
            frame.write_csv(path)
        else:
            frame.write_parquet(path, statistics=False)
        written.append(path)

    january = out / "2026" / "01"
    save(_frame(SAMPLE_TRANSACTIONS, TRANSACTIONS_SCHEMA), january / "transactions.csv")
    save(_frame(BUDGETS, BUDGETS_SCHEMA), january / "budgets.csv")
    for name, frame in reference_tables().items():
        save(frame, january / f"{name}.csv")
    for month in (2, 3):
        folder = out / "2026" / f"{month:02d}"
        save(generated_transactions(2026, month, entries=150), folder / "transactions.parquet")
        save(generated_budgets(2026, month, lines=40), folder / "budgets.parquet")
        for name, frame in reference_tables().items():
            save(frame, folder / f"{name}.parquet")
    save(_frame(EXCHANGE_RATES, RATES_SCHEMA), out / "reference" / "exchange_rates.parquet")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "data")
    args = parser.parse_args()
    for path in write_all(args.out):
        print(path)


if __name__ == "__main__":
    main()
