"""Document parsing: error collection, locations, warnings, declared status (GEN-2, D2, D22, RES-1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dobo_engine.errors import DoboErrors
from dobo_engine.model.documents import ENTITY_KINDS, parse_file, parse_text
from dobo_engine.model.project import Project
from dobo_engine.model.resolver import Resolver

PROJECT = """\
project:
  id: prj-a
  name: A
  input_dataset_id: ds-gl
  materialization: eager
  colour: blue
  {status}
  operations:
    - order: 7
      type: update
      parameters:
        joins:
          - {{ alias: fx, dataset_id: ds-fx, on: 'a = fx.b', when: x }}
        assignments:
          - {{ column: _row_id, expression: '1' }}
"""


def test_all_errors_of_a_document_are_raised_together_d2() -> None:
    with pytest.raises(DoboErrors) as info:
        parse_text(PROJECT.format(status=""), "p.yaml")
    found = {(e.code, e.location.path, e.location.line) for e in info.value.errors}
    assert found == {
        ("UnknownKey", "project.colour", 6),
        ("UnknownKey", "project.operations[0].parameters.joins[0].when", 13),
        ("ReservedColumn", "project.operations[0].parameters.assignments[0].column", 15),
    }
    assert info.value.exit_code == 2


def test_errors_inside_an_operation_carry_its_order() -> None:
    with pytest.raises(DoboErrors) as info:
        parse_text(PROJECT.format(status=""), "p.yaml")
    orders = {e.location.path: e.location.operation_order for e in info.value.errors}
    assert orders["project.operations[0].parameters.joins[0].when"] == 7
    assert orders["project.colour"] is None


def test_errors_of_several_documents_are_collected(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text("dataset: { id: a }\n---\nwidget: {}\n")
    with pytest.raises(DoboErrors) as info:
        parse_file(path)
    codes = [(e.code, e.location.line) for e in info.value.errors]
    assert ("UnknownKind", 3) in codes and ("MissingField", 1) in codes
    assert all(e.location.file == str(path) for e in info.value.errors)


def test_declared_draft_status_is_accepted_d22() -> None:
    text = PROJECT.format(status="status: draft").replace("  colour: blue\n", "")
    text = text.replace(", when: x", "").replace("_row_id", "amount")
    [project] = parse_text(text)
    assert isinstance(project, Project) and project.status == "draft"


def test_declared_active_and_inactive_status_are_accepted_d22() -> None:
    for status in ("active", "inactive"):
        text = PROJECT.format(status=f"status: {status}").replace("  colour: blue\n", "")
        text = text.replace(", when: x", "").replace("_row_id", "amount")
        [project] = parse_text(text)
        assert isinstance(project, Project) and project.status == status


def test_declared_conflict_status_is_refused_d22() -> None:
    text = PROJECT.format(status="status: conflict").replace("  colour: blue\n", "")
    text = text.replace(", when: x", "").replace("_row_id", "amount")
    with pytest.raises(DoboErrors) as info:
        parse_text(text)
    [error] = info.value.errors
    assert error.code == "InvalidField" and error.rule == "D22"


def test_whenless_rule_before_the_last_gives_a_warning_res1() -> None:
    text = """\
resolver:
  id: r
  name: R
  rules:
    - { name: first, data_level: any, strategy: { type: path, datasource_id: lake, path: a } }
    - { name: second, data_level: any, strategy: { type: path, datasource_id: lake, path: b } }
"""
    [resolver] = parse_text(text, "r.yaml")
    assert isinstance(resolver, Resolver)
    [warning] = resolver.load_warnings
    assert warning.rule == "RES-1" and warning.location.line == 5 and "unreachable" in warning.message


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "dataset: {id: a, name: A}\nproject: {}\n"])
def test_a_document_is_one_mapping_under_one_kind_key_gen2(text: str) -> None:
    with pytest.raises(DoboErrors) as info:
        parse_text(text)
    assert all(e.rule == "GEN-2" for e in info.value.errors)


def test_api_datasource_validates_but_is_reserved_src1() -> None:
    text = "datasource: { id: api, name: API, type: api, options: { endpoint: 'https://x/y', headers: { Accept: json } } }\n"
    [source] = parse_text(text)
    assert source.options.method == "GET"


def test_entity_kinds_are_those_of_gen2() -> None:
    assert set(ENTITY_KINDS) == {
        "dataset",
        "datasource",
        "calendar",
        "period",
        "resolver",
        "project",
        "calendar_mapping",
    }
