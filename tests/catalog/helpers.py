"""Shared helpers: run the real `dobo` command, copy the example catalog, snapshot the store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from dobo_engine.cli.main import cli
from dobo_engine.store import open_store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "finance" / "catalog"
KINDS = ("dataset", "datasource", "calendar", "resolver", "project")


def dobo(*args: str) -> Result:
    """`dobo ARGS` in-process, with the test's environment ($DOBO_HOME / DOBO_METADATA_URL)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def dobo_json(*args: str) -> Any:
    result = dobo(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def copy_example(tmp_path: Path, name: str = "catalog") -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLE, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def snapshot(url: str | None = None) -> dict[str, Any]:
    """Everything an apply could change: every version of every entity, flags, Periods."""
    with open_store(url) as store:
        state: dict[str, Any] = {}
        for kind in KINDS:
            for record in store.list_entities(kind):
                versions = store.list_versions(kind, record.id)
                state[f"{kind}/{record.id}"] = {
                    "status": record.status,
                    "is_default": record.is_default,
                    "system": record.system,
                    "versions": {v: store.get_entity(kind, record.id, v).content for v in versions},
                }
                if kind == "calendar":
                    state[f"periods/{record.id}"] = [
                        (p.identifier, p.level, p.parent, p.start_date, p.end_date, p.status, p.version, p.name)
                        for p in store.list_periods(record.id)
                    ]
        return state
