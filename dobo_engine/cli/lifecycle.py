"""Lifecycle commands (cli.md): Project status and pin, conflicts, enable/disable, Calendar and Period status.

`dobo periods close|lock` join the existing `dobo periods` group, so every
Period command stays under one name. Exit codes: 0 done (or already so),
1 the activation checks failed, 2 bad input (unknown id, refused move).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from dobo_engine.cli.common import echo_json, handle_errors, json_option, note
from dobo_engine.cli.status import show_status
from dobo_engine.lifecycle import (
    ProjectState,
    activate,
    deactivate,
    move_calendar,
    reopen,
    resolve_conflict,
    set_enabled,
    upgrade,
)
from dobo_engine.lifecycle.conflict import Mode
from dobo_engine.lifecycle.status import TOGGLE_KINDS
from dobo_engine.store import MetadataStore, open_store

T = TypeVar("T")


def _with_store(action: Callable[[MetadataStore], T]) -> T:
    with open_store() as store:
        return action(store)


def _show_project(state: ProjectState, as_json: bool) -> None:
    if as_json:
        echo_json({"ok": True, **state.to_dict()})
        return
    pin = f", pinned to input v{state.pinned_dataset_version}" if state.pinned_dataset_version else ""
    click.echo(f"Project {state.project_id} v{state.version}: {state.previous_status} → {state.status}{pin}")
    for warning in state.warnings:
        note(f"warning: {warning}")


@click.command("activate")
@click.argument("project_id")
@click.option(
    "--dataset-version",
    type=click.IntRange(min=1),
    default=None,
    help="Input Dataset version to pin (default: the authored one, else the pin, else the latest).",
)
@json_option
@handle_errors
def activate_command(project_id: str, dataset_version: int | None, as_json: bool) -> None:
    """Activate a draft Project: validate it and pin its input version (PRJ-9).

    All or nothing: on any failure every failure is listed (exit 1) and the
    Project is unchanged. The Project's version does not change.

    \b
    Example:
      dobo activate prj-fx-usd --dataset-version 1
    """
    _show_project(_with_store(lambda s: activate(s, project_id, dataset_version)), as_json)


@click.command("deactivate")
@click.argument("project_id")
@json_option
@handle_errors
def deactivate_command(project_id: str, as_json: bool) -> None:
    """Take an active Project out of service: active → inactive (PRJ-11).

    \b
    Example:
      dobo deactivate prj-fx-usd
    """
    _show_project(_with_store(lambda s: deactivate(s, project_id)), as_json)


@click.command("reopen")
@click.argument("project_id")
@json_option
@handle_errors
def reopen_command(project_id: str, as_json: bool) -> None:
    """Make an inactive Project editable again: inactive → draft (PRJ-11).

    \b
    Example:
      dobo reopen prj-fx-usd
    """
    _show_project(_with_store(lambda s: reopen(s, project_id)), as_json)


@click.command("upgrade")
@click.argument("project_id")
@json_option
@handle_errors
def upgrade_command(project_id: str, as_json: bool) -> None:
    """Accept the input Dataset version offered after a non-breaking change (PRJ-13).

    Runs the activation checks against it; the pin moves only if they pass.

    \b
    Example:
      dobo upgrade prj-fx-usd
    """
    _show_project(_with_store(lambda s: upgrade(s, project_id)), as_json)


@click.command("resolve-conflict")
@click.argument("project_id")
@click.option("--pin", "mode", flag_value="pin", help="Keep the pinned version; the Project becomes active.")
@click.option(
    "--adapt",
    "mode",
    flag_value="adapt",
    help="Move the pin to the new version; the Project becomes draft for re-activation.",
)
@json_option
@handle_errors
def resolve_conflict_command(
    project_id: str, mode: Mode | None, as_json: bool
) -> None:  # mode: the flag_value of --pin/--adapt
    """Resolve a Project's conflict report as a whole (PRJ-15).

    \b
    Examples:
      dobo resolve-conflict prj-fx-usd --pin
      dobo resolve-conflict prj-fx-usd --adapt
    """
    if mode is None:
        raise click.UsageError("give exactly one of --pin or --adapt")
    _show_project(_with_store(lambda s: resolve_conflict(s, project_id, mode)), as_json)


def _toggle(name: str, enabled: bool) -> click.Command:
    verb = "Enable" if enabled else "Disable"

    @click.command(name)
    @click.argument("kind", type=click.Choice(TOGGLE_KINDS))
    @click.argument("entity_id", metavar="ID")
    @json_option
    @handle_errors
    def command(kind: str, entity_id: str, as_json: bool) -> None:
        show_status(_with_store(lambda s: set_enabled(s, kind, entity_id, enabled)), as_json)

    command.help = (
        f"{verb} a Dataset, DataSource or Resolver (active ⇄ disabled).\n\n"
        "A disabled entity cannot be newly referenced; Projects already pinned to it keep running.\n\n"
        f"\b\nExample:\n  dobo {name} dataset ds-budgets"
    )
    return command


@click.group("calendar")
def calendar_group() -> None:
    """Calendar status: draft → active → deprecated, one way (CAL-5).

    \b
    Example:
      dobo calendar activate finance
    """


def _calendar(action: str, text: str) -> click.Command:
    @calendar_group.command(action)
    @click.argument("calendar_id")
    @json_option
    @handle_errors
    def command(calendar_id: str, as_json: bool) -> None:
        show_status(_with_store(lambda s: move_calendar(s, calendar_id, action)), as_json)

    command.help = f"{text}\n\n\b\nExample:\n  dobo calendar {action} finance"
    return command


_calendar("activate", "Activate a draft Calendar: its Periods become runnable (CAL-5, D11).")
_calendar("deprecate", "Deprecate an active Calendar: no new Periods; existing ones stay runnable (CAL-5).")

COMMANDS: list[click.Command] = [
    activate_command,
    deactivate_command,
    reopen_command,
    upgrade_command,
    resolve_conflict_command,
    _toggle("disable", False),
    _toggle("enable", True),
    calendar_group,
]
