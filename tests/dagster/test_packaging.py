"""Packaging: the code location `dobo` as a Dagster Component, loaded the same way by every entry point.

`dobo_dagster.definitions:defs` loads the defs folder (one `DoboComponent`,
state-backed); `workspace.yaml` (`dagster dev`), the dg project
(`dg check defs`, `dg dev`) and the Helm values all name the location `dobo`;
loading the location raises no warning from dobo's own code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

# Loads the location as a code server does, in a fresh interpreter (so import-time warnings
# count too), every warning recorded; prints those attributed to dobo's own files. Dagster
# silences its own warnings while it loads a defs folder, so the definitions are also built
# directly, outside that silence.
WARNINGS_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from tests.dagster.locations import code_server_load
    jobs = [j.name for j in code_server_load().get_all_jobs() if not j.name.startswith("__")]
    from dobo_dagster.definitions import build_definitions
    build_definitions().resolve_all_job_defs()
ours = [
    f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}"
    for w in caught
    if "/dobo_dagster/" in w.filename or "/dobo_engine/" in w.filename
]
print(json.dumps({"jobs": jobs, "ours": ours, "all": len(caught)}))
"""


def test_location_loads_with_no_warning_from_dobo_code(finance):
    done = subprocess.run(
        [sys.executable, "-c", WARNINGS_SCRIPT], cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "prj_fx_usd" in result["jobs"], result
    assert result["ours"] == [], result["ours"]


def test_location_loads_with_warnings_as_errors_in_dobo_modules(finance):
    """The same load with every warning attributed to a dobo module turned into an error."""
    script = (
        "import warnings\n"
        "warnings.filterwarnings('error', module=r'dobo_(dagster|engine)(\\..*)?$')\n"
        "from tests.dagster.locations import code_server_load\n"
        "print(len(code_server_load().get_all_jobs()))\n"
        "from dobo_dagster.definitions import build_definitions\n"
        "print(len(build_definitions().resolve_all_job_defs()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_defs_is_the_component_from_the_defs_folder_with_its_state_recorded(finance):
    from dobo_dagster.component import DoboComponent
    from dobo_dagster.state import LocationState, fetch_state
    from tests.dagster.locations import code_server_load

    declared = yaml.safe_load((ROOT / "dobo_dagster/defs/dobo/defs.yaml").read_text())
    assert declared["type"] == f"{DoboComponent.__module__}.{DoboComponent.__name__}"
    repo = code_server_load()
    jobs = {j.name for j in repo.get_all_jobs()}
    assert {"prj_fx_usd", "prj_monthly_summary", "prj_budget_vs_actual", "prj_review_flags"} <= jobs
    # The component's state (the runnable Projects and their versions) travels with the
    # location's snapshot, for run workers to rebuild the same jobs (test_reexecution.py).
    recorded = repo.repository_load_data.reconstruction_metadata
    assert list(recorded) == ["defs-state-[dobo]"]
    assert LocationState.from_json(recorded["defs-state-[dobo]"].value) == fetch_state()


def test_location_name_is_dobo_everywhere():
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    [entry] = workspace["load_from"]
    assert entry["python_module"] == {"module_name": "dobo_dagster.definitions", "location_name": "dobo"}
    dg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dg"]
    assert dg["directory_type"] == "project"
    assert dg["project"]["code_location_name"] == "dobo"
    assert dg["project"]["code_location_target_module"] == "dobo_dagster.definitions"
    values = yaml.safe_load((ROOT / "helm-values.yaml").read_text())
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert deployment["name"] == "dobo"
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", "dobo_dagster.definitions"]


DG = shutil.which("dg", path=str(Path(sys.executable).parent)) or shutil.which("dg")


@pytest.mark.slow
@pytest.mark.skipif(DG is None, reason="the dg CLI (dagster-dg-cli) is not installed")
def test_dg_check_defs_passes(finance, tmp_path):
    env = os.environ.copy()
    env["DAGSTER_HOME"] = str(tmp_path / "dagster-home")
    Path(env["DAGSTER_HOME"]).mkdir()
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    done = subprocess.run([str(DG), "check", "defs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "All definitions loaded successfully" in done.stdout + done.stderr
    listed = subprocess.run(
        [str(DG), "list", "defs", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert listed.returncode == 0, listed.stderr[-3000:]
    jobs = {j["name"] for j in json.loads(listed.stdout)["jobs"]}
    assert {"prj_fx_usd", "prj_monthly_summary", "prj_budget_vs_actual", "prj_review_flags"} <= jobs
