"""`dobo` starts fast: a command's module is imported only when that command runs."""

from __future__ import annotations

import importlib
import subprocess
import sys

from dobo_engine.cli.main import COMMANDS, SHORT_HELP_LIMIT, cli


def test_command_table_matches_the_modules_that_define_the_commands():
    for name, (module_name, short_help) in COMMANDS.items():
        commands = {c.name: c for c in importlib.import_module(module_name).COMMANDS}
        assert name in commands, f"{module_name} defines no command {name!r}"
        assert commands[name].get_short_help_str(SHORT_HELP_LIMIT) == short_help, name
    modules = {module for module, _ in COMMANDS.values()}
    defined = {c.name for m in modules for c in importlib.import_module(m).COMMANDS}
    assert defined == set(COMMANDS), "a command module defines a command the table does not list"


def test_every_listed_command_resolves_through_the_group():
    ctx = cli.make_context("dobo", ["--help"], resilient_parsing=True)
    for name in cli.list_commands(ctx):
        assert cli.get_command(ctx, name) is not None, name


def _modules_after(argv: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from dobo_engine.cli.main import cli\n"
        f"try:\n    cli.main({argv!r}, prog_name='dobo', standalone_mode=False)\n"
        "except SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_help_imports_neither_polars_nor_the_store():
    loaded = _modules_after(["--help"])
    assert "polars" not in loaded
    assert "sqlalchemy" not in loaded
    assert "dobo_engine.store" not in loaded


def test_parse_does_not_import_the_store_or_dagster():
    loaded = _modules_after(["parse", "1 + 2"])
    assert "dobo_engine.dsl" in loaded
    assert "sqlalchemy" not in loaded
    assert not any(m.startswith("dagster") for m in loaded)


def test_every_subcommand_is_there_when_only_its_own_module_is_loaded():
    """A command's module carries all of it: `dobo periods close` must not depend on another module being imported."""
    code = (
        "from dobo_engine.cli.main import cli, COMMANDS\n"
        "import click\n"
        "ctx = click.Context(cli)\n"
        "group = cli.get_command(ctx, 'periods')\n"
        "print(' '.join(sorted(group.list_commands(ctx))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["close", "generate", "lock"]
