"""D12 / architecture.md: the engine never imports Dagster; dobo_dagster depends on dobo_engine only one way."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imported_roots(package: str) -> set[str]:
    roots: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots.add(node.module.split(".")[0])
    return roots


def test_engine_imports_neither_dagster_nor_the_code_location_D12():
    roots = _imported_roots("dobo_engine")
    assert not {r for r in roots if r.startswith("dagster")}
    assert "dobo_dagster" not in roots
