"""Fixtures of the durability tests: a store of each backend with the example catalog and a test Project.

The Runs under test execute in real `dobo` processes; the environment they
inherit (store URL, roots, a 2-second lease) is the one these fixtures set.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dobo_engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2.0


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, dobo_home: Path) -> str:
    """The URL of a fresh, empty store of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{dobo_home / 'metadata.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def catalog(store_url: str, dobo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The example catalog plus `prj-fault-steps` applied, Periods generated; the environment for `dobo`."""
    data_root = tmp_path / "data-root"
    shutil.copytree(ROOT / "examples/finance/data", data_root / "examples/finance/data")
    monkeypatch.setenv("DOBO_METADATA_URL", store_url)
    monkeypatch.setenv("DOBO_DATA_ROOT", str(data_root))
    monkeypatch.setenv("DOBO_RUN_LEASE_SECONDS", str(LEASE_SECONDS))
    monkeypatch.setenv("DOBO_CHECKPOINTS", "operations")  # D36: each step durable unless a test says otherwise
    for name in ("DOBO_FAULT_AT", "DOBO_FAULT_HOLD", "DOBO_FAULT_RELEASE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    for args in (
        ["apply", str(ROOT / "examples/finance/catalog")],
        ["apply", str(ROOT / "tests/faults/catalog")],
        ["periods", "generate", "finance", "--from-year", "2026", "--to-year", "2026"],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
    return dict(os.environ)
