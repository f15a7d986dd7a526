"""`dagster dev` for the end-to-end tests: the example catalog, a loopback port, a small GraphQL client.

The server is prepared by ``scripts/dagster_dev.py --no-serve`` (instance file,
catalog, Periods) in a temporary DOBO_HOME/DAGSTER_HOME and started with the
script's own command line, in a process group of its own that is always
stopped at the end.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
REPOSITORY = "__repository__"
STARTUP_SECONDS = 300
ENDED = {"SUCCESS", "FAILURE", "CANCELED"}  # the statuses of a run that has ended


def _load_script() -> Any:
    spec = importlib.util.spec_from_file_location("dobo_dagster_dev_script", ROOT / "scripts" / "dagster_dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = _load_script()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class GraphQLError(AssertionError):
    pass


@dataclass
class DagsterDev:
    url: str
    dobo_home: Path
    dagster_home: Path
    log: Path
    location: str = ""
    release_file: Path | None = None  # while it is missing, every run waits after its load (DOBO_FAULT_HOLD)

    # -- transport ---------------------------------------------------------------

    def query(self, text: str, variables: dict[str, Any] | None = None, timeout: float = 60) -> dict[str, Any]:
        body = json.dumps({"query": text, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                payload = json.loads(response.read())
        except urllib.error.HTTPError as exc:  # a resolver that raised: the body says why
            text = exc.read().decode(errors="replace")
            try:
                payload = json.loads(text)
            except ValueError:
                raise GraphQLError(f"HTTP {exc.code}: {text[:4000]}") from None
            if not payload.get("errors"):
                raise GraphQLError(f"HTTP {exc.code}: {text[:4000]}") from None
        if payload.get("errors"):
            raise GraphQLError(json.dumps(payload["errors"], indent=1)[:4000])
        return payload["data"]

    def wait_until(self, what: str, check, timeout: float = 120, every: float = 1.0):
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = check()
            except (urllib.error.URLError, ConnectionError, TimeoutError, GraphQLError) as exc:
                last = exc
            else:
                if last:
                    return last
            time.sleep(every)
        raise AssertionError(f"timed out waiting for {what}; last: {last!r}\n--- server log ---\n{self.tail_log()}")

    def tail_log(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # -- the code location -------------------------------------------------------------

    def location_error(self) -> str | None:
        """The code location's load error, once it has finished loading with one."""
        data = self.query(
            "{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus"
            " locationOrLoadError { __typename ... on PythonError { message stack } } } } } }"
        )
        for entry in data["workspaceOrError"].get("locationEntries", []):
            error = entry.get("locationOrLoadError") or {}
            if entry["loadStatus"] == "LOADED" and error.get("__typename") == "PythonError":
                return f"{entry['name']}: {error['message']}\n{''.join(error.get('stack') or [])[-3000:]}"
        return None

    def jobs(self) -> list[str]:
        error = self.location_error()
        if error:  # not worth waiting for: fail now, with the reason
            raise AssertionError(f"the code location failed to load: {error}")
        data = self.query(
            "{ repositoriesOrError { __typename ... on RepositoryConnection"
            " { nodes { name location { name } jobs { name } } } } }"
        )
        nodes = data["repositoriesOrError"].get("nodes") or []
        for node in nodes:
            if node["name"] == REPOSITORY:
                self.location = node["location"]["name"]
                return [j["name"] for j in node["jobs"] if not j["name"].startswith("__")]
        return []

    def repository_selector(self) -> dict[str, str]:
        return {"repositoryLocationName": self.location, "repositoryName": REPOSITORY}

    def partition_set(self, job: str) -> str:
        data = self.query(
            "query($repo: RepositorySelector!, $job: String!) { partitionSetsOrError(repositorySelector: $repo,"
            " pipelineName: $job) { __typename ... on PartitionSets { results { name } } } }",
            {"repo": self.repository_selector(), "job": job},
        )
        (result,) = data["partitionSetsOrError"]["results"]
        return result["name"]

    def partition_names(self, job: str) -> list[str]:
        data = self.query(
            "query($repo: RepositorySelector!, $set: String!) { partitionSetOrError(repositorySelector: $repo,"
            " partitionSetName: $set) { __typename ... on PartitionSet { partitionsOrError {"
            " __typename ... on Partitions { results { name } } } } } }",
            {"repo": self.repository_selector(), "set": self.partition_set(job)},
        )
        partitions = data["partitionSetOrError"]["partitionsOrError"]
        return [p["name"] for p in partitions.get("results", [])]

    def partition_config_and_tags(self, job: str, partition: str) -> tuple[dict[str, Any], dict[str, str]]:
        """The partition's run config and tags, as the UI's launchpad fetches them."""
        data = self.query(
            "query($repo: RepositorySelector!, $set: String!, $p: String!) { partitionSetOrError("
            "repositorySelector: $repo, partitionSetName: $set) { __typename ... on PartitionSet {"
            " partition(partitionName: $p) { runConfigOrError { __typename ... on PartitionRunConfig { yaml }"
            " ... on PythonError { message } } tagsOrError { __typename ... on PartitionTags { results { key value } }"
            " ... on PythonError { message } } } } } }",
            {"repo": self.repository_selector(), "set": self.partition_set(job), "p": partition},
        )
        part = data["partitionSetOrError"]["partition"]
        import yaml

        config = yaml.safe_load(part["runConfigOrError"]["yaml"]) or {}
        tags = {t["key"]: t["value"] for t in part["tagsOrError"]["results"]}
        return config, tags

    # -- runs --------------------------------------------------------------------

    def launch_partition_run(self, job: str, partition: str) -> dict[str, Any]:
        """Launch one partition run; returns the mutation's result (LaunchRunSuccess or an error type)."""
        config, tags = self.partition_config_and_tags(job, partition)
        assert tags.get("dagster/partition") == partition, tags
        data = self.query(
            "mutation($params: ExecutionParams!) { launchRun(executionParams: $params) { __typename"
            " ... on LaunchRunSuccess { run { runId status } } ... on PythonError { message }"
            " ... on RunConfigValidationInvalid { errors { message } } ... on Error { message } } }",
            {
                "params": {
                    "selector": {**self.repository_selector(), "jobName": job},
                    "runConfigData": config,
                    "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
                }
            },
        )
        return data["launchRun"]

    def launch_backfill(self, job: str, partitions: list[str]) -> str:
        data = self.query(
            "mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {"
            " __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message }"
            " ... on Error { message } } }",
            {
                "params": {
                    "selector": {
                        "partitionSetName": self.partition_set(job),
                        "repositorySelector": self.repository_selector(),
                    },
                    "partitionNames": partitions,
                    "fromFailure": False,
                }
            },
        )
        result = data["launchPartitionBackfill"]
        assert result["__typename"] == "LaunchBackfillSuccess", result
        return result["backfillId"]

    def assets_materialized_with(self, asset_key: list[str]) -> list[list[str]]:
        """The asset and those materialized with it (the same Project's graph, which cannot be subset),
        as the UI's Materialize adds them to a selection."""
        data = self.query("{ assetNodes { assetKey { path } groupName isExecutable } }")
        nodes = data["assetNodes"]
        chosen = next(n for n in nodes if n["assetKey"]["path"] == asset_key)
        return [n["assetKey"]["path"] for n in nodes if n["isExecutable"] and n["groupName"] == chosen["groupName"]]

    def materialize(self, asset_key: list[str], partition: str) -> dict[str, Any]:
        """Materialize one asset for a partition from the asset graph, as the UI's Materialize button does."""
        keys = self.assets_materialized_with(asset_key)
        data = self.query(
            "mutation($params: ExecutionParams!) { launchRun(executionParams: $params) { __typename"
            " ... on LaunchRunSuccess { run { runId status jobName } } ... on PythonError { message }"
            " ... on RunConfigValidationInvalid { errors { message } } ... on Error { message } } }",
            {
                "params": {
                    "selector": {
                        **self.repository_selector(),
                        "jobName": "__ASSET_JOB",
                        "assetSelection": [{"path": k} for k in keys],
                        "assetCheckSelection": [],
                    },
                    "runConfigData": {},
                    "executionMetadata": {"tags": [{"key": "dagster/partition", "value": partition}]},
                }
            },
        )
        return data["launchRun"]

    def partition_statuses(self, asset_key: list[str]) -> dict[str, list[str]]:
        """The asset's partitions by status, as the asset page shows them (materialized, failed, ...)."""
        data = self.query(
            "query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { __typename ... on AssetNode {"
            " assetPartitionStatuses { __typename ... on DefaultPartitionStatuses { materializedPartitions"
            " failedPartitions unmaterializedPartitions materializingPartitions } } } } }",
            {"key": {"path": asset_key}},
        )
        statuses = data["assetNodeOrError"]["assetPartitionStatuses"]
        return {k: v for k, v in statuses.items() if k != "__typename"}

    def runs(self, tags: dict[str, str]) -> list[dict[str, Any]]:
        data = self.query(
            "query($filter: RunsFilter) { runsOrError(filter: $filter) { __typename ... on Runs { results {"
            " runId status jobName tags { key value } } } } }",
            {"filter": {"tags": [{"key": k, "value": v} for k, v in tags.items()]}},
        )
        return data["runsOrError"]["results"]

    def run(self, run_id: str) -> dict[str, Any]:
        data = self.query(
            "query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { runId status jobName"
            " tags { key value } assetMaterializations { assetKey { path } partition"
            " metadataEntries { label } } } } }",
            {"id": run_id},
        )
        return data["runOrError"]

    def materializations(self, asset_key: list[str], partition: str) -> list[dict[str, Any]]:
        """The materializations of one asset partition, newest first, with their `dobo/run_id`."""
        data = self.query(
            "query($key: AssetKeyInput!, $partitions: [String!]) { assetOrError(assetKey: $key) { __typename"
            " ... on Asset { assetMaterializations(partitions: $partitions) { runId partition"
            " metadataEntries { label ... on TextMetadataEntry { text } } } } } }",
            {"key": {"path": asset_key}, "partitions": [partition]},
        )
        found = data["assetOrError"].get("assetMaterializations") or []
        for m in found:
            m["dobo_run_id"] = next((e.get("text") for e in m["metadataEntries"] if e["label"] == "dobo/run_id"), None)
        return found

    def terminate(self, run_id: str) -> dict[str, Any]:
        """Terminate a run as the UI's Terminate button does."""
        data = self.query(
            "mutation($id: String!) { terminateRun(runId: $id) { __typename"
            " ... on TerminateRunSuccess { run { runId status } } ... on TerminateRunFailure { message }"
            " ... on PythonError { message } ... on Error { message } } }",
            {"id": run_id},
        )
        return data["terminateRun"]

    def dobo(self, *args: str, home: Path | None = None, data_root: Path | None = None) -> str:
        """The `dobo` command against the server's store and example data; its stdout (it must succeed).

        `home` and `data_root` point it elsewhere (a separate store, say) instead.
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DOBO_", "DAGSTER_"))}
        env |= {"DOBO_HOME": str(home or self.dobo_home), "DOBO_DATA_ROOT": str(data_root or ROOT)}
        done = subprocess.run(
            [str(Path(sys.executable).parent / "dobo"), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def dobo_runs(self, project_id: str, period: str) -> list[Any]:
        """The dobo Runs of a Project and Period, from the server's metadata store."""
        from dobo_engine.store.api import open_store

        store = open_store(f"sqlite:///{self.dobo_home / 'metadata.db'}")
        try:
            return store.list_runs(project_id=project_id, period_identifier=period)
        finally:
            store.close()

    @contextmanager
    def runs_held_after_load(self) -> Iterator[None]:
        """Every run started meanwhile waits after its load (a busy run), until the block ends."""
        assert self.release_file is not None
        self.release_file.unlink()
        try:
            yield
        finally:
            self.release_file.touch()

    def run_messages(self, run_id: str) -> list[str]:
        data = self.query(
            "query($id: ID!) { logsForRun(runId: $id, limit: 1000) { __typename ... on EventConnection {"
            " events { __typename ... on MessageEvent { message } ... on ExecutionStepFailureEvent"
            " { error { message } } } } } }",
            {"id": run_id},
        )
        return [
            (e.get("message") or "") + (f" {e['error']['message']}" if e.get("error") else "")
            for e in data["logsForRun"]["events"]
        ]

    def reexecute(self, parent_run_id: str, strategy: str = "FROM_FAILURE") -> dict[str, Any]:
        """Re-execute a run as the run page's Re-execute menu does ("From failure" unless told otherwise)."""
        data = self.query(
            "mutation($params: ReexecutionParams!) { launchRunReexecution(reexecutionParams: $params) {"
            " __typename ... on LaunchRunSuccess { run { runId status rootRunId parentRunId } }"
            " ... on PythonError { message } ... on Error { message } } }",
            {"params": {"parentRunId": parent_run_id, "strategy": strategy}},
        )
        return data["launchRunReexecution"]

    def step_stats(self, run_id: str) -> dict[str, str]:
        """The steps a run executed and how each ended, as the run page's timeline shows them."""
        data = self.query(
            "query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { stepStats { stepKey status } } } }",
            {"id": run_id},
        )
        return {s["stepKey"]: s["status"] for s in data["runOrError"]["stepStats"]}

    def wait_for_end(self, run_id: str, timeout: float = 300) -> dict[str, Any]:
        """The run once it has ended, however it ended."""

        def ended() -> dict[str, Any] | None:
            run = self.run(run_id)
            return run if run["status"] in ENDED else None

        return self.wait_until(f"run {run_id} to end", ended, timeout=timeout)

    def wait_for_runs(self, run_ids: list[str], timeout: float = 300) -> list[dict[str, Any]]:
        def finished():
            runs = [self.run(r) for r in run_ids]
            return runs if all(r["status"] in ENDED for r in runs) else None

        runs = self.wait_until(f"runs {run_ids} to finish", finished, timeout=timeout, every=1.0)
        for r in runs:
            if r["status"] != "SUCCESS":
                failure = [m for m in self.run_messages(r["runId"]) if m][-15:]
                raise AssertionError(f"run {r['runId']} ({r['jobName']}) ended {r['status']}:\n" + "\n".join(failure))
        return runs


