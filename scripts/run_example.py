"""`make run`: apply the example finance catalog and run its Projects on the embedded default.

Uses the `dobo` command exactly as a user would; state lands under $DOBO_HOME
(default `.dobo/`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOBO = str(Path(sys.executable).parent / "dobo")
PERIODS = ["2026-01", "2026-02", "2026-Q1"]


def dobo(*args: str, capture: bool = False) -> str:
    print(f"$ dobo {' '.join(args)}", flush=True)
    result = subprocess.run([DOBO, *args], cwd=ROOT, text=True, capture_output=capture)
    if result.returncode != 0:
        if capture:
            sys.stderr.write(result.stdout + result.stderr)
        sys.exit(result.returncode)
    return result.stdout if capture else ""


def main() -> None:
    dobo("apply", "examples/finance/catalog")
    dobo("periods", "generate", "finance", "--from-year", "2025", "--to-year", "2026")
    import json

    projects = [p["id"] for p in json.loads(dobo("list", "project", "--json", capture=True))]
    for project in projects:
        for period in PERIODS:
            dobo("run", project, "--period", period)
    dobo("config")


if __name__ == "__main__":
    main()
