"""Table-driven: a catalog with one broken document is refused as a whole (D28, D30).

Each case fails with exit 2, one error naming file:line, YAML path, code and
rule, no traceback, and leaves the store exactly as it was.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dobo_engine.store import open_store

from .helpers import EXAMPLE, copy_example, dobo, snapshot
from .invalid_catalogs import CASES, VALID_CHANGES, Case, Change


def test_the_table_is_large_enough_and_ids_are_unique() -> None:
    assert len(CASES) >= 40
    assert len([c for c in CASES if not c.id.startswith("doc-")]) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


def _apply_changes(catalog: Path, changes: list[Change]) -> None:
    for rel, old, new in changes:
        path = catalog / rel
        if old is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new, encoding="utf-8")
            continue
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in {rel}"
        path.write_text(text.replace(old, new), encoding="utf-8")


def _marker(catalog: Path) -> tuple[Path, int]:
    marks = [
        (path, number)
        for path in sorted(catalog.rglob("*.y*ml"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "#<" in line
    ]
    assert len(marks) == 1, f"each case marks exactly one line: {marks}"
    return marks[0]


@pytest.fixture
def prepared_store(dobo_home: Path) -> Path:
    """The example catalog applied and the finance Periods of 2026 generated."""
    assert dobo("apply", str(EXAMPLE)).exit_code == 0
    assert dobo("periods", "generate", "finance", "--from-year", "2026", "--to-year", "2026").exit_code == 0
    return dobo_home


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_invalid_catalog_is_refused_and_changes_nothing(prepared_store: Path, tmp_path: Path, case: Case) -> None:
    if case.setup is not None:
        with open_store() as store:
            case.setup(store)
    catalog = copy_example(tmp_path)
    _apply_changes(catalog, VALID_CHANGES + case.changes)
    file, line = _marker(catalog)
    before = snapshot()

    result = dobo("apply", str(catalog))

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("1 error:"), result.stderr
    pattern = rf"{re.escape(str(file))}:{line}:\d+: {re.escape(case.path)}: (operation \d+: )?{case.code} \[{re.escape(case.rule)}\]"
    assert re.search(pattern, result.stderr), f"expected {pattern!r} in:\n{result.stderr}"
    assert snapshot() == before
