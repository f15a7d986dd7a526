"""The examples in the docstrings of the public entry points run and give what they show.

The engine's entry point (``Executor``, a Project over in-memory frames) and
the trace (builders, writer, reader) must carry examples; the expression
language's modules are run too, and pass while they have none.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io

import pytest

OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS

# Modules whose public functions are documented by runnable examples.
DOCUMENTED = [
    "dobo_engine.engine.pipeline",
    "dobo_engine.trace",
    "dobo_engine.trace.events",
    "dobo_engine.trace.format",
    "dobo_engine.trace.reader",
    "dobo_engine.trace.replay",
    "dobo_engine.trace.runinfo",
    "dobo_engine.trace.store",
]
# Modules whose examples run when they have some.
RUN_IF_PRESENT = [
    "dobo_engine.dsl",
    "dobo_engine.dsl.pipeline",
    "dobo_engine.dsl.functions",
]


def run_examples(module_name: str) -> tuple[doctest.TestResults, str]:
    """Run a module's docstring examples; return the counts and doctest's report of the failures."""
    module = importlib.import_module(module_name)
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        results = doctest.testmod(module, optionflags=OPTIONS, report=False)
    return results, report.getvalue()


@pytest.mark.parametrize("module_name", DOCUMENTED)
def test_public_entry_points_have_examples_that_run(module_name: str):
    results, report = run_examples(module_name)
    assert results.attempted > 0, f"{module_name} has no docstring examples"
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed in {module_name}:\n{report}"


@pytest.mark.parametrize("module_name", RUN_IF_PRESENT)
def test_expression_language_examples_run(module_name: str):
    results, report = run_examples(module_name)
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed in {module_name}:\n{report}"


def test_a_wrong_example_is_reported_with_its_output():
    module = type(importlib)("dobo_doctest_probe")
    module.__doc__ = ">>> 1 + 1\n3\n"
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        results = doctest.testmod(module, optionflags=OPTIONS, report=False)
    assert results == (1, 1)
    assert "Expected:\n    3\nGot:\n    2" in report.getvalue()
