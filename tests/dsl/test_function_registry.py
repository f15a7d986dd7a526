"""The function registry is the one declaration of each DSL function (dsl.md §8-§9).

Its entries drive the checker, the compiler, `dobo parse --help` and
docs/dsl-functions.md; these tests keep the four and the spec in step, and run
every documented example.
"""

from __future__ import annotations

import ast as pyast
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from dobo_engine.cli.main import cli
from dobo_engine.dsl import build_scope, compile_expression
from dobo_engine.dsl.functions import AGGREGATE_NAMES, FUNCTIONS, FunctionSpec
from dobo_engine.dsl.functions.reference import (
    DOC_PATH,
    EXAMPLE_AMOUNTS,
    EXAMPLE_LABEL,
    EXAMPLE_TODAY,
    main,
    render_reference,
)
from dobo_engine.dsl.pretty import string_literal
from dobo_engine.dsl.runtime import collect
from dobo_engine.dsl.scope import ColumnDef
from tests.python_ast import parse_source

ROOT = Path(__file__).resolve().parents[2]
DSL = ROOT / "dobo_engine" / "dsl"


def _example_frame() -> pl.LazyFrame:
    key, value = EXAMPLE_LABEL
    labels_dtype = pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8}))
    return pl.LazyFrame(
        {
            "amount": [None if a is None else Decimal(a) for a in EXAMPLE_AMOUNTS],
            "_labels": [[{"key": key, "value": value}], [], []],
        },
        schema={"amount": pl.Decimal(38, 2), "_labels": labels_dtype},
    )


def _as_literal(value: object) -> str:
    """A value as the reference prints it: DSL literal syntax."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return string_literal(value)
    if isinstance(value, date):
        return f'DATE("{value.isoformat()}")'
    return str(value)  # int, Decimal (keeps its scale)


def _evaluate(spec: FunctionSpec) -> str:
    context = "aggregation" if spec.aggregate else "assignment"
    scope = build_scope(
        [ColumnDef("amount", "decimal", 38, 2)], context=context, today=date.fromisoformat(EXAMPLE_TODAY)
    )
    compiled = compile_expression(spec.example, scope)
    frame = collect(_example_frame().select(compiled.expr.alias("result")))
    return _as_literal(frame["result"][0])


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_documented_example_gives_its_documented_result(name: str) -> None:
    spec = FUNCTIONS[name]
    assert _evaluate(spec) == spec.example_result


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_entry_documents_signature_summary_and_an_example_calling_it(name: str) -> None:
    spec = FUNCTIONS[name]
    assert spec.signature.startswith(f"{name}(")
    assert spec.summary and spec.types and "→" in spec.types
    assert re.search(rf"\b{name}\(", spec.example), "the example calls the function it documents"


def test_the_registry_holds_exactly_the_functions_of_the_spec_dsl_md_section_8() -> None:
    spec_text = (ROOT / "docs" / "spec" / "dsl.md").read_text(encoding="utf-8")
    section = spec_text[spec_text.index("## 8. Functions") : spec_text.index("## 9.")]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    named = {name for cell in first_cells for name in re.findall(r"([A-Z_]+)\(", cell)}
    assert named == set(FUNCTIONS)
    assert set(AGGREGATE_NAMES) == {"SUM", "COUNT", "COUNT_ALL", "AVG", "MIN_AGG", "MAX_AGG"}


def test_docs_dsl_functions_md_is_generated_from_the_registry() -> None:
    assert DOC_PATH == ROOT / "docs" / "dsl-functions.md"
    assert DOC_PATH.read_text(encoding="utf-8") == render_reference(), (
        "docs/dsl-functions.md is out of date: run .venv/bin/python -m dobo_engine.dsl.functions.reference"
    )


def test_reference_check_mode_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "dsl-functions.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert main(["--check", str(stale)]) == 1
    assert main([str(stale)]) == 0
    assert main(["--check", str(stale)]) == 0


def test_parse_help_lists_every_function_from_the_registry() -> None:
    result = CliRunner().invoke(cli, ["parse", "--help"])
    assert result.exit_code == 0
    for spec in FUNCTIONS.values():
        assert spec.signature in result.output
        assert spec.summary in result.output


def _imports(path: Path) -> set[str]:
    tree = parse_source(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in pyast.walk(tree):
        if isinstance(node, pyast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, pyast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_function_compilers_never_import_the_compiler_or_the_checker() -> None:
    """Calls compile through the CompileContext the compiler passes in: no import cycle."""
    for path in (DSL / "functions").glob("*.py"):
        imported = _imports(path)
        assert not any(m.startswith(("dobo_engine.dsl.compiler", "dobo_engine.dsl.typecheck")) for m in imported), path


def test_dsl_modules_import_only_at_the_top() -> None:
    """No import inside a function or at the bottom of a module to dodge a cycle."""
    for path in [*DSL.glob("*.py"), *(DSL / "functions").glob("*.py")]:
        tree = parse_source(path.read_text(encoding="utf-8"))
        body = tree.body
        last_import = max(
            (i for i, n in enumerate(body) if isinstance(n, (pyast.Import, pyast.ImportFrom))), default=-1
        )
        first_definition = min(
            (i for i, n in enumerate(body) if isinstance(n, (pyast.FunctionDef, pyast.ClassDef))), default=len(body)
        )
        assert last_import < first_definition, f"{path.name}: import after the first definition"
        for node in pyast.walk(tree):
            if isinstance(node, (pyast.FunctionDef, pyast.AsyncFunctionDef)):
                nested = [n for n in pyast.walk(node) if isinstance(n, (pyast.Import, pyast.ImportFrom))]
                assert not nested, f"{path.name}: import inside {node.name}"
