"""Resolver `when` (RES-2, D31) and the `dobo parse` command (cli.md)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from dobo_engine.cli.main import cli
from dobo_engine.dsl import ResolutionContext, check_when, evaluate_when
from dobo_engine.errors import DoboErrors

JAN = ResolutionContext("2026-01", "month", date(2026, 1, 1), date(2026, 1, 31), "transactions")


def test_evaluate_when_res_2() -> None:
    assert evaluate_when('table.name = "customers" OR table.name = "transactions"', JAN) is True
    assert evaluate_when('period.start_date < DATE("2025-01-01")', JAN) is False
    assert evaluate_when('period.level = "month" AND YEAR(period.end_date) = 2026', JAN) is True
    assert evaluate_when("NULL", JAN) is None  # the caller counts NULL as false


def test_when_scope_has_only_context_variables_res_2() -> None:
    assert check_when('period.identifier = "2026-01"') == []
    assert [e.code for e in check_when("amount > 0")] == ["UnresolvedColumnRef"]
    assert [e.code for e in check_when("period.year = 2026")] == ["UnresolvedColumnRef"]
    assert [e.code for e in check_when("period.identifier")] == ["TypeMismatch"]
    with pytest.raises(DoboErrors):
        evaluate_when("TODAY() > period.start_date", JAN)


def test_cli_parse_prints_ast_and_type() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "parse",
            "amount * fx.rate > 100",
            "--column",
            "amount:decimal(38,2)",
            "--qualifier-column",
            "fx.rate:decimal",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "type: boolean" in result.output
    assert "Column name='rate' qualifier='fx' : decimal(38,6)" in result.output


def test_cli_parse_json() -> None:
    result = CliRunner().invoke(cli, ["parse", "a + 1", "--column", "a:integer", "--json"])
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["type"] == "integer" and data["ok"] is True
    assert data["references"] == [[None, "a"]]


def test_cli_parse_errors_exit_2_with_caret_and_no_traceback() -> None:
    result = CliRunner().invoke(cli, ["parse", "amount_local > 1000 AND"])
    assert result.exit_code == 2
    assert "expected an operand after 'AND'" in result.output
    assert "                         ^" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["parse", "IS_NULL(x)", "--json"])
    assert result.exit_code == 2
    codes = [e["code"] for e in json.loads(result.output)["errors"]]
    assert codes == ["UnknownFunction", "UnresolvedColumnRef"]
