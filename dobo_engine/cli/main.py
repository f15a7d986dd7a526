"""The `dobo` command: one group, sub-commands registered by module."""

from __future__ import annotations

import importlib

import click

from dobo_engine.cli.common import echo_json, json_option
from dobo_engine.io.credentials import mask_secrets
from dobo_engine.settings import Settings

# name -> (module defining it in `COMMANDS`, the line `dobo --help` shows).
# Modules are imported only when their command runs, so `dobo --help` and a
# light command such as `dobo parse` do not pay for Polars, SQLAlchemy and the
# store. tests/cli/test_cli_startup.py keeps this table equal to the modules.
COMMANDS: dict[str, tuple[str, str]] = {
    "activate": ("dobo_engine.cli.lifecycle", "Activate a draft Project: validate it and pin its input..."),
    "apply": ("dobo_engine.cli.catalog", "Validate and write a catalog folder, all of it or nothing..."),
    "calendar": ("dobo_engine.cli.lifecycle", "Calendar status: draft → active → deprecated, one way..."),
    "cancel": ("dobo_engine.cli.run", "Cancel a queued or running Run (RUN-8)."),
    "deactivate": ("dobo_engine.cli.lifecycle", "Take an active Project out of service: active → inactive..."),
    "disable": ("dobo_engine.cli.lifecycle", "Disable a Dataset, DataSource or Resolver (active ⇄..."),
    "enable": ("dobo_engine.cli.lifecycle", "Enable a Dataset, DataSource or Resolver (active ⇄..."),
    "list": ("dobo_engine.cli.catalog", "List the stored entities of one kind, each at its latest..."),
    "parse": ("dobo_engine.cli.parse", "Print the AST, inferred type and errors of one expression."),
    "periods": ("dobo_engine.cli.periods", "Periods of a Calendar."),
    "reopen": ("dobo_engine.cli.lifecycle", "Make an inactive Project editable again: inactive → draft..."),
    "resolve": ("dobo_engine.cli.resolve", "Show the Resolver chosen, the matching rule and every..."),
    "resolve-conflict": ("dobo_engine.cli.lifecycle", "Resolve a Project's conflict report as a whole (PRJ-15)."),
    "run": ("dobo_engine.cli.run", "Run a Project for one Period in this process."),
    "runs": ("dobo_engine.cli.run", "List Run records."),
    "show": ("dobo_engine.cli.catalog", "Show one stored entity, any stored version."),
    "test": ("dobo_engine.cli.test", "Run scenario tests; exit 0 all pass, 1 any fail, 2 any..."),
    "trace": ("dobo_engine.cli.trace", "Read a Run's trace."),
    "upgrade": ("dobo_engine.cli.lifecycle", "Accept the input Dataset version offered after a..."),
    "validate": ("dobo_engine.cli.validate", "Run the activation checks of a Project without changing..."),
}
SHORT_HELP_LIMIT = 60


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module = importlib.import_module(COMMANDS[cmd_name][0])
        return next((c for c in module.COMMANDS if c.name == cmd_name), None)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in COMMANDS]
        rows += [(name, cmd.get_short_help_str(SHORT_HELP_LIMIT)) for name, cmd in self.commands.items()]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
def cli(debug: bool) -> None:
    """dobo: configuration-driven computations over Datasets, one Period at a time.

    \b
    Example:
      dobo apply examples/finance/catalog
    """


@cli.command("config")
@json_option
def config_command(as_json: bool) -> None:
    """Print the settings in effect (D24).

    \b
    Example:
      DOBO_HOME=/tmp/dobo dobo config --json
    """
    # Printed settings never show a secret (a password inside DOBO_METADATA_URL, GEN-6).
    settings = mask_secrets(Settings.from_env().as_dict())
    if as_json:
        echo_json(settings)
    else:
        for key, value in settings.items():
            click.echo(f"{key}: {value}")


def main() -> None:
    cli(prog_name="dobo")


if __name__ == "__main__":
    main()
