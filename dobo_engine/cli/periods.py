"""`dobo periods generate`: create a Calendar's Periods from its levels and date rules (CAL-8)."""

from __future__ import annotations

import click

from dobo_engine.cli.catalog import print_table
from dobo_engine.cli.common import echo_json, handle_errors, json_option, note
from dobo_engine.cli.status import show_status
from dobo_engine.lifecycle.status import move_period
from dobo_engine.model.calendar_generation import generate_range
from dobo_engine.model.documents import authored_content
from dobo_engine.store import open_store
from dobo_engine.store.catalog_reader import StoreCatalog


@click.group("periods")
def periods_group() -> None:
    """Periods of a Calendar.

    \b
    Example:
      dobo periods generate finance --from-year 2025 --to-year 2026
      dobo periods close finance 2026-01
    """


@periods_group.command("generate")
@click.argument("calendar_id")
@click.option("--from-year", type=int, required=True, help="First year to generate.")
@click.option("--to-year", type=int, required=True, help="Last year to generate (inclusive).")
@json_option
@handle_errors
def generate_command(calendar_id: str, from_year: int, to_year: int, as_json: bool) -> None:
    """Create the Periods of each year, root level first (CAL-8).

    Existing Periods (same level, year and sequence) are left unchanged, so
    running it again creates nothing. All new Periods are written in one
    transaction.

    \b
    Example:
      dobo periods generate finance --from-year 2025 --to-year 2026
    """
    with open_store() as store, store.transaction() as tx:
        catalog = StoreCatalog(tx)
        calendar = catalog.calendar(calendar_id)
        result = generate_range(calendar, from_year, to_year, catalog.periods(calendar_id))
        for period in result.periods:
            tx.put_period(authored_content(period))
    created = [
        {
            "identifier": p.identifier,
            "level": p.level,
            "start_date": p.start_date.isoformat(),
            "end_date": p.end_date.isoformat(),
            "parent": p.parent,
        }
        for p in result.periods
    ]
    if as_json:
        echo_json(
            {
                "ok": True,
                "calendar_id": calendar_id,
                "created": created,
                "unchanged": result.unchanged,
                "skipped": result.skipped,
            }
        )
        return
    if created:
        print_table(
            ["IDENTIFIER", "LEVEL", "START", "END", "PARENT"],
            [(p["identifier"], p["level"], p["start_date"], p["end_date"], p["parent"]) for p in created],
        )
    for reason in result.skipped:
        note(f"skipped {reason}")
    note(f"{len(created)} created, {len(result.unchanged)} already present")


def _status_move(action: str, text: str) -> click.Command:
    @periods_group.command(action)
    @click.argument("calendar_id")
    @click.argument("identifier")
    @json_option
    @handle_errors
    def command(calendar_id: str, identifier: str, as_json: bool) -> None:
        with open_store() as store:
            show_status(move_period(store, calendar_id, identifier, action), as_json)

    command.help = f"{text}\n\n\b\nExample:\n  dobo periods {action} finance 2026-01"
    return command


_status_move("close", "Close an open Period: Runs are still allowed, for corrections (PER-3). Never re-opened.")
_status_move("lock", "Lock a closed Period: no more Runs (PER-3, PER-5). Never unlocked.")

COMMANDS: list[click.Command] = [periods_group]
