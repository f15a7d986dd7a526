"""`dobo parse --dataset`: names resolve against a stored Dataset (dsl.md §3, D5, D6)."""

import json
from pathlib import Path

from click.testing import CliRunner

from dobo_engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def test_parse_with_a_stored_dataset_types_lookup_and_main_columns(dobo_home):
    runner = CliRunner()
    assert runner.invoke(cli, ["apply", str(ROOT / "examples/finance/catalog")]).exit_code == 0
    ok = runner.invoke(
        cli,
        [
            "parse",
            'IF(accounts.type = "revenue", -amount_local, transactions.amount_local)',
            "--dataset",
            "ds-gl",
            "--json",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["type"] == "decimal(38,2)"
    bad = runner.invoke(cli, ["parse", "accounts.typ = 1", "--dataset", "ds-gl"])
    assert bad.exit_code == 2
    assert "did you mean accounts.type?" in bad.output and "^" in bad.output
