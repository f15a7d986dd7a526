"""Shared scenario fixtures: `_fixtures.yaml` catalogs that scenarios name (scenarios.md §10)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dobo_engine.errors import ScenarioParseError
from dobo_engine.harness.discovery import discover
from dobo_engine.harness.runner import run_scenario
from dobo_engine.harness.scenario import Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
CATALOG = SCENARIOS / "_fixtures.yaml"

TAIL = """project:
  name: p
  operations:
    - { order: 1, type: output, parameters: { destination: default } }
expected_output: { data: { rows: [] } }
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def scenario(tmp_path: Path, head: str) -> Path:
    """A scenario in a folder holding a copy of the suite's fixture catalog."""
    shutil.copy(CATALOG, tmp_path / "_fixtures.yaml")
    return write(tmp_path, "s.yaml", "name: s\n" + head + TAIL)


def rows(s: Scenario, table: str) -> list[dict]:
    return s.input.data[table].rows or []


def test_named_fixtures_equal_the_pasted_dataset_periods_and_rows(tmp_path: Path) -> None:
    catalog = CATALOG.read_text(encoding="utf-8")
    periods = catalog.split("  finance-2026:")[1].split("\ndatasets:")[0].split("\n", 1)[1]
    gl = catalog.split("  gl:")[1].split("\n  fx:")[0].split("\n", 1)[1]
    inline = write(
        tmp_path / "inline",
        "s.yaml",
        "name: s\nperiods:\n"
        + "\n".join(line[2:] for line in periods.splitlines())
        + "\ninput:\n"
        + "\n".join(line[2:] for line in gl.splitlines())
        + "\n"
        + TAIL,
    )
    named = scenario(tmp_path, "periods: { fixture: finance-2026 }\ninput: { fixture: gl }\n")
    a, b = load_scenario(inline), load_scenario(named)
    assert a.periods == b.periods and len(b.periods) == 4
    assert a.input.dataset == b.input.dataset and b.input.dataset.id == "ds-gl"
    assert rows(a, "transactions") == rows(b, "transactions") and len(rows(b, "accounts")) == 4


def test_unknown_dataset_fixture_names_file_path_line_and_known_names(tmp_path: Path) -> None:
    path = scenario(tmp_path, "periods: { fixture: finance-2026 }\ninput:\n  fixture: ledger\n")
    with pytest.raises(ScenarioParseError) as caught:
        load_scenario(path)
    err = caught.value
    assert err.location.file == str(path) and err.location.path == "input.fixture" and err.location.line == 4
    assert "'ledger'" in err.message and "known: budgets, fx, gl" in err.message


def test_unknown_periods_fixture_names_the_known_periods(tmp_path: Path) -> None:
    path = scenario(tmp_path, "periods: { fixture: fiscal }\ninput: { fixture: gl }\n")
    with pytest.raises(ScenarioParseError) as caught:
        load_scenario(path)
    assert caught.value.location.path == "periods.fixture" and caught.value.location.line == 2
    assert "known: finance-2026" in caught.value.message


def test_without_a_catalog_the_error_says_where_it_looked(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: s\nperiods: { fixture: finance-2026 }\ninput: { fixture: gl }\n" + TAIL)
    with pytest.raises(ScenarioParseError, match="no _fixtures.yaml in the scenario's folder or above"):
        load_scenario(path)


def test_overlay_adds_a_column_and_replaces_one_table_of_rows(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        """periods: { fixture: finance-2026 }
input:
  fixture: gl
  dataset:
    main_table:
      columns:
        - { name: cost_center, type: string }
  data:
    transactions:
      rows:
        - { journal_id: JE-9, line_number: 1, account_code: "4000", currency: EUR, amount_local: 1, cost_center: CC1 }
""",
    )
    s = load_scenario(path)
    columns = [c.name for c in s.input.dataset.main_table.columns]
    assert columns[-1] == "cost_center" and columns[:2] == ["journal_id", "line_number"] and len(columns) == 8
    assert [r["journal_id"] for r in rows(s, "transactions")] == ["JE-9"]
    assert len(rows(s, "accounts")) == 4  # the fixture's lookup rows are kept


def test_overlay_column_with_a_known_name_replaces_that_column(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        """periods: { fixture: finance-2026 }
input:
  fixture: gl
  dataset: { main_table: { columns: [ { name: description, type: string, nullable: false } ] } }
""",
    )
    columns = load_scenario(path).input.dataset.main_table.columns
    assert [c.name for c in columns].count("description") == 1
    assert next(c for c in columns if c.name == "description").nullable is False


def test_overlay_mistake_is_located_on_its_scenario_line(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        """periods: { fixture: finance-2026 }
input:
  fixture: gl
  dataset:
    main_table:
      columns:
        - { name: cost_center, type: strng }
""",
    )
    with pytest.raises(ScenarioParseError) as caught:
        load_scenario(path)
    loc = caught.value.location
    assert loc.file == str(path) and loc.line == 8  # the `- { name: cost_center, type: strng }` line
    assert loc.path is not None and loc.path.startswith("input.dataset.main_table.columns[7]")


def test_catalog_mistake_is_located_in_the_catalog_file(tmp_path: Path) -> None:
    catalog = write(tmp_path, "_fixtures.yaml", "periods:\n  p: []\n")
    path = write(tmp_path, "s.yaml", "name: s\nperiods: { fixture: p }\ninput: { fixture: gl }\n" + TAIL)
    with pytest.raises(ScenarioParseError) as caught:
        load_scenario(path)
    assert caught.value.location.file == str(catalog) and caught.value.location.line == 2


def test_bad_fixture_row_value_is_located_in_the_catalog_file(tmp_path: Path) -> None:
    text = CATALOG.read_text(encoding="utf-8").replace("amount_local: -300.00 }", "amount_local: lots }")
    catalog = write(tmp_path, "_fixtures.yaml", text)
    path = write(tmp_path, "s.yaml", "name: s\nperiods: { fixture: finance-2026 }\ninput: { fixture: gl }\n" + TAIL)
    result = run_scenario(path, tmp_path / "snapshots")
    assert result.status == "error" and result.error["code"] == "SchemaValidationError"
    line = next(i for i, x in enumerate(text.splitlines(), start=1) if "amount_local: lots" in x)
    assert result.error["location"].startswith(f"{catalog}:{line}:")
    assert result.error["location"].endswith("datasets.gl.data.transactions.rows[5].amount_local")


def test_nearer_catalog_wins_and_farther_names_stay_visible(tmp_path: Path) -> None:
    shutil.copy(CATALOG, tmp_path / "_fixtures.yaml")
    write(
        tmp_path / "sub",
        "_fixtures.yaml",
        """periods:
  finance-2026:
    - { identifier: "2027-01", level: month, start_date: 2027-01-01, end_date: 2027-01-31 }
""",
    )
    path = write(
        tmp_path / "sub", "s.yaml", "name: s\nperiods: { fixture: finance-2026 }\ninput: { fixture: gl }\n" + TAIL
    )
    s = load_scenario(path)
    assert [p.identifier for p in s.periods] == ["2027-01"] and s.input.dataset.id == "ds-gl"


def test_fixture_catalogs_are_never_run_as_scenarios() -> None:
    files = discover([SCENARIOS])
    assert CATALOG.exists() and CATALOG not in files
    assert discover([CATALOG]) == []
