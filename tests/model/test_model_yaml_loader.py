"""YAML loading per D29/GEN-7: YAML 1.2 core, exact decimals, text dates, positions."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from dobo_engine.errors import YamlSyntaxError
from dobo_engine.model.yaml_loader import format_path, load_yaml_file, load_yaml_text, to_plain

JOIN = """\
joins:
  - alias: fx
    on: 'a = b'
flags: [yes, no, on, off, true, false]
rate: 0.00672
big: 2500000.00
count: 12
day: 2026-01-01
stamp: 2026-02-03T09:15:00.004000Z
nothing: ~
"""


def test_on_key_stays_a_string_gen7() -> None:
    data = load_yaml_text(JOIN, "j.yaml")[0].data
    assert data["joins"][0] == {"alias": "fx", "on": "a = b"}


def test_yes_no_on_off_stay_strings_only_true_false_are_booleans_d29() -> None:
    data = load_yaml_text(JOIN, "j.yaml")[0].data
    assert data["flags"] == ["yes", "no", "on", "off", True, False]


def test_decimal_point_numbers_are_exact_decimals_from_source_text_d29() -> None:
    data = load_yaml_text(JOIN, "j.yaml")[0].data
    assert type(data["rate"]) is Decimal and data["rate"] == Decimal("0.00672")
    assert str(data["big"]) == "2500000.00"  # scale kept from the source text
    assert type(data["count"]) is int and data["count"] == 12


def test_dates_and_timestamps_stay_text_d29() -> None:
    data = load_yaml_text(JOIN, "j.yaml")[0].data
    assert data["day"] == "2026-01-01" and data["stamp"] == "2026-02-03T09:15:00.004000Z"
    assert data["nothing"] is None


def test_positions_are_one_based_line_and_column_gen7() -> None:
    doc = load_yaml_text(JOIN, "j.yaml")[0]
    assert doc.position(("joins", 0, "on")) == (3, 5)
    assert doc.position(("rate",)) == (5, 1)
    assert doc.position(("joins", 0)) == (2, 5)


def test_position_falls_back_to_nearest_ancestor() -> None:
    doc = load_yaml_text(JOIN, "j.yaml")[0]
    assert doc.position(("joins", 0, "dataset_id")) == (2, 5)
    assert doc.position(("missing", "deeper")) == (1, 1)  # the root mapping


def test_several_documents_keep_their_index_and_lines() -> None:
    docs = load_yaml_text("a: 1\n---\nb: 2.50\n", "multi.yaml")
    assert [d.data for d in docs] == [{"a": 1}, {"b": Decimal("2.50")}]
    assert [d.index for d in docs] == [0, 1]
    assert docs[1].position(("b",)) == (3, 1)
    assert docs[1].file == "multi.yaml"


def test_json_is_accepted_d2(tmp_path: Path) -> None:
    path = tmp_path / "ds.json"
    path.write_text(json.dumps({"dataset": {"id": "x", "rate": 1.25, "on": True}}, indent=2))
    doc = load_yaml_file(path)[0]
    assert doc.data == {"dataset": {"id": "x", "rate": Decimal("1.25"), "on": True}}
    assert doc.position(("dataset", "rate")) == (4, 5)


def test_malformed_yaml_names_file_line_and_column() -> None:
    with pytest.raises(YamlSyntaxError) as info:
        load_yaml_text("a: 1\nb: [1,\n  c: d\n", "bad.yaml")
    err = info.value
    assert err.code == "YamlSyntaxError"
    assert err.location.file == "bad.yaml" and err.location.line is not None and err.location.line >= 2
    assert "bad.yaml:" in err.render()


def test_duplicate_key_is_a_syntax_error_with_line() -> None:
    with pytest.raises(YamlSyntaxError) as info:
        load_yaml_text("a: 1\nb: 2\na: 3\n", "dup.yaml")
    assert info.value.location.line == 3
    assert "duplicate key 'a'" in info.value.message


def test_to_plain_and_format_path() -> None:
    assert to_plain({"r": Decimal("1.0920"), "l": (1, 2)}) == {"r": "1.0920", "l": [1, 2]}
    assert format_path(("project", "operations", 2, "parameters", "joins", 0, "on")) == (
        "project.operations[2].parameters.joins[0].on"
    )
