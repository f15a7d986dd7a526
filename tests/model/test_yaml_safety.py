"""Untrusted YAML is read safely: alias bombs, unknown tags and recursive aliases are refused (GEN-7, D29).

Catalogs and scenario files go through the one YAML loader; each case is
refused in well under a second with a `YamlSyntaxError` naming the file and
line, before anything is expanded or stored.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dobo_engine.cli.main import cli
from dobo_engine.errors import YamlSyntaxError
from dobo_engine.model.yaml_loader import MAX_ALIAS_NODES, load_yaml_file, load_yaml_text

ROOT = Path(__file__).resolve().parents[2]

# ~500 bytes that would expand to 9**9 (387 million) strings.
ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def dobo(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_alias_bomb_is_refused_in_milliseconds_GEN_7():
    started = time.perf_counter()
    with pytest.raises(YamlSyntaxError, match="alias bomb") as caught:
        load_yaml_text(ALIAS_BOMB, "bomb.yaml")
    assert time.perf_counter() - started < 1.0
    assert caught.value.location.file == "bomb.yaml" and caught.value.location.line == 1


def test_aliases_within_the_limit_still_read_as_shared_values_GEN_7():
    [doc] = load_yaml_text("base: &rates [1, 2, 3]\ncopy: *rates\n", "ok.yaml")
    assert doc.data == {"base": [1, 2, 3], "copy": [1, 2, 3]}


def test_alias_expansion_just_over_the_limit_is_refused_GEN_7():
    width = 1000
    items = ", ".join(["x"] * width)
    copies = ", ".join(["*row"] * (MAX_ALIAS_NODES // width + 2))
    with pytest.raises(YamlSyntaxError, match="aliases expand"):
        load_yaml_text(f"row: &row [{items}]\ncopies: [{copies}]\n", "wide.yaml")


def test_recursive_alias_is_refused_naming_its_line_GEN_7():
    with pytest.raises(YamlSyntaxError, match="recursive alias") as caught:
        load_yaml_text("ok: 1\nloop: &a [1, *a]\n", "loop.yaml")
    assert caught.value.location.line == 2


@pytest.mark.parametrize(
    ("text", "tag", "line"),
    [
        ('datasource:\n  id: !!python/object/apply:os.system ["id"]\n', "!!python/object/apply:os.system", 2),
        ("datasource:\n  name: x\n  id: !custom ds-1\n", "!custom", 3),
        ("data: !!binary aGVsbG8=\n", "!!binary", 1),
        ("rows: !!set {a, b}\n", "!!set", 1),
    ],
)
def test_unknown_tag_is_refused_with_file_line_and_tag_not_dropped_GEN_7(text, tag, line):
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml_text(text, "tagged.yaml")
    assert tag in caught.value.message
    assert caught.value.location.file == "tagged.yaml" and caught.value.location.line == line


def test_file_larger_than_the_limit_is_refused_unread_GEN_7(tmp_path, monkeypatch):
    import dobo_engine.model.yaml_loader as loader

    monkeypatch.setattr(loader, "MAX_YAML_BYTES", 64)
    big = tmp_path / "big.yaml"
    big.write_text("key: " + "x" * 100 + "\n", encoding="utf-8")
    with pytest.raises(YamlSyntaxError, match="larger than"):
        load_yaml_file(big)


def test_dobo_apply_refuses_an_alias_bomb_in_a_catalog_without_storing_anything_GEN_7(dobo_home, tmp_path):
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "examples/finance/catalog", catalog)
    (catalog / "datasets" / "bomb.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    started = time.perf_counter()
    result = dobo("apply", str(catalog))
    assert time.perf_counter() - started < 10
    assert result.exit_code == 2, result.output
    assert "YamlSyntaxError" in result.output and "bomb.yaml:1" in result.output
    assert "Traceback" not in result.output
    listed = dobo("list", "dataset", "--json")
    assert "ds-gl" not in listed.output


def test_dobo_apply_refuses_a_python_tag_naming_file_line_and_tag_GEN_7(dobo_home, tmp_path):
    catalog = tmp_path / "catalog"
    (catalog / "datasources").mkdir(parents=True)
    (catalog / "datasources" / "evil.yaml").write_text(
        'datasource:\n  id: evil\n  name: !!python/object/apply:os.system ["touch pwned"]\n'
        "  type: csv\n  options: { path_prefix: data }\n",
        encoding="utf-8",
    )
    result = dobo("apply", str(catalog))
    assert result.exit_code == 2, result.output
    assert "evil.yaml:3" in result.output and "!!python/object/apply:os.system" in result.output
    assert "Traceback" not in result.output


def test_dobo_test_refuses_an_alias_bomb_scenario_GEN_7(dobo_home, tmp_path):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "bomb.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    started = time.perf_counter()
    result = dobo("test", str(scenarios))
    assert time.perf_counter() - started < 10
    assert result.exit_code in (1, 2), result.output
    assert "bomb.yaml" in result.output and "alias" in result.output
    assert "Traceback" not in result.output
