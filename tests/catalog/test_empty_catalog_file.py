"""An empty catalog file is refused by name, not applied as "0 created" (GEN-2, D28)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import EXAMPLE, copy_example, dobo, snapshot

EMPTY_FILES = {
    "zero bytes": "",
    "only comments": "# the budget Dataset moves here next quarter\n\n",
}


@pytest.fixture
def applied_store(dobo_home: Path) -> Path:
    assert dobo("apply", str(EXAMPLE)).exit_code == 0
    return dobo_home


@pytest.mark.parametrize("text", EMPTY_FILES.values(), ids=list(EMPTY_FILES))
def test_empty_catalog_file_is_an_error_naming_the_file_gen_2(applied_store: Path, tmp_path: Path, text: str) -> None:
    catalog = copy_example(tmp_path)
    empty = catalog / "datasets" / "ds-later.yaml"
    empty.write_text(text, encoding="utf-8")
    before = snapshot()

    result = dobo("apply", str(catalog))

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("1 error:"), result.stderr
    assert f"{empty}: UnknownKind [GEN-2]" in result.stderr
    assert "holds no document (it is empty or only comments)" in result.stderr
    assert snapshot() == before


def test_catalog_without_empty_files_still_applies(applied_store: Path, tmp_path: Path) -> None:
    result = dobo("apply", str(copy_example(tmp_path)))
    assert result.exit_code == 0, result.output
