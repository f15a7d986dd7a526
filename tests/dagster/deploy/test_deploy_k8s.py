"""One pod per Run: the Kubernetes Job that dagster-k8s's own launcher builds, from helm-values.yaml and deploy/dagster.k8s.yaml.

No cluster here: K8sRunLauncher runs for real, configured by the instance
file, and hands its Job body to a batch API object that only records it.
Under Helm the instance file is the chart's: `helm_instance` renders its run
launcher and run coordinator from the top-level `helm-values.yaml` as the
official chart's instance ConfigMap does (release `dobo` in namespace `dobo`),
and the runs get the user deployment's ConfigMaps and Secrets
(`includeConfigInLaunchedRuns`). Without Helm, `deploy/dagster.k8s.yaml` is
the same instance written out by hand.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from dagster import DagsterInstance
from dagster._core.launcher import LaunchRunContext
from dagster._serdes import deserialize_value

from dobo_dagster.k8s import K8S_CONFIG_TAG, k8s_job_tag
from dobo_dagster.translator import DoboTranslator
from dobo_engine.errors import InvalidField

dagster_k8s = pytest.importorskip("dagster_k8s")
kubernetes = pytest.importorskip("kubernetes")

from dagster._grpc.types import ExecuteRunArgs  # noqa: E402
from dagster_k8s.job import get_job_name_from_run_id, get_user_defined_k8s_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
IMAGE = "registry.example.com/dobo:0.1.0"
PG_PASSWORD = "s3cr3t-pg-password"
PROJECT_RESOURCES = {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"cpu": "4", "memory": "12Gi"}}
RELEASE, NAMESPACE = "dobo", "dobo"  # helm upgrade --install dobo dagster/dagster -n dobo
FULLNAME = f"{RELEASE}-dagster"  # the chart's dagster.fullname for a release not named after it
HELM_VALUES = yaml.safe_load((ROOT / "helm-values.yaml").read_text())
(USER_DEPLOYMENT,) = HELM_VALUES["dagster-user-deployments"]["deployments"]
# What the chart's user deployment passes on to its runs (includeConfigInLaunchedRuns).
USER_DEPLOYMENT_CONTEXT = {
    "k8s": {
        "env_config_maps": [c["name"] for c in USER_DEPLOYMENT["envConfigMaps"]],
        "env_secrets": [s["name"] for s in USER_DEPLOYMENT["envSecrets"]],
    }
}


PG_FIELDS = {"hostname": "HOST", "port": "PORT", "db_name": "DB", "username": "USERNAME", "password": "PASSWORD"}


def helm_instance(values: dict[str, Any]) -> dict[str, Any]:
    """The Dagster instance file the chart writes to its instance ConfigMap, for the parts dobo sets.

    Storage is the chart's PostgreSQL section (the password from
    `global.postgresqlSecretName`, as `DAGSTER_PG_PASSWORD`); the run launcher is
    `runLauncher.config.k8sRunLauncher` with the chart's names for this release;
    the run coordinator is `dagsterDaemon.runCoordinator`'s custom coordinator.
    """
    k8s = values["runLauncher"]["config"]["k8sRunLauncher"]
    coordinator = values["dagsterDaemon"]["runCoordinator"]["config"]["customRunCoordinator"]
    # The chart writes host, port, user and database from `postgresql`; here they come from the
    # environment (as in deploy/dagster.k8s.yaml) so that the test can point them at its server.
    pg_env = {k: {"env": f"DAGSTER_PG_{v}"} for k, v in PG_FIELDS.items()}
    assert values["postgresql"]["postgresqlScheme"] == "postgresql+psycopg2"
    run_k8s_config = k8s["runK8sConfig"]["jobSpecConfig"]
    return {
        "storage": {"postgres": {"postgres_db": {**pg_env, "scheme": values["postgresql"]["postgresqlScheme"]}}},
        "run_coordinator": {
            "module": coordinator["module"],
            "class": coordinator["class"],
            "config": coordinator["config"],
        },
        "run_launcher": {
            "module": "dagster_k8s.launcher",
            "class": "K8sRunLauncher",
            "config": {
                "service_account_name": values["global"]["serviceAccountName"] or FULLNAME,
                "job_namespace": k8s["jobNamespace"] or NAMESPACE,
                "instance_config_map": f"{FULLNAME}-instance",
                "postgres_password_secret": values["global"]["postgresqlSecretName"],
                "dagster_home": values["global"]["dagsterHome"],
                "image_pull_policy": k8s["imagePullPolicy"],
                "load_incluster_config": k8s["loadInclusterConfig"],
                "env_config_maps": [c["name"] for c in k8s["envConfigMaps"]],
                "env_secrets": [s["name"] for s in k8s["envSecrets"]],
                "labels": k8s["labels"],
                "resources": k8s["resources"],
                "fail_pod_on_run_failure": k8s["failPodOnRunFailure"],
                "run_k8s_config": {
                    "job_spec_config": {
                        "backoff_limit": run_k8s_config["backoffLimit"],
                        "ttl_seconds_after_finished": run_k8s_config["ttlSecondsAfterFinished"],
                    }
                },
            },
        },
        "telemetry": values["telemetry"],
    }


# -- k8s_job_tag ---------------------------------------------------------------


def test_k8s_job_tag_is_what_dagster_k8s_reads_as_container_resources() -> None:
    tags = k8s_job_tag(PROJECT_RESOURCES)
    assert list(tags) == [K8S_CONFIG_TAG] == ["dagster-k8s/config"]
    user_config = get_user_defined_k8s_config(tags)
    assert user_config.container_config == {"resources": PROJECT_RESOURCES}


def test_k8s_job_tag_accepts_numbers_and_one_section() -> None:
    tag = json.loads(k8s_job_tag({"requests": {"cpu": 1, "memory": "512Mi"}})[K8S_CONFIG_TAG])
    assert tag == {"container_config": {"resources": {"requests": {"cpu": "1", "memory": "512Mi"}}}}


@pytest.mark.parametrize("nothing", [None, {}, {"requests": {}}, {"requests": None, "limits": {}}])
def test_k8s_job_tag_without_resources_is_no_tag(nothing) -> None:
    assert k8s_job_tag(nothing) == {}


@pytest.mark.parametrize(
    "bad, where",
    [
        ({"request": {"cpu": "1"}}, "unknown section"),
        ({"requests": {"gpu": "1"}}, "unknown resource 'gpu'"),
        ({"limits": {"memory": "lots"}}, "resources.limits.memory: 'lots'"),
        ({"limits": {"cpu": True}}, "resources.limits.cpu"),
        ({"requests": ["cpu"]}, "resources.requests must be a mapping"),
        ("2Gi", "resources must be a mapping"),
    ],
)
def test_k8s_job_tag_rejects_malformed_declarations(bad, where) -> None:
    with pytest.raises(InvalidField, match=where):
        k8s_job_tag(bad)


# -- the Job manifest ------------------------------------------------------------


class RecordingBatchApi:
    """Stands in for kubernetes.client.BatchV1Api: records the Jobs it is asked to create."""

    def __init__(self) -> None:
        self.created: list[tuple[str, Any]] = []

    def create_namespaced_job(self, body: Any, namespace: str, **_: Any) -> Any:
        self.created.append((namespace, body))
        return body


def test_hand_written_instance_file_is_what_the_chart_writes_but_for_names() -> None:
    """deploy/dagster.k8s.yaml (no Helm) and the chart's instance from helm-values.yaml agree."""
    by_hand = yaml.safe_load((ROOT / "deploy" / "dagster.k8s.yaml").read_text())
    helm = helm_instance(HELM_VALUES)
    assert by_hand["storage"] == helm["storage"]
    assert by_hand["run_coordinator"] == helm["run_coordinator"]
    hand_launcher, helm_launcher = by_hand["run_launcher"]["config"], helm["run_launcher"]["config"]
    assert hand_launcher.pop("service_account_name") == "dobo" and helm_launcher.pop("service_account_name") == FULLNAME
    assert hand_launcher == helm_launcher


