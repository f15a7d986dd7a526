"""The `dobo` command: one group, sub-commands registered by module."""

from __future__ import annotations

import importlib

import click

from dobo_engine.cli.common import echo_json, json_option
from dobo_engine.settings import Settings

# Each module defines `COMMANDS: list[click.Command]`; add a line to register one.
COMMAND_MODULES: list[str] = [
    "dobo_engine.cli.parse",
    "dobo_engine.cli.catalog",
    "dobo_engine.cli.periods",
    "dobo_engine.cli.run",
    "dobo_engine.cli.trace",
    "dobo_engine.cli.resolve",
    "dobo_engine.cli.test",
    "dobo_engine.cli.validate",
    "dobo_engine.cli.lifecycle",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    settings = Settings.from_env().as_dict()
    if as_json:
        echo_json(settings)
    else:
        for key, value in settings.items():
            click.echo(f"{key}: {value}")


for _module in COMMAND_MODULES:
    for _command in importlib.import_module(_module).COMMANDS:
        cli.add_command(_command)


def main() -> None:
    cli(prog_name="dobo")


if __name__ == "__main__":
    main()
