"""D30: one catalogue of stable error codes, declared as classes and listed in the docs.

D31: an unexpected failure inside an operation is reported, never a crash;
data errors keep a code the user can act on, a bug in dobo is InternalError.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import click
import polars as pl
import pytest
from click.testing import CliRunner

import dobo_engine.errors as errors
from dobo_engine.cli.common import handle_errors
from dobo_engine.errors import (
    CATALOGUE,
    FAILURE,
    INPUT,
    DoboError,
    DoboErrors,
    InternalError,
    Location,
    MissingField,
    NumericOverflow,
    OperationFailure,
    SchemaMismatch,
    UnknownKey,
    error_class,
)
from dobo_engine.unexpected_errors import from_unexpected

ROOT = Path(__file__).resolve().parent.parent
DOCS_SCRIPT = ROOT / "scripts/write_error_docs.py"


def _docs_module():
    spec = importlib.util.spec_from_file_location("write_error_docs", DOCS_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the catalogue ------------------------------------------------------------------


def test_docs_list_every_catalogue_code_D30():
    assert (ROOT / "docs/errors.md").read_text() == _docs_module().render(), "run scripts/write_error_docs.py"


def test_docs_check_mode_passes_on_the_committed_file_D30():
    done = subprocess.run([sys.executable, str(DOCS_SCRIPT), "--check"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_docs_row_splits_the_trailing_rule_id_from_the_meaning_D30():
    docs = _docs_module()
    assert docs.row(SchemaMismatch) == "| `SchemaMismatch` | 1 | loaded data does not fit the declared columns | DS-6 |"
    assert docs.row(UnknownKey) == "| `UnknownKey` | 2 | a key that the entity does not define | D2 |"
    assert "InternalError" not in docs.render().split("| --- |")[-1]


def test_every_code_has_a_class_with_that_code_and_a_category_D30():
    for code, (category, meaning) in CATALOGUE.items():
        cls = getattr(errors, code)
        assert issubclass(cls, DoboError) and cls.code == code and error_class(code) is cls
        assert category == cls.category and category in (INPUT, FAILURE)
        assert meaning and "\n" not in meaning


def test_internal_error_is_not_a_catalogue_code():
    assert "InternalError" not in CATALOGUE
    with pytest.raises(ValueError, match="not in the catalogue"):
        error_class("InternalError")


def test_a_second_class_with_an_existing_code_must_subclass_it_D30():
    with pytest.raises(TypeError, match="subclass SchemaMismatch"):
        type("OtherMismatch", (DoboError,), {"code": "SchemaMismatch", "category": FAILURE, "__doc__": "x"})

    class RicherMismatch(SchemaMismatch):
        """Same code, more payload."""

        code = "SchemaMismatch"

    assert error_class("SchemaMismatch") is SchemaMismatch


def test_a_new_code_outside_the_errors_module_is_refused_D30():
    with pytest.raises(TypeError, match="outside dobo_engine.errors"):
        type("Stray", (DoboError,), {"code": "Stray", "category": INPUT, "__doc__": "a stray code"})
    assert "Stray" not in CATALOGUE


def test_the_base_class_alone_has_no_code():
    with pytest.raises(TypeError, match="has no code"):
        DoboError("which code?")


# -- rendering and exit codes -------------------------------------------------------


def test_error_renders_file_line_path_rule_and_message():
    err = SchemaMismatch(
        "column amount missing", location=Location(file="a.yaml", line=3, path="dataset.x"), rule="DS-6"
    )
    assert err.render() == "a.yaml:3: dataset.x: SchemaMismatch [DS-6]: column amount missing"
    assert err.exit_code == 1


def test_collected_errors_render_all_and_exit_2_for_bad_input():
    errs = DoboErrors([UnknownKey("a"), MissingField("b")])
    assert errs.render().splitlines()[0] == "2 errors:"
    assert errs.exit_code == 2
    assert errs.code == "UnknownKey"


# -- D31: what an unexpected exception becomes -------------------------------------------


def _raised_by(fn) -> Exception:
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - the test inspects whatever is raised
        return err
    raise AssertionError("nothing was raised")


def test_a_failed_strict_cast_of_user_data_is_operation_failure_D31():
    cause = _raised_by(lambda: pl.DataFrame({"a": ["x"]}).select(pl.col("a").cast(pl.Float64, strict=True)))
    err = from_unexpected(cause, operation_order=20)
    assert type(err) is OperationFailure and err.location.operation_order == 20
    assert err.message.startswith("operation failed: ")


def test_an_integer_overflow_of_user_data_is_numeric_overflow_D31():
    cause = _raised_by(lambda: pl.DataFrame({"a": [300]}).select(pl.col("a").cast(pl.Int8, strict=True)))
    assert type(from_unexpected(cause, operation_order=10)) is NumericOverflow


def test_a_missing_column_is_a_data_error_not_a_bug_D31():
    cause = _raised_by(lambda: pl.DataFrame({"a": [1]}).select(pl.col("b")))
    assert type(from_unexpected(cause)) is OperationFailure


def test_an_attribute_error_is_a_bug_in_dobo_D31(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DOBO_DEBUG", raising=False)
    cause = _raised_by(lambda: None.frame)  # type: ignore[attr-defined]
    err = from_unexpected(cause, operation_order=30)
    assert isinstance(err, InternalError) and err.exit_code == 1 and err.code == "InternalError"
    assert err.message.startswith("a bug in dobo") and "AttributeError" in err.message
    assert "report it" in err.detail and "Traceback" not in err.detail
    assert err.__cause__ is cause and err.location.operation_order == 30


def test_the_traceback_of_a_bug_is_shown_only_with_dobo_debug(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOBO_DEBUG", "1")
    err = InternalError.from_exception(_raised_by(lambda: {}["missing"]))
    assert "Traceback (most recent call last)" in err.detail and "KeyError" in err.detail


# -- the CLI ----------------------------------------------------------------------


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.argument("what")
@handle_errors
def _command(as_json: bool, what: str) -> None:
    if what == "bug":
        raise TypeError("unsupported operand")
    if what == "input":
        raise UnknownKey("unknown key 'colour'", location=Location(file="ds.yaml", line=4), rule="D2")


def test_cli_reports_a_bug_as_internal_error_exit_1_without_traceback(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DOBO_DEBUG", raising=False)
    result = CliRunner().invoke(_command, ["bug"])
    assert result.exit_code == 1
    assert "InternalError: a bug in dobo, not in your catalog or data: TypeError: unsupported operand" in result.output
    assert "DOBO_DEBUG=1" in result.output and "Traceback" not in result.output


def test_cli_shows_the_traceback_of_a_bug_with_dobo_debug(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOBO_DEBUG", "1")
    result = CliRunner().invoke(_command, ["bug"])
    assert result.exit_code == 1 and "Traceback (most recent call last)" in result.output


def test_cli_keeps_user_errors_exit_2_with_their_code_D30():
    result = CliRunner().invoke(_command, ["input"])
    assert result.exit_code == 2
    assert "ds.yaml:4: UnknownKey [D2]: unknown key 'colour'" in result.output


def test_cli_json_carries_the_internal_error_code(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DOBO_DEBUG", raising=False)
    result = CliRunner().invoke(_command, ["--json", "bug"])
    assert result.exit_code == 1 and '"code": "InternalError"' in result.output