def server_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOBO_", "DAGSTER_"))}
    env["DOBO_HOME"] = str(tmp / "dobo-home")
    env["DAGSTER_HOME"] = str(tmp / "dobo-home" / "dagster")
    # A test can hold runs after their load (to terminate one, or to see a second launch wait):
    # runs wait at that point only while the release file is missing.
    env["DOBO_FAULT_HOLD"] = "after-operation:0"
    env["DOBO_FAULT_RELEASE"] = str(tmp / "release-held-runs")
    return env


@contextmanager
def dagster_dev(tmp: Path) -> Iterator[DagsterDev]:
    """Prepare with ``scripts/dagster_dev.py --no-serve``, start ``dagster dev``, always stop its process group."""
    env = server_env(tmp)
    release = Path(env["DOBO_FAULT_RELEASE"])
    release.touch()
    prepared = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dagster_dev.py"), "--no-serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    home = Path(env["DAGSTER_HOME"])
    assert (home / "dagster.yaml").read_text() == (ROOT / "dagster.yaml").read_text()

    port = free_port()
    log = tmp / "dagster-dev.log"
    run_env = script.server_env(home) | env
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            script.dagster_dev_command("127.0.0.1", port),
            cwd=home,
            env=run_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = DagsterDev(
        url=f"http://127.0.0.1:{port}",
        dobo_home=Path(env["DOBO_HOME"]),
        dagster_home=home,
        log=log,
        release_file=release,
    )
    try:
        server.wait_until("the GraphQL endpoint", lambda: server.query("{ version }").get("version"), STARTUP_SECONDS)
        server.wait_until("the dobo jobs", server.jobs, STARTUP_SECONDS)
        yield server
    finally:
        script.stop(proc)
