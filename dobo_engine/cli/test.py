"""`dobo test`: run scenario files (scenarios.md §8)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dobo_engine.harness.discovery import discover
from dobo_engine.harness.report import DEFAULT_MAX_DIFFS, exit_code, render_human, render_json, render_junit
from dobo_engine.harness.runner import run_scenario


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["human", "json", "junit"]), default="human", show_default=True)
@click.option("--output", "output", type=click.Path(path_type=Path), help="Write the report to FILE instead of stdout.")
@click.option(
    "--snapshot-dir",
    type=click.Path(path_type=Path),
    help="Where failed scenarios save their actual output (default $DOBO_HOME/snapshots).",
)
@click.option(
    "--max-diffs",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_DIFFS,
    show_default=True,
    help="Mismatches shown per scenario (human and junit).",
)
def test_command(
    paths: tuple[Path, ...], fmt: str, output: Path | None, snapshot_dir: Path | None, max_diffs: int
) -> None:
    """Run scenario tests; exit 0 all pass, 1 any fail, 2 any error or none found.

    \b
    Example:
      dobo test tests/scenarios --format junit --output report.xml
    """
    files = discover(paths)
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        click.echo(f"error: {path} does not exist", err=True)
    results = [run_scenario(f, snapshot_dir) for f in files]
    if not files:
        click.echo("error: no scenario files found", err=True)
    text = {
        "human": lambda: render_human(results, max_diffs),
        "json": lambda: render_json(results),
        "junit": lambda: render_junit(results, max_diffs),
    }[fmt]()
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    sys.exit(2 if missing else exit_code(results))


COMMANDS = [test_command]
