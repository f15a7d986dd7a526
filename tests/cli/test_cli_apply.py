"""`dobo apply`, `list`, `show` and `periods generate` through the real command (D18, D28, GEN-4, CAL-8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.catalog.helpers import EXAMPLE, copy_example, dobo, dobo_json, edit, snapshot


def _outcomes(report: dict) -> dict[str, str]:
    return {f"{e['kind']}/{e['id']}": e["outcome"] for e in report["entities"]}


# The entities the tests rely on; the example may hold more (every one must apply too).
EXPECTED = {
    "dataset/ds-gl",
    "dataset/ds-fx",
    "dataset/ds-budgets",
    "datasource/finance-csv",
    "datasource/finance-parquet",
    "calendar/finance",
    "resolver/finance-files",
    "project/prj-fx-usd",
}


def test_apply_twice_then_edit_one_column_makes_version_two(dobo_home: Path, tmp_path: Path) -> None:
    first = dobo("apply", str(EXAMPLE))
    assert first.exit_code == 0, first.output
    assert "created" in first.stdout and "Traceback" not in first.output

    again = dobo_json("apply", str(EXAMPLE))
    assert EXPECTED <= set(_outcomes(again))
    assert set(_outcomes(again).values()) == {"unchanged"}

    catalog = copy_example(tmp_path)
    edit(
        catalog / "datasets" / "ds-gl.yaml",
        "{ name: source_system, type: string, nullable: false }",
        "{ name: source_system, type: string, nullable: true }",
    )
    edited = dobo_json("apply", str(catalog))
    outcomes = _outcomes(edited)
    assert outcomes.pop("dataset/ds-gl") == "updated"
    assert set(outcomes.values()) == {"unchanged"}
    assert next(e for e in edited["entities"] if e["id"] == "ds-gl")["version"] == 2

    old = dobo("show", "dataset", "ds-gl", "--version", "1")
    assert old.exit_code == 0, old.output
    assert "version 1 of 2" in old.stdout
    old_column = dobo_json("show", "dataset", "ds-gl", "--version", "1")["content"]["main_table"]["columns"][-1]
    new_column = dobo_json("show", "dataset", "ds-gl")["content"]["main_table"]["columns"][-1]
    assert (old_column["name"], old_column["nullable"]) == ("source_system", False)
    assert (new_column["name"], new_column["nullable"]) == ("source_system", True)


def test_first_apply_creates_everything(dobo_home: Path) -> None:
    report = dobo_json("apply", str(EXAMPLE))
    outcomes = _outcomes(report)
    assert EXPECTED <= set(outcomes) and set(outcomes.values()) == {"created"}
    statuses = {f"{e['kind']}/{e['id']}": e["status"] for e in report["entities"]}
    # The example Calendar declares `status: active` (D33) and its Projects may declare theirs (D22).
    assert statuses["calendar/finance"] == "active"
    assert statuses["dataset/ds-gl"] == "active"
    listed = dobo_json("list", "resolver")
    assert [(r["id"], r["is_default"], r["latest_version"]) for r in listed] == [("finance-files", True, 1)]


@pytest.mark.postgres
def test_apply_against_postgresql(
    pg_url: str, dobo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOBO_METADATA_URL", pg_url)
    assert set(_outcomes(dobo_json("apply", str(EXAMPLE))).values()) == {"created"}
    assert set(_outcomes(dobo_json("apply", str(EXAMPLE))).values()) == {"unchanged"}
    before = snapshot(pg_url)
    catalog = copy_example(tmp_path)
    edit(catalog / "datasets" / "ds-gl.yaml", "resolver_id: finance-files", "resolver_id: nowhere")
    failed = dobo("apply", str(catalog))
    assert failed.exit_code == 2 and "UnresolvedReference [RES-9]" in failed.stderr
    assert snapshot(pg_url) == before
    assert not (dobo_home / "metadata.db").exists()  # the SQLite default was not used


def test_periods_generate_creates_the_hierarchy_once(dobo_home: Path) -> None:
    assert dobo("apply", str(EXAMPLE)).exit_code == 0
    generated = dobo_json("periods", "generate", "finance", "--from-year", "2025", "--to-year", "2026")
    assert len(generated["created"]) == 2 * (1 + 4 + 12)
    periods = {p["identifier"]: p for p in dobo_json("list", "period", "--calendar", "finance")}
    assert len(periods) == 34
    assert periods["FY2026"]["parent"] is None and periods["FY2026"]["level"] == "year"
    assert periods["2026-Q1"]["parent"] == "FY2026"
    assert periods["2026-02"]["parent"] == "2026-Q1" and periods["2026-02"]["end_date"] == "2026-02-28"
    assert periods["2025-12"]["parent"] == "2025-Q4"
    for p in periods.values():
        if p["parent"]:
            parent = periods[p["parent"]]
            assert parent["start_date"] <= p["start_date"] and p["end_date"] <= parent["end_date"]
    again = dobo_json("periods", "generate", "finance", "--from-year", "2025", "--to-year", "2026")
    assert again["created"] == [] and len(again["unchanged"]) == 34
    assert len(dobo_json("list", "period", "--calendar", "finance")) == 34


def test_periods_generate_unknown_calendar_is_bad_input(dobo_home: Path) -> None:
    result = dobo("periods", "generate", "nope", "--from-year", "2026", "--to-year", "2026")
    assert result.exit_code == 2 and "EntityNotFound" in result.stderr


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("bad.yaml", "dataset:\n  id: ds-x\n  name: [unclosed\n  main_table: {}\n", 4),
        ("bad.yml", "dataset:\n  id: ds-x\n\tname: tab\n", 3),
        ("bad.json", '{"dataset": {"id": "ds-x",, "name": "x"}}\n', 1),
    ],
)
def test_malformed_yaml_is_bad_input_with_file_and_line(
    dobo_home: Path, tmp_path: Path, name: str, text: str, line: int
) -> None:
    catalog = copy_example(tmp_path)
    (catalog / "datasets" / name).write_text(text, encoding="utf-8")
    result = dobo("apply", str(catalog))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{catalog / 'datasets' / name}:{line}:" in result.stderr
    assert "YamlSyntaxError [GEN-7]" in result.stderr
    assert dobo_json("list", "dataset") == []


def test_missing_catalog_folder_is_bad_input(dobo_home: Path, tmp_path: Path) -> None:
    result = dobo("apply", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "CatalogNotFound" in result.stderr


def test_show_and_list_errors(dobo_home: Path) -> None:
    assert dobo("show", "dataset", "nope").exit_code == 2
    assert dobo("apply", str(EXAMPLE)).exit_code == 0
    missing_version = dobo("show", "dataset", "ds-gl", "--version", "9")
    assert missing_version.exit_code == 2 and "VersionNotFound" in missing_version.stderr
    assert dobo("list", "widget").exit_code == 2
    assert dobo("list", "period", "--calendar", "nope").exit_code == 2
    shown = dobo("show", "calendar", "gregorian")
    assert shown.exit_code == 0 and "status active, default" in shown.stdout
    assert dobo_json("list", "run") == []


def test_every_command_has_help_with_an_example(dobo_home: Path) -> None:
    for args in (["apply"], ["list"], ["show"], ["periods", "generate"]):
        result = dobo(*args, "--help")
        assert result.exit_code == 0
        assert "Example" in result.stdout and "dobo " in result.stdout
