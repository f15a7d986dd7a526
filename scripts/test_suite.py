"""Run the whole test suite (`make test`).

Starts a throw-away PostgreSQL server on loopback when DOBO_TEST_PG_URL is not
already set (CI sets it), so the same command works on a fresh machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _start_postgres() -> str | None:
    if os.environ.get("DOBO_TEST_PG_URL"):
        return None
    have_initdb = shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not have_initdb:
        print("note: no PostgreSQL binaries found; PostgreSQL tests will be skipped", file=sys.stderr)
        return None
    out = subprocess.run(
        ["bash", str(ROOT / "scripts/pg_server.sh"), "start"], check=True, capture_output=True, text=True
    ).stdout
    pg_dir = None
    for line in out.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        os.environ[key] = value
        if key == "DOBO_TEST_PG_DIR":
            pg_dir = value
    return pg_dir


def main(argv: list[str]) -> int:
    pg_dir = _start_postgres()
    try:
        # The contract scenarios run inside pytest, once: tests/test_scenarios.py runs the
        # user-facing `dobo test tests/scenarios` and reports each scenario as its own item.
        return subprocess.call([sys.executable, "-m", "pytest", *argv], cwd=ROOT)
    finally:
        if pg_dir:
            subprocess.call(["bash", str(ROOT / "scripts/pg_server.sh"), "stop", pg_dir])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