@pytest.fixture(params=["helm-values.yaml", "deploy/dagster.k8s.yaml"])
def k8s_instance(request, pg_url, tmp_path, monkeypatch):
    """A Dagster instance as the Helm chart writes it from helm-values.yaml, or from deploy/dagster.k8s.yaml,
    with storage on the test PostgreSQL."""
    url = sa.engine.make_url(pg_url)
    env = {
        "DAGSTER_PG_HOST": url.host,
        "DAGSTER_PG_PORT": str(url.port or 5432),
        "DAGSTER_PG_DB": url.database,
        "DAGSTER_PG_USERNAME": url.username,
        # The test server trusts loopback; a password is set anyway so that its absence can be checked.
        "DAGSTER_PG_PASSWORD": url.password or PG_PASSWORD,
    }
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    home = tmp_path / "dagster-home"
    home.mkdir()
    if request.param == "helm-values.yaml":
        (home / "dagster.yaml").write_text(yaml.safe_dump(helm_instance(HELM_VALUES)))
    else:
        shutil.copy(ROOT / request.param, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))

    batch = RecordingBatchApi()
    production_client = dagster_k8s.client.DagsterKubernetesClient.production_client
    monkeypatch.setattr("dagster_k8s.launcher.load_kubernetes_config", lambda **_: None)
    monkeypatch.setattr(
        "dagster_k8s.launcher.DagsterKubernetesClient.production_client",
        staticmethod(lambda **_: production_client(batch_api_override=batch, core_api_override=object())),
    )
    with DagsterInstance.from_config(str(home)) as instance:
        instance.recorded_jobs = batch.created  # type: ignore[attr-defined]
        instance.service_account = "dobo" if request.param.startswith("deploy/") else FULLNAME  # type: ignore[attr-defined]
        yield instance


