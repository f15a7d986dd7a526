"""Deterministic synthetic GL data at any size, shaped like the finance example.

Writes three Parquet files into one folder:

* ``transactions.parquet`` — the ``ds-gl`` main table (``transactions``):
  journal_id, line_number, posting_date, account_code, cost_center_code
  (about 8% NULL), currency, amount_local decimal(18,2), amount_reporting
  decimal(18,2) (all NULL, computed by the pipeline), description,
  source_system, ``_period`` = "2026-01". About N/2 journals (two lines on
  average), 200 accounts, 50 cost centers, 10 currencies.
* ``exchange_rates.parquet`` — the bitemporal ``ds-fx`` main table
  (from_currency, to_currency, rate decimal(18,6), rate_type closing/average,
  ``_period_from``, ``_period_to``) with four versions per pair: two closed
  ones before 2026-01, the one in force for 2026-01 (closed at 2026-02-01)
  and a later open one, so only the as-of filter picks the right rate.
* ``accounts.parquet`` — the ``accounts`` lookup of ``ds-gl`` (200 rows).

Everything is whole-column Polars: the random draws are 21-bit fields of
splitmix64 mixes of (seed, stream, row position) in UInt64 arithmetic, so the
same N and seed give the same values on every machine and Polars version, and
the first rows of a larger N are the rows of a smaller one.

    python -m benchmarks.gl_data 1000000 /tmp/gl-1m
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl

SEED = 20260101
PERIOD = "2026-01"
ACCOUNTS = 200
COST_CENTERS = 50
NULL_COST_CENTER_PERMILLE = 80
# Share of lines per currency, in per mille.
CURRENCIES: tuple[tuple[str, int], ...] = (
    ("USD", 380),
    ("EUR", 240),
    ("GBP", 110),
    ("JPY", 80),
    ("CHF", 50),
    ("CAD", 50),
    ("AUD", 30),
    ("SEK", 25),
    ("NOK", 20),
    ("DKK", 15),
)
# Closing rate to USD in force for 2026-01; other versions and types derive from it.
USD_RATE: dict[str, str] = {
    "USD": "1.000000",
    "EUR": "1.092000",
    "GBP": "1.271000",
    "JPY": "0.006720",
    "CHF": "1.132500",
    "CAD": "0.738400",
    "AUD": "0.659100",
    "SEK": "0.095430",
    "NOK": "0.093870",
    "DKK": "0.146380",
}
SOURCE_SYSTEMS = ("SAP", "ORACLE", "NETSUITE", "MANUAL")
DESCRIPTIONS = ("Invoice", "Credit note", "Accrual", "Payroll", "Reclass", "Bank fee", "Depreciation", "Intercompany")

_MASK64 = (1 << 64) - 1
TRANSACTIONS = "transactions.parquet"
EXCHANGE_RATES = "exchange_rates.parquet"
ACCOUNTS_FILE = "accounts.parquet"
MANIFEST = "manifest.json"


def _u64(value: int) -> pl.Expr:
    return pl.lit(value & _MASK64, dtype=pl.UInt64)


STREAMS = 5  # 64-bit values per row; each gives three 21-bit draws
_FIELD_BITS = 21


def _random_columns(n: int, seed: int) -> pl.DataFrame:
    """Columns ``h0..h4``: uniform 64-bit values, splitmix64 of (seed, stream, row position).

    Each mixing round is its own ``with_columns`` over materialised columns, so
    no sub-expression is evaluated more than once.
    """
    names = [f"h{k}" for k in range(STREAMS)]
    frame = pl.DataFrame({"i": pl.int_range(n, dtype=pl.UInt64, eager=True)})
    frame = frame.with_columns(
        (pl.col("i") + _u64(seed * 0x100000001B3 + k * 0xD1B54A32D192ED03 + 0x9E3779B97F4A7C15)).alias(name)
        for k, name in enumerate(names)
    )
    for shift, multiplier in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB), (31, 1)):
        frame = frame.with_columns(
            ((pl.col(c) ^ (pl.col(c) // _u64(1 << shift))) * _u64(multiplier)).alias(c) for c in names
        )
    return frame.drop("i")


# Draws per row: name -> (bound, field number); three 21-bit fields per random column.
DRAWS: dict[str, tuple[int, int]] = {
    "journal_start": (2, 0),
    "day": (31, 1),
    "account": (1 << 21, 2),
    "cc_null": (1000, 3),
    "cost_center": (COST_CENTERS, 4),
    "currency": (1000, 5),
    "mantissa": (900, 6),
    "exponent": (5, 7),
    "credit": (2, 8),
    "description": (len(DESCRIPTIONS), 9),
    "document": (100_000, 10),
    "source": (len(SOURCE_SYSTEMS), 11),
}


def _draws(n: int, seed: int) -> pl.DataFrame:
    """One Int64 column per entry of :data:`DRAWS`: uniform in [0, bound), plus the row position ``i``."""
    random = _random_columns(n, seed)
    columns = []
    for name, (bound, field) in DRAWS.items():
        stream, part = divmod(field, 3)
        bits = (pl.col(f"h{stream}") // _u64(1 << (_FIELD_BITS * part))) % _u64(1 << _FIELD_BITS)
        columns.append((bits * _u64(bound) // _u64(1 << _FIELD_BITS)).cast(pl.Int64).alias(name))
    return random.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("i"), *columns)


def _pick(index: pl.Expr, values: tuple[str, ...]) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.Utf8)).gather(index)


def _code(prefix: str, number: pl.Expr, width: int) -> pl.Expr:
    return pl.concat_str([pl.lit(prefix), number.cast(pl.Utf8).str.zfill(width)])


def transactions(n: int, seed: int = SEED) -> pl.DataFrame:
    """``n`` GL lines of Period 2026-01."""
    d = _draws(n, seed)
    # Currency by cumulative share; codes are gathered from a 1000-entry table.
    table = [code for code, share in CURRENCIES for _ in range(share)]
    assert len(table) == 1000
    # A journal starts at row 0 and then with probability 1/2 on each row:
    # about n/2 journals of two lines on average.
    starts = (pl.col("i") == 0) | (pl.col("journal_start") == 0)
    frame = d.with_columns(
        currency=_pick(pl.col("currency"), tuple(table)),
        journal=starts.cast(pl.Int64).cum_sum(),
        first=pl.when(starts).then(pl.col("i")).forward_fill(),
        # |amount| = mantissa (1.00-9.99) x 10^(0..4): 1.00 to 99,900.00; about half are credits.
        cents=(pl.col("mantissa") + 100) * pl.lit(10, dtype=pl.Int64).pow(pl.col("exponent")),
    )
    # JPY amounts are about 150x larger, as a yen ledger's would be.
    cents = pl.col("cents") * pl.when(pl.col("currency") == "JPY").then(150).otherwise(1)
    signed = pl.when(pl.col("credit") == 0).then(cents).otherwise(-cents)
    # Skewed accounts: the square of a uniform draw favours low account numbers.
    account = ((pl.col("account").cast(pl.Float64) / (1 << 21)) ** 2 * ACCOUNTS).cast(pl.Int64)
    return frame.select(
        journal_id=_code("JE-", pl.col("journal"), 9),
        line_number=pl.col("i") - pl.col("first") + 1,
        posting_date=pl.lit(date(2026, 1, 1)) + pl.duration(days=pl.col("day")),
        account_code=(account * 10 + 10000).cast(pl.Utf8),
        cost_center_code=pl.when(pl.col("cc_null") >= NULL_COST_CENTER_PERMILLE).then(
            _code("CC-", pl.col("cost_center") + 1, 3)
        ),
        currency=pl.col("currency"),
        amount_local=(signed.cast(pl.Decimal(18, 2)) * pl.lit(Decimal("0.01"), dtype=pl.Decimal(18, 2))).cast(
            pl.Decimal(18, 2)
        ),
        amount_reporting=pl.lit(None, dtype=pl.Decimal(18, 2)),
        description=pl.concat_str(
            [_pick(pl.col("description"), DESCRIPTIONS), pl.lit(" "), pl.col("document").cast(pl.Utf8)]
        ),
        source_system=_pick(pl.col("source"), SOURCE_SYSTEMS),
        _period=pl.lit(PERIOD),
    )


def exchange_rates() -> pl.DataFrame:
    """Rates of every currency to USD and to EUR, closing and average, four versions each."""
    # (period_from, period_to, factor in per 10,000 of the 2026-01 rate)
    versions = (
        (date(2025, 1, 1), date(2025, 7, 1), 9_700),
        (date(2025, 7, 1), date(2026, 1, 1), 9_850),
        (date(2026, 1, 1), date(2026, 2, 1), 10_000),
        (date(2026, 2, 1), None, 10_120),
    )
    rows: dict[str, list] = {
        k: [] for k in ("from_currency", "to_currency", "rate", "rate_type", "_period_from", "_period_to")
    }
    eur = Decimal(USD_RATE["EUR"])
    for to_currency in ("USD", "EUR"):
        for code in USD_RATE:
            for rate_type, type_factor in (("closing", 10_000), ("average", 9_960)):
                for start, end, factor in versions:
                    base = Decimal(USD_RATE[code]) if to_currency == "USD" else Decimal(USD_RATE[code]) / eur
                    same = code == to_currency
                    value = Decimal(1) if same else base * factor * type_factor / 100_000_000
                    rows["from_currency"].append(code)
                    rows["to_currency"].append(to_currency)
                    rows["rate"].append(value.quantize(Decimal("0.000001")))
                    rows["rate_type"].append(rate_type)
                    rows["_period_from"].append(start)
                    rows["_period_to"].append(end)
    return pl.DataFrame(
        rows,
        schema={
            "from_currency": pl.Utf8,
            "to_currency": pl.Utf8,
            "rate": pl.Decimal(18, 6),
            "rate_type": pl.Utf8,
            "_period_from": pl.Date,
            "_period_to": pl.Date,
        },
    )


def accounts() -> pl.DataFrame:
    codes = [str(10000 + 10 * i) for i in range(ACCOUNTS)]
    kinds = ("asset", "liability", "equity", "revenue", "expense")
    return pl.DataFrame(
        {
            "code": codes,
            "name": [f"Account {c}" for c in codes],
            "type": [kinds[i * len(kinds) // ACCOUNTS] for i in range(ACCOUNTS)],
            "category": [f"CAT-{i // 20:02d}" for i in range(ACCOUNTS)],
            "is_active": [i % 37 != 0 for i in range(ACCOUNTS)],
            "_period": [PERIOD] * ACCOUNTS,
        }
    )


def generate(n: int, folder: str | Path, seed: int = SEED) -> Path:
    """Write the three tables for ``n`` lines into ``folder`` (reused when already there)."""
    out = Path(folder)
    manifest = out / MANIFEST
    wanted = {"rows": n, "seed": seed, "version": 1}
    if manifest.exists() and json.loads(manifest.read_text()) == wanted:
        return out
    out.mkdir(parents=True, exist_ok=True)
    transactions(n, seed).write_parquet(out / TRANSACTIONS, row_group_size=256 * 1024)
    exchange_rates().write_parquet(out / EXCHANGE_RATES)
    accounts().write_parquet(out / ACCOUNTS_FILE)
    manifest.write_text(json.dumps(wanted))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=int)
    parser.add_argument("folder")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    generate(args.rows, args.folder, args.seed)


if __name__ == "__main__":
    main()
