"""Which scenario files `dobo test` runs (scenarios.md §8)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dobo_engine.harness.fixtures import is_fixture_file

DEFAULT_ROOT = Path("tests/scenarios")


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Scenario files under the given files/folders (default tests/scenarios), sorted by path.

    Fixture catalogs (`_fixtures.yaml`, §10) are never scenarios, even when named.
    """
    found: set[Path] = set()
    given = [Path(p) for p in paths] or [DEFAULT_ROOT]
    for path in given:
        if path.is_dir():
            found.update(p for pattern in ("**/*.yaml", "**/*.yml") for p in path.glob(pattern) if p.is_file())
        elif path.exists():
            found.add(path)
    return sorted(p for p in found if not is_fixture_file(p))


__all__ = ["discover", "DEFAULT_ROOT"]
