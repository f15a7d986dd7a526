"""Fixtures of the run tests: the example catalog applied to an isolated store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dobo_engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def finance(dobo_home, tmp_path, monkeypatch):
    """The example catalog applied, its Periods generated, its data copied to a scratch folder."""
    data_root = tmp_path / "data-root"
    shutil.copytree(ROOT / "examples/finance/data", data_root / "examples/finance/data")
    monkeypatch.setenv("DOBO_DATA_ROOT", str(data_root))
    runner = CliRunner()
    assert runner.invoke(cli, ["apply", str(ROOT / "examples/finance/catalog")]).exit_code == 0
    assert (
        runner.invoke(cli, ["periods", "generate", "finance", "--from-year", "2025", "--to-year", "2026"]).exit_code
        == 0
    )
    return data_root / "examples/finance/data"
