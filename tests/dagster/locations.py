"""The code location as a code server and a run worker load it, for tests that cross that boundary."""

from __future__ import annotations

from pathlib import Path

from dagster._core.definitions.reconstruct import (
    ReconstructableRepository,
    initialize_repository_def_from_pointer,
)

ROOT = Path(__file__).resolve().parents[2]


def recon_repo() -> ReconstructableRepository:
    """A fresh pointer each time, so nothing is cached between 'processes'."""
    return ReconstructableRepository.for_module("dobo_dagster.definitions", "defs", working_directory=str(ROOT))


def code_server_load():
    """The repository as a code server initialises it: state read from the store and recorded."""
    return initialize_repository_def_from_pointer(recon_repo().pointer)
