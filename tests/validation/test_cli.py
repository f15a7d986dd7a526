"""`dobo validate`: "valid" (exit 0), the report (exit 1), bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dobo_engine.cli.main import cli
from tests.validation.helpers import CATALOG

BROKEN = """
project:
  id: prj-broken
  name: Broken
  input_dataset_id: ds-gl
  materialization: eager
  operations:
    - { order: 1, type: update, parameters: { assignments: [{ column: _secret, expression: 'amount_local >' }] } }
    - { order: 2, type: merge, parameters: {} }
    - { order: 3, type: output, parameters: { destination: default, columns: [journal_id, nope] } }
"""


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_valid_example_file_against_a_catalog_folder():
    result = invoke("validate", str(CATALOG / "projects/prj-fx-usd.yaml"), "--catalog", str(CATALOG))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "valid"


def test_project_id_from_the_catalog_folder():
    result = invoke("validate", "prj-budget-vs-actual", "--catalog", str(CATALOG), "--dataset-version", "1")
    assert result.exit_code == 0, result.output


def test_failures_print_the_report_and_exit_1(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    result = invoke("validate", str(path), "--catalog", str(CATALOG))
    assert result.exit_code == 1
    for expected in (
        "VAL-001 ExpressionSyntaxError",
        "VAL-013 ReservedColumn",
        "VAL-012 UnknownOperationType",
        "VAL-002 UnresolvedColumnRef",
    ):
        assert expected in result.output


def test_json_report(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    result = invoke("validate", str(path), "--catalog", str(CATALOG), "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False and data["project_id"] == "prj-broken" and data["dataset_version"] == 1
    assert [f["operation_order"] for f in data["failures"]] == [1, 1, 2, 3]


@pytest.mark.parametrize(
    "args",
    [
        ("missing.yaml", "--catalog", str(CATALOG)),
        ("prj-unknown", "--catalog", str(CATALOG)),
        (str(CATALOG / "projects/prj-fx-usd.yaml"), "--catalog", "/no/such/folder"),
        (str(CATALOG / "datasets/ds-gl.yaml"), "--catalog", str(CATALOG)),
        (str(CATALOG / "projects/prj-fx-usd.yaml"), "--dataset-version", "0"),
    ],
)
def test_bad_input_exits_2(args):
    assert invoke("validate", *args).exit_code == 2


def test_project_id_from_the_metadata_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOBO_HOME", str(tmp_path))
    monkeypatch.delenv("DOBO_METADATA_URL", raising=False)
    applied = invoke("apply", str(CATALOG))
    if applied.exit_code != 0:
        pytest.skip(f"catalog apply is not available: {applied.output}")
    assert invoke("validate", "prj-fx-usd").output.strip() == "valid"
    assert invoke("validate", "prj-nope").exit_code == 2
    result = invoke("validate", "prj-fx-usd", "--dataset-version", "7", "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["failures"][0]["type"] == "UnresolvedDatasetRef"
