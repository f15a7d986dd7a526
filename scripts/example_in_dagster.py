"""`make run`: the example Runs launched as Dagster runs, once the UI answers.

Each pending (Project, Period) whose Period is a partition of the Project's
job is launched through the webserver's GraphQL API, as the UI's launchpad
does for one partition: the daemon's run queue runs them one Project and
Period at a time (D15), and they show on the Runs page and as materializations
of the Project's assets. A Period that is no partition of the job (e.g. a
quarter of a month-level Project) is run with `dobo run` instead.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from functools import partial
from typing import Any

from dobo_dagster.translator import DoboTranslator

LAUNCH = (
    "mutation($params: ExecutionParams!) { launchRun(executionParams: $params) { __typename"
    " ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } ... on Error { message } } }"
)
PARTITIONS = (
    "query($repo: RepositorySelector!, $set: String!) { partitionSetOrError(repositorySelector: $repo,"
    " partitionSetName: $set) { __typename ... on PartitionSet { partitionsOrError { __typename"
    " ... on Partitions { results { name } } } } } }"
)
REPOSITORIES = "{ repositoriesOrError { __typename ... on RepositoryConnection { nodes { name location { name } } } } }"


def graphql(url: str, text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps({"query": text, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer: dict[str, Any] = json.loads(response.read())
    if answer.get("errors"):
        raise RuntimeError(str(answer["errors"])[:500])
    return dict(answer["data"])


def wait_for(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except (OSError, urllib.error.URLError, RuntimeError, KeyError, TypeError):
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(1.0)


def _repository(url: str) -> dict[str, str] | None:
    nodes = graphql(url, REPOSITORIES)["repositoriesOrError"].get("nodes") or []
    dobo = [n for n in nodes if n["location"]["name"] == "dobo"]
    return {"repositoryName": dobo[0]["name"], "repositoryLocationName": "dobo"} if dobo else None


def _partitions(url: str, repo: dict[str, str], job: str) -> set[str]:
    data = graphql(url, PARTITIONS, {"repo": repo, "set": f"{job}_partition_set"})["partitionSetOrError"]
    return {p["name"] for p in data["partitionsOrError"]["results"]}


def launch_in_dagster(
    url: str, todo: list[tuple[str, str]], timeout: float = 120
) -> tuple[list[str], list[tuple[str, str]]]:
    """Launch each (Project, Period) of ``todo`` that is a partition of its job; the run ids, and the rest."""
    translator = DoboTranslator()
    repo = wait_for("the dobo code location", lambda: _repository(url), timeout)
    launched: list[str] = []
    rest: list[tuple[str, str]] = []
    partitions: dict[str, set[str]] = {}
    for project, period in todo:
        job = translator.job_name(project)
        if job not in partitions:  # they appear once the location's Period sync sensor has ticked
            partitions[job] = wait_for(f"the partitions of {job}", partial(_partitions, url, repo, job), timeout)
        if period not in partitions[job]:
            rest.append((project, period))
            continue
        params = {
            "selector": {**repo, "jobName": job},
            "runConfigData": {},
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": period}]},
        }
        result = graphql(url, LAUNCH, {"params": params})["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            raise RuntimeError(f"launching {job} for {period}: {result.get('message')}")
        launched.append(result["run"]["runId"])
        print(f"launched in Dagster: {project} for {period} (run {result['run']['runId'][:8]})", flush=True)
    return launched, rest


__all__ = ["graphql", "launch_in_dagster", "wait_for"]
