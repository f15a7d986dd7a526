"""Table-driven: each invalid document breaks exactly one rule (GEN-2, D2 and entities.md rules)."""

from __future__ import annotations

import pytest

from dobo_engine.errors import DoboErrors
from dobo_engine.model.documents import parse_text

from .invalid_cases import CASES


def _marked_line(text: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if "#<" in line]
    assert len(lines) == 1, "each case marks exactly one line"
    return lines[0]


def test_the_table_is_large_enough_and_ids_are_unique() -> None:
    assert len(CASES) >= 45
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(("text", "code", "rule", "path"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_document_reports_code_rule_path_and_line(text: str, code: str, rule: str, path: str) -> None:
    with pytest.raises(DoboErrors) as info:
        parse_text(text, "case.yaml")
    errors = info.value.errors
    assert len(errors) == 1, info.value.render()
    error = errors[0]
    assert (error.code, error.rule, error.location.path) == (code, rule, path), error.render()
    assert error.location.file == "case.yaml"
    assert error.location.line == _marked_line(text), error.render()
