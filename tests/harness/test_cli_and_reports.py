"""`dobo test` end to end: exit codes, located errors, readable diffs, JUnit and JSON (scenarios.md §7-§8)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from dobo_engine.cli.main import cli

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
FX = SCENARIOS / "finance" / "fx_conversion_worked.yaml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["test", *args])
    return result.exit_code, result.output


@pytest.fixture
def wrong(tmp_path: Path) -> Path:
    text = FX.read_text(encoding="utf-8").replace(
        "amount_reporting: 27962.00 }  # 22000.00", "amount_reporting: 27962.01 }  # 22000.00"
    )
    path = tmp_path / "wrong.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_passing_scenario_exits_0_with_summary_last(tmp_path: Path) -> None:
    code, out = run(str(FX), "--snapshot-dir", str(tmp_path))
    assert code == 0
    assert out.strip().splitlines()[-1] == "1 passed, 0 failed, 0 errors"
    assert out.startswith("PASS ")


def test_wrong_expected_value_fails_with_key_and_columns(wrong: Path, tmp_path: Path) -> None:
    code, out = run(str(wrong), "--snapshot-dir", str(tmp_path / "snaps"))
    assert code == 1
    line = next(x for x in out.splitlines() if "value_mismatch" in x)
    assert 'journal_id: "JE-003"' in line and "line_number: 1" in line
    assert "columns [amount_reporting]" in line and '"27962.01"' in line
    assert out.strip().splitlines()[-1] == "0 passed, 1 failed, 0 errors"
    snaps = list((tmp_path / "snaps").rglob("output-2.*"))
    assert sorted(p.suffix for p in snaps) == [".parquet", ".yaml"]
    pasted = next(p for p in snaps if p.suffix == ".yaml").read_text()
    assert pasted.startswith("rows:\n") and "JE-003" in pasted and "_row_id" not in pasted


def test_max_diffs_limits_the_listing(wrong: Path, tmp_path: Path) -> None:
    text = wrong.read_text().replace("amount_reporting: 15000.00 }", "amount_reporting: 1.00 }")
    wrong.write_text(text)
    _, out = run(str(wrong), "--max-diffs", "1", "--snapshot-dir", str(tmp_path))
    assert "... " in out and "more" in out


def test_malformed_scenario_exits_2_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FX.read_text().replace("run: {", "runn: {"), encoding="utf-8")
    code, out = run(str(bad))
    assert code == 2
    line_no = next(i for i, line in enumerate(bad.read_text().splitlines(), 1) if line.startswith("runn:"))
    assert f"bad.yaml:{line_no}:1" in out and "ScenarioParseError" in out and "'runn'" in out
    assert out.strip().splitlines()[-1] == "0 passed, 0 failed, 1 errors"


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "syntax.yaml"
    bad.write_text("name: x\nperiods: [\n", encoding="utf-8")
    code, out = run(str(bad))
    assert code == 2 and "syntax.yaml:" in out and "ScenarioParseError" in out


def test_no_scenarios_found_exits_2(tmp_path: Path) -> None:
    code, out = run(str(tmp_path))
    assert code == 2


def test_junit_has_one_testcase_per_scenario(wrong: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    code, _ = run(str(FX), str(wrong), "--format", "junit", "--output", str(report), "--snapshot-dir", str(tmp_path))
    assert code == 1
    suite = ET.parse(report).getroot()
    assert suite.tag == "testsuite" and suite.get("name") == "dobo"
    cases = suite.findall("testcase")
    assert len(cases) == 2
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == 1 and "value_mismatch" in failed[0].find("failure").text
    assert all(c.get("classname", "").endswith(".yaml") for c in cases)


def test_json_follows_the_result_model(wrong: Path, tmp_path: Path) -> None:
    code, out = run(str(FX), str(wrong), "--format", "json", "--snapshot-dir", str(tmp_path))
    data = json.loads(out)
    assert data["summary"] == {"total": 2, "passed": 1, "failed": 1, "errors": 0}
    fields = {"scenario_name", "file", "status", "warnings", "data_mismatches", "trace_mismatches"}
    for result in data["results"]:
        assert fields <= set(result)
        assert result["status"] in ("pass", "fail", "error")
    failed = next(r for r in data["results"] if r["status"] == "fail")
    mismatch = failed["data_mismatches"][0]
    assert mismatch == {
        "output": 2,
        "type": "value_mismatch",
        "key": {"journal_id": "JE-003", "line_number": 1},
        "expected": {"amount_reporting": "27962.01"},
        "actual": {"amount_reporting": "27962.000000"},
        "columns": ["amount_reporting"],
    }
    assert failed["snapshot"]
