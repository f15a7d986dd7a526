"""D30: one catalogue of stable error codes, listed in the docs."""

import importlib.util
from pathlib import Path

from dobo_engine.errors import CATALOGUE, DoboError, DoboErrors, Location, SchemaMismatch

ROOT = Path(__file__).resolve().parent.parent


def test_docs_list_every_catalogue_code_D30():
    spec = importlib.util.spec_from_file_location("w", ROOT / "scripts/write_error_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs/errors.md").read_text() == module.render(), "run scripts/write_error_docs.py"


def test_every_code_has_a_class_with_that_code():
    import dobo_engine.errors as errors

    for code in CATALOGUE:
        cls = getattr(errors, code)
        assert issubclass(cls, DoboError) and cls.code == code


def test_error_renders_file_line_path_rule_and_message():
    err = SchemaMismatch("column amount missing", location=Location(file="a.yaml", line=3, path="dataset.x"), rule="DS-6")
    assert err.render() == "a.yaml:3: dataset.x: SchemaMismatch [DS-6]: column amount missing"
    assert err.exit_code == 1


def test_collected_errors_render_all_and_exit_2_for_bad_input():
    errs = DoboErrors([DoboError("a", code="UnknownKey"), DoboError("b", code="MissingField")])
    assert errs.render().splitlines()[0] == "2 errors:"
    assert errs.exit_code == 2
