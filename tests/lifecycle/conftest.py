"""Fixtures of the lifecycle tests: a store on both backends and a scratch copy of the example catalog."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dobo_engine.store import MetadataStore, open_store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "finance" / "catalog"

# An extra active Project whose operation 2 reads `source_system`, a column no example Project uses.
PRJ_IMPACT = """\
project:
  id: prj-impact
  name: Impact probe
  input_dataset_id: ds-gl
  input_dataset_version: 1
  calendar_id: finance
  materialization: eager
  status: active
  selectors:
    EMEA: 'cost_centers.region = "EMEA"'
  operations:
    - order: 1
      type: update
      parameters:
        assignments:
          - { column: amount_reporting, expression: 'transactions.amount_local * 2' }
    - order: 2
      type: update
      selector: 'source_system = "SAP"'
      parameters:
        assignments:
          - { column: description, expression: '"from SAP"' }
    - order: 3
      type: delete
      selector: '{{EMEA}}'
    - order: 4
      type: output
      parameters:
        destination: default
        columns: [journal_id, amount_reporting]
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, dobo_home: Path) -> Iterator[MetadataStore]:
    url = f"sqlite:///{dobo_home / 'metadata.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = open_store(url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """A scratch copy of the example catalog plus prj-impact, safe to edit."""
    target = tmp_path / "catalog"
    shutil.copytree(EXAMPLE, target)
    (target / "projects" / "prj-impact.yaml").write_text(PRJ_IMPACT, encoding="utf-8")
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
