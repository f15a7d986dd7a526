"""The example finance catalog in an isolated $DOBO_HOME, and a Dagster instance whose partitions match it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from dagster import DagsterInstance, build_sensor_context

from dobo_engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def finance(dobo_home, tmp_path, monkeypatch) -> Path:
    """Catalog applied, Periods 2025-2026 generated, data copied to a scratch DOBO_DATA_ROOT."""
    data_root = tmp_path / "data-root"
    shutil.copytree(ROOT / "examples/finance/data", data_root / "examples/finance/data")
    monkeypatch.setenv("DOBO_DATA_ROOT", str(data_root))
    runner = CliRunner()
    applied = runner.invoke(cli, ["apply", str(ROOT / "examples/finance/catalog")])
    assert applied.exit_code == 0, applied.output
    generated = runner.invoke(cli, ["periods", "generate", "finance", "--from-year", "2025", "--to-year", "2026"])
    assert generated.exit_code == 0, generated.output
    return data_root / "examples/finance/data"


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as inst:
        yield inst


def sync_partitions(defs, instance) -> None:
    """One tick of the Period sync sensor, applied to the instance as the daemon would."""
    sensor = defs.get_sensor_def("dobo_period_sync")
    result = sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs))
    for request in result.dynamic_partitions_requests or []:
        if hasattr(request, "partition_keys") and type(request).__name__.startswith("Add"):
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)


@pytest.fixture
def location(finance, instance):
    """The code location built from the store, partitions synced."""
    from dobo_dagster.definitions import build_definitions

    defs = build_definitions()
    sync_partitions(defs, instance)
    return defs
