"""The code location as a code server and a run worker load it, for tests that cross that boundary."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance, DagsterRun
from dagster._core.definitions.reconstruct import (
    ReconstructableRepository,
    initialize_repository_def_from_pointer,
)
from dagster._core.execution.api import create_execution_plan

ROOT = Path(__file__).resolve().parents[2]


def recon_repo() -> ReconstructableRepository:
    """A fresh pointer each time, so nothing is cached between 'processes'."""
    return ReconstructableRepository.for_module("dobo_dagster.definitions", "defs", working_directory=str(ROOT))


def code_server_load():
    """The repository as a code server initialises it: state read from the store and recorded."""
    return initialize_repository_def_from_pointer(recon_repo().pointer)


def launch(instance: DagsterInstance, job_name: str, period: str) -> tuple[DagsterRun, dict[str, str]]:
    """Create a Dagster run as the code server would (plan + recorded state), without executing it."""
    repo = code_server_load()
    job = repo.get_job(job_name)
    config = job.partitioned_config
    run_config = config.get_run_config_for_partition_key(period)
    tags = {**job.tags, **config.get_tags_for_partition_key(period), "dagster/partition": period}
    recon = recon_repo().get_reconstructable_job(job_name)
    plan = create_execution_plan(
        recon, run_config=run_config, tags=tags, repository_load_data=repo.repository_load_data
    )
    return instance.create_run_for_job(job_def=job, execution_plan=plan, run_config=run_config, tags=tags), tags
