"""How a status change of a Calendar, Period or catalog entity is printed."""

from __future__ import annotations

import click

from dobo_engine.cli.common import echo_json
from dobo_engine.lifecycle.status import StatusChange


def show_status(change: StatusChange, as_json: bool) -> None:
    if as_json:
        echo_json({"ok": True, **change.to_dict()})
    elif change.changed:
        click.echo(f"{change.kind} {change.id}: {change.status_before} → {change.status}")
    else:
        click.echo(f"{change.kind} {change.id} is already {change.status}")
