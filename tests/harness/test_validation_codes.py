"""`dobo test` reports an invalid inline Project with the codes `dobo validate` gives (SC-3, VAL-012)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dobo_engine.cli.main import cli
from dobo_engine.harness.runner import run_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "scenarios"
CATALOG = ROOT / "examples" / "finance" / "catalog"
OUTPUT = {"order": 2, "type": "output", "parameters": {"destination": "default"}}

SHAPES = {
    "empty assignments": {"order": 1, "type": "update", "parameters": {"assignments": []}},
    "empty aggregations": {
        "order": 1,
        "type": "aggregate",
        "parameters": {"group_by": ["currency"], "aggregations": []},
    },
    "unknown type": {
        "order": 1,
        "type": "upsert",
        "parameters": {"assignments": [{"column": "description", "expression": '"x"'}]},
    },
}


def harness_codes(operation: dict, tmp_path: Path) -> list[tuple[str, int | None]]:
    """The failures a scenario (expecting output, so it errors) reports for the operation."""
    shutil.copy(SCENARIOS / "_fixtures.yaml", tmp_path / "_fixtures.yaml")
    scenario = {
        "name": "shape",
        "periods": {"fixture": "finance-2026"},
        "input": {"fixture": "gl"},
        "project": {"name": "p", "operations": [operation, OUTPUT]},
        "expected_output": {"data": {"rows": []}},
    }
    path = tmp_path / "shape.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    result = run_scenario(path, tmp_path / "snapshots")
    assert result.status == "error" and result.error is not None
    assert result.error["code"] == "ValidationFailed"
    return [(f["type"], f.get("operation_order")) for f in result.error["failures"]]


def validate_codes(operation: dict, tmp_path: Path) -> list[tuple[str, int | None]]:
    """The failures `dobo validate` reports for the same operations in a Project file."""
    project = {
        "project": {
            "id": "prj-shape",
            "name": "shape",
            "input_dataset_id": "ds-gl",
            "calendar_id": "finance",
            "materialization": "eager",
            "operations": [operation, OUTPUT],
        }
    }
    path = tmp_path / "prj-shape.yaml"
    path.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path), "--catalog", str(CATALOG), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    return [(f["type"], f.get("operation_order")) for f in report["failures"]]


@pytest.mark.parametrize("shape", SHAPES)
def test_harness_reports_the_val_012_codes_of_dobo_validate(shape: str, tmp_path: Path) -> None:
    operation = SHAPES[shape]
    expected = validate_codes(operation, tmp_path)
    assert expected and expected[0][0] in ("InvalidOperation", "UnknownOperationType")
    assert harness_codes(operation, tmp_path) == expected
