"""helm-values.yaml (top level of the repository) against the official Dagster Helm chart's values schema.

Helm validates the *merged* values (chart defaults overlaid by ours), the
subchart ``dagster-user-deployments`` against its own schema. The schemas'
Kubernetes ``$ref``s point at a web document that cannot be fetched offline;
they resolve to permissive stubs here, and the parts of ours they cover are
checked by hand below.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

jsonschema = pytest.importorskip("jsonschema")
referencing = pytest.importorskip("referencing")

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).resolve().parent / "data"
VALUES = ROOT / "helm-values.yaml"
K8S_DEFS = "https://kubernetesjsonschema.dev/v1.18.0/_definitions.json"


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _merge(base: Any, over: Any) -> Any:
    """Helm's values merge: maps merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(over)


def _validator(schema_path: Path) -> jsonschema.Draft7Validator:
    schema = json.loads(schema_path.read_text())
    pointers = set(re.findall(re.escape(K8S_DEFS) + r"#/([^\"]+)", schema_path.read_text()))
    stub: dict[str, Any] = {}
    for pointer in pointers:
        node = stub
        for part in pointer.split("/"):
            node = node.setdefault(part, {})
    resource = referencing.Resource.from_contents(stub, default_specification=referencing.jsonschema.DRAFT7)
    registry = referencing.Registry().with_resource(K8S_DEFS, resource)
    return jsonschema.Draft7Validator(schema, registry=registry)


def _errors(validator: jsonschema.Draft7Validator, values: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(values)]


@pytest.fixture(scope="module")
def merged() -> dict[str, Any]:
    ours = _load_yaml(VALUES)
    values = _merge(_load_yaml(DATA / "values.yaml"), ours)
    sub = _merge(_load_yaml(DATA / "charts/dagster-user-deployments/values.yaml"), values["dagster-user-deployments"])
    sub["global"] = _merge(sub.get("global", {}), values["global"])
    values["dagster-user-deployments"] = sub
    return values


def test_vendored_chart_files_are_the_ones_listed_in_source_md() -> None:
    source = (DATA / "SOURCE.md").read_text()
    rows = re.findall(
        r"^\| `([^`]+)` \| dagster-io/dagster \| `[^`]+` \| `[0-9a-f]+` \| (\d+) \| `([0-9a-f]{64})` \|$", source, re.M
    )
    assert len(rows) == 4
    for name, size, digest in rows:
        data = (DATA / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (int(size), digest), name


def test_chart_defaults_validate_so_the_check_is_meaningful() -> None:
    assert _errors(_validator(DATA / "values.schema.json"), _load_yaml(DATA / "values.yaml")) == []


def test_helm_values_validate_against_the_chart_schema(merged: dict[str, Any]) -> None:
    assert _errors(_validator(DATA / "values.schema.json"), merged) == []


def test_user_deployments_validate_against_the_subchart_schema(merged: dict[str, Any]) -> None:
    validator = _validator(DATA / "charts/dagster-user-deployments/values.schema.json")
    assert _errors(validator, merged["dagster-user-deployments"]) == []


def test_schema_rejects_a_broken_values_file(merged: dict[str, Any]) -> None:
    broken = copy.deepcopy(merged)
    broken["runLauncher"]["config"]["k8sRunLauncher"]["noSuchField"] = 1
    broken["dagsterDaemon"]["runCoordinator"]["config"] = {}
    errors = _errors(_validator(DATA / "values.schema.json"), broken)
    assert any("noSuchField" in e for e in errors)
    assert any("customRunCoordinator" in e for e in errors)


def test_dobo_code_location_runs_one_pod_per_run(merged: dict[str, Any]) -> None:
    (deployment,) = merged["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", "dobo_dagster.definitions"]
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}
    assert merged["runLauncher"]["type"] == "K8sRunLauncher"
    launcher = merged["runLauncher"]["config"]["k8sRunLauncher"]
    assert launcher["failPodOnRunFailure"] is True
    assert launcher["runK8sConfig"]["jobSpecConfig"]["backoffLimit"] == 0
    # The webserver and the daemon import dobo's run coordinator: same image as the code.
    for part in (merged["dagsterWebserver"], merged["dagsterDaemon"]):
        assert part["image"]["repository"] == deployment["image"]["repository"]


def test_external_postgres_with_psycopg2_and_no_inline_password(merged: dict[str, Any]) -> None:
    pg = merged["postgresql"]
    assert pg["enabled"] is False
    assert pg["postgresqlScheme"] == "postgresql+psycopg2"
    assert pg["postgresqlPassword"] == ""
    assert merged["generatePostgresqlPasswordSecret"] is False
    assert merged["global"]["postgresqlSecretName"] == "dobo-dagster-postgresql"


def test_run_queue_limits_duplicate_project_periods(merged: dict[str, Any]) -> None:
    coordinator = merged["dagsterDaemon"]["runCoordinator"]
    assert coordinator["enabled"] is True and coordinator["type"] == "CustomRunCoordinator"
    custom = coordinator["config"]["customRunCoordinator"]
    assert (custom["module"], custom["class"]) == ("dobo_dagster.run_coordinator", "DoboRunCoordinator")
    assert {"key": "dobo/project-period", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in custom["config"][
        "tag_concurrency_limits"
    ]
    # The config is the coordinator's own: Dagster accepts it.
    from dagster._config import validate_config

    from dobo_dagster.run_coordinator import DoboRunCoordinator

    assert validate_config(DoboRunCoordinator.config_type(), custom["config"]).success


_SECRETISH = re.compile(r"password|secret|token|key", re.I)


def _walk(node: Any, path: str = ""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")
    else:
        yield path, node


def test_no_secret_is_inlined_env_comes_from_secrets_and_config_maps() -> None:
    ours = _load_yaml(VALUES)
    for path, value in _walk(ours):
        leaf = path.rsplit("/", 1)[-1]
        if _SECRETISH.search(leaf) and not leaf.endswith(("SecretName", "Secrets")) and leaf != "key":
            assert value in ("", None, False), f"{path} looks like an inlined secret: {value!r}"
    for env_list in (
        ours["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"],
        ours["dagster-user-deployments"]["deployments"][0]["envSecrets"],
    ):
        assert env_list == [{"name": "dobo-credentials"}]
    for section in (
        ours["runLauncher"]["config"]["k8sRunLauncher"],
        ours["dagster-user-deployments"]["deployments"][0],
    ):
        for env in section.get("env", []) or section.get("envVars", []):
            assert not _SECRETISH.search(str(env)), env
