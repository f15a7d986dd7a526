"""Fixtures for the deployment tests: dobo's instance files and runs as a code location makes them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
IMAGE = "registry.example.com/dobo:0.1.0"


@pytest.fixture
def deploy_yaml() -> Callable[[str], dict[str, Any]]:
    """Parsed ``deploy/<name>``."""

    def load(name: str) -> dict[str, Any]:
        return yaml.safe_load((DEPLOY / name).read_text())

    return load


@pytest.fixture
def create_dobo_run() -> Callable[..., Any]:
    """Create a NOT_STARTED run of ``job_name`` with the origins a launch from the dobo code location has."""
    from dagster._core.code_pointer import ModuleCodePointer
    from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
    from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
    from dagster._core.test_utils import create_run_for_test

    def create(
        instance: Any,
        job_name: str,
        tags: Mapping[str, str],
        *,
        container_context: Mapping[str, Any] | None = None,
        status: Any = None,
        asset_selection: Any = None,
    ) -> Any:
        python_origin = JobPythonOrigin(
            job_name,
            RepositoryPythonOrigin(
                executable_path=sys.executable,
                code_pointer=ModuleCodePointer("dobo_dagster.definitions", "defs", None),
                container_image=IMAGE,
                entry_point=["dagster"],
                container_context=container_context,
            ),
        )
        remote_origin = RemoteJobOrigin(
            RemoteRepositoryOrigin(
                GrpcServerCodeLocationOrigin(host="dobo", port=3030, location_name="dobo"), "__repository__"
            ),
            job_name,
        )
        return create_run_for_test(
            instance,
            job_name=job_name,
            tags=dict(tags),
            job_code_origin=python_origin,
            remote_job_origin=remote_origin,
            status=status,
            asset_selection=asset_selection,
        )

    return create


@pytest.fixture(scope="session")
def dagster_dev_server(tmp_path_factory: pytest.TempPathFactory):
    """`dagster dev` (webserver + daemon) serving the real dobo code location over the example catalog."""
    from dagster_dev_server import dagster_dev

    with dagster_dev(tmp_path_factory.mktemp("dagster-dev")) as server:
        yield server


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium for the UI tests (installed once if missing, else the test skips)."""
    from chromium_ui import chromium_binary

    return chromium_binary()
