"""The Dagster-vs-`dobo run` benchmark: both run, their outputs must hold the same values, or it fails.

Small N and one timed round: this checks the harness end to end, not speed (no timing assertions)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from benchmarks import dagster_vs_cli
from benchmarks.dagster_vs_cli import EXAMPLE_DATA, TRANSACTIONS, main, write_transactions

N = 500

pytestmark = [
    pytest.mark.slow,
    # GNU time measures each variant's own peak RSS; CI installs it (.ci/run) when missing.
    pytest.mark.skipif(not Path("/usr/bin/time").exists(), reason="/usr/bin/time (Debian `time`) missing"),
]


def _run(tmp_path: Path) -> tuple[int, Path]:
    out = tmp_path / "dagster.md"
    argv = ["--rows", str(N), "--repeats", "1", "--work", str(tmp_path / "work"), "--out", str(out)]
    return main(argv), out


def test_generated_transactions_keep_the_header_and_unique_keys(tmp_path):
    target = tmp_path / "transactions.csv"
    write_transactions(EXAMPLE_DATA / TRANSACTIONS, 25, target)

    template = (EXAMPLE_DATA / TRANSACTIONS).read_text().splitlines()
    written = target.read_text().splitlines()
    assert written[0] == template[0] and len(written) == 26
    # The first copy is the example with `-0` on each journal id; empty amounts stay empty.
    assert written[1:11] == [line.replace(",", "-0,", 1) for line in template[1:]]
    frame = pl.read_csv(target, infer_schema=False)
    assert frame.select("journal_id", "line_number").n_unique() == 25


def test_reports_every_variant_with_identical_outputs(tmp_path):
    code, out = _run(tmp_path)

    assert code == 0
    text = out.read_text()
    for key in ("A1", "A2", "B"):
        assert f"| {key} |" in text
    assert "| B − A1 |" in text and "| B − A2 |" in text
    assert "1-minute load average:" in text and "dagster 1.13" in text and "command: `" in text
    # 14 totals: 10 accounts-and-kinds of actuals (the example's combinations) and 4 of budget lines.
    assert "`operation=50.parquet` (14 rows) identical in A1, A2 and B after each of the 2 rounds" in text
    # A second N adds its own section and keeps this one.
    dagster_vs_cli.write_report("<!-- dagster_vs_cli rows=7 -->\nsmall\n", 7, out)
    again = out.read_text()
    assert again.index("rows=7 -->") < again.index(f"rows={N} -->") and again.count("# dobo:") == 1


FIRST_ROW = pl.int_range(pl.len()) == 0


@pytest.mark.parametrize(
    ("column", "change"),
    [
        # One value, same type.
        ("total_local", pl.when(FIRST_ROW).then(pl.col("total_local") + Decimal("0.01")).otherwise("total_local")),
        # Same values, another type.
        ("line_count", pl.col("line_count").cast(pl.Int32)),
    ],
)
def test_fails_when_the_dagster_output_differs(tmp_path, monkeypatch, capsys, column, change):
    keep = dagster_vs_cli.keep_outputs

    def corrupted(*args: object) -> Path:
        """B's kept output altered after its process, before the round's comparison."""
        kept = keep(*args)  # type: ignore[arg-type]
        if kept.name == "B":
            path = next(kept.rglob("*.parquet"))
            pl.read_parquet(path).with_columns(change.alias(column)).write_parquet(path)
        return kept

    monkeypatch.setattr(dagster_vs_cli, "keep_outputs", corrupted)
    code, out = _run(tmp_path)

    assert code == 1 and not out.exists()
    err = capsys.readouterr().err
    assert "FAILED: the variants wrote different values" in err and "A1 vs B" in err
    assert column in err