def _launch(instance, create_dobo_run, tags: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    run = create_dobo_run(instance, "prj_fx_usd", tags, container_context=USER_DEPLOYMENT_CONTEXT)
    launcher = instance.run_launcher
    assert type(launcher).__name__ == "K8sRunLauncher"
    launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
    ((namespace, body),) = instance.recorded_jobs
    assert namespace == "dobo"
    return run, kubernetes.client.ApiClient().sanitize_for_serialization(body)


@pytest.mark.postgres
def test_run_pod_manifest(k8s_instance, create_dobo_run) -> None:
    tags = {**DoboTranslator().run_tags("prj-fx-usd", "finance", "2026-01"), **k8s_job_tag(PROJECT_RESOURCES)}
    run, job = _launch(k8s_instance, create_dobo_run, tags)

    assert job["kind"] == "Job"
    assert job["metadata"]["name"] == get_job_name_from_run_id(run.run_id)
    assert job["metadata"]["labels"]["app.kubernetes.io/part-of"] == "dobo"
    assert job["spec"]["backoffLimit"] == 0 and job["spec"]["ttlSecondsAfterFinished"] == 86400
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and pod["serviceAccountName"] == k8s_instance.service_account
    assert job["spec"]["template"]["metadata"]["labels"]["dagster/run-id"] == run.run_id
    (container,) = pod["containers"]

    # The code location's image, running this one run in the pod.
    assert container["image"] == IMAGE
    assert k8s_instance.get_run_by_id(run.run_id).tags["dagster/image"] == IMAGE
    args = container["args"]
    assert args[:3] == ["dagster", "api", "execute_run"]
    execute = deserialize_value(args[3], ExecuteRunArgs)
    assert execute.run_id == run.run_id
    assert execute.job_origin.job_name == "prj_fx_usd"
    assert execute.set_exit_code_on_failure is True

    # Resources from the Project's dagster-k8s/config tag win over the launcher default.
    assert container["resources"] == PROJECT_RESOURCES

    # Environment: settings and credentials by reference only.
    env = {e["name"]: e for e in container["env"]}
    assert env["DAGSTER_HOME"]["value"] == "/opt/dagster/dagster_home"
    assert env["DAGSTER_PG_PASSWORD"] == {
        "name": "DAGSTER_PG_PASSWORD",
        "valueFrom": {"secretKeyRef": {"key": "postgresql-password", "name": "dobo-dagster-postgresql"}},
    }
    sources = container["envFrom"]
    assert {"configMapRef": {"name": "dobo-settings"}} in sources
    assert {"secretRef": {"name": "dobo-credentials"}} in sources
    for item in container["env"]:
        assert "value" not in item or not any(w in item["name"].upper() for w in ("PASSWORD", "SECRET", "TOKEN"))


@pytest.mark.postgres
def test_no_secret_value_reaches_the_manifest(k8s_instance, create_dobo_run, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-in-the-launcher-env")
    _, job = _launch(k8s_instance, create_dobo_run, DoboTranslator().run_tags("prj-fx-usd", "finance", "2026-02"))
    text = json.dumps(job)
    for secret in (os.environ["DAGSTER_PG_PASSWORD"], "aws-secret-in-the-launcher-env"):
        assert secret not in text
    # The instance reference in the run worker's args names the variable, not its value.
    assert "DAGSTER_PG_PASSWORD" in text


@pytest.mark.postgres
def test_project_without_resources_gets_the_launcher_default(k8s_instance, create_dobo_run) -> None:
    _, job = _launch(k8s_instance, create_dobo_run, DoboTranslator().run_tags("prj-fx-usd", "finance", "2026-03"))
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "4Gi"}}
