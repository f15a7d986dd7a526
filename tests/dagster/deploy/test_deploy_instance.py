"""dobo's Dagster instance files: the embedded default and the PostgreSQL variant make working instances."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.instance.config import dagster_instance_config

from dobo_dagster.run_coordinator import DoboRunCoordinator
from dobo_dagster.translator import DoboTranslator

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
TAG_LIMIT = {"key": "dobo/project-period", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}


def _home(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dagster-home"
    home.mkdir()
    shutil.copy(DEPLOY / name, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def test_top_level_dagster_yaml_is_the_embedded_default() -> None:
    assert (ROOT / "dagster.yaml").read_text() == (DEPLOY / "dagster.yaml").read_text()


@pytest.mark.parametrize("name", ["dagster.yaml", "dagster.postgres.yaml", "dagster.k8s.yaml"])
def test_every_instance_file_is_valid_dagster_instance_config(name, tmp_path, monkeypatch) -> None:
    config, _ = dagster_instance_config(str(_home(tmp_path, name, monkeypatch)))
    assert config["run_coordinator"]["class"] == "DoboRunCoordinator"
    assert TAG_LIMIT in config["run_coordinator"]["config"]["tag_concurrency_limits"]


def test_embedded_default_stores_runs_in_sqlite_under_dagster_home(tmp_path, monkeypatch, create_dobo_run) -> None:
    home = _home(tmp_path, "dagster.yaml", monkeypatch)
    with DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert isinstance(instance.run_coordinator, DoboRunCoordinator)
        assert type(instance.run_launcher).__name__ == "DefaultRunLauncher"
        assert TAG_LIMIT in instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        tags = {**DoboTranslator().run_tags("prj-fx-usd", "finance", "2026-01"), "dagster/partition": "2026-01"}
        run = create_dobo_run(instance, "prj_fx_usd", tags)
        assert instance.submit_run(run.run_id, workspace=None).status == DagsterRunStatus.QUEUED
    assert (home / "history" / "runs.db").exists()


@pytest.mark.postgres
def test_postgres_variant_creates_its_schema_and_stores_a_run(pg_url, tmp_path, monkeypatch, create_dobo_run) -> None:
    url = sa.engine.make_url(pg_url)
    for var, value in {
        "DAGSTER_PG_HOST": url.host,
        "DAGSTER_PG_PORT": str(url.port or 5432),
        "DAGSTER_PG_DB": url.database,
        "DAGSTER_PG_USERNAME": url.username,
        "DAGSTER_PG_PASSWORD": url.password or "",
    }.items():
        monkeypatch.setenv(var, value)
    home = _home(tmp_path, "dagster.postgres.yaml", monkeypatch)
    # The credentials stay out of the file: it names environment variables only.
    if url.password:
        assert url.password not in (home / "dagster.yaml").read_text()

    with DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert isinstance(instance.run_coordinator, DoboRunCoordinator)
        tags = {**DoboTranslator().run_tags("prj-fx-usd", "finance", "2026-01"), "dagster/partition": "2026-01"}
        run = create_dobo_run(instance, "prj_fx_usd", tags)
        assert instance.submit_run(run.run_id, workspace=None).status == DagsterRunStatus.QUEUED
        stored = instance.get_run_by_id(run.run_id)
        assert stored.tags["dobo/project-period"] == tags["dobo/project-period"]

    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT pipeline_name, status FROM runs WHERE run_id = :id"), {"id": run.run_id})
            assert tuple(row.one()) == ("prj_fx_usd", "QUEUED")
    finally:
        engine.dispose()
