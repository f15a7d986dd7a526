"""Every rule id of operations.md and trace.md is named by some scenario's description."""

from __future__ import annotations

import re
from pathlib import Path

from dobo_engine.harness.discovery import discover
from dobo_engine.model.yaml_loader import load_yaml_file

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent / "scenarios"
RULE_ID = re.compile(r"\b(OP-[A-Z]+-\d+|TR-\d+)\b")


def rule_ids() -> list[str]:
    lines = (HERE / "rule_ids.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_fixture_lists_every_group() -> None:
    ids = rule_ids()
    for prefix in (
        "OP-GEN",
        "OP-SEL",
        "OP-LKP",
        "OP-UPD",
        "OP-JOIN",
        "OP-DEL",
        "OP-AGG",
        "OP-APP",
        "OP-OUT",
        "OP-SYS",
        "TR",
    ):
        assert any(i.startswith(prefix + "-") for i in ids), prefix
    assert len(ids) == len(set(ids)) >= 70


def test_every_rule_id_is_covered_by_a_scenario_description() -> None:
    named: set[str] = set()
    files = discover([SCENARIOS])
    assert len(files) >= 45
    for path in files:
        (doc,) = load_yaml_file(path)
        named.update(RULE_ID.findall(str(doc.data.get("description", ""))))
    missing = [i for i in rule_ids() if i not in named]
    assert not missing, f"rule ids no scenario description names: {missing}"
