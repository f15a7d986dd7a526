"""Headless Chromium for the UI tests: find or install it, take screenshots and DOM dumps of UI pages.

Screenshots and DOM dumps go to tests/dagster/deploy/output/ (git-ignored).
Chromium is Debian's `chromium`; it is installed once with apt-get if it is
missing, and the tests that need it skip, saying why, only if that is impossible.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

OUTPUT = Path(__file__).resolve().parent / "output"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,1000",
    # Let the single-page app fetch its data and render before the dump/screenshot.
    "--virtual-time-budget=30000",
]


def _find_chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)


def chromium_binary() -> str:
    """The Chromium binary, installed with apt-get if missing; skips the test if that is impossible."""
    found = _find_chromium()
    if found:
        return found
    if not shutil.which("apt-get") or os.geteuid() != 0:
        pytest.skip("chromium is not installed and apt-get cannot install it here (needs root and apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            pytest.skip(f"cannot install chromium ({' '.join(cmd)}): {result.stderr.strip()[-300:]}")
    found = _find_chromium()
    if not found:
        pytest.skip("apt-get installed chromium but no chromium binary is on PATH")
    return found


def _chromium(binary: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="dobo-chromium-") as profile:
        return subprocess.run(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=180,
        )


def dump_dom(binary: str, url: str, name: str) -> str:
    """The page's DOM once rendered, also saved as output/<name>.html."""
    OUTPUT.mkdir(exist_ok=True)
    result = _chromium(binary, "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    (OUTPUT / f"{name}.html").write_text(result.stdout)
    return result.stdout


def screenshot(binary: str, url: str, name: str) -> Path:
    """A screenshot of the rendered page, saved as output/<name>.png."""
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{name}.png"
    path.unlink(missing_ok=True)
    result = _chromium(binary, f"--screenshot={path}", url)
    assert result.returncode == 0 and path.exists(), result.stderr[-2000:]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    return path
