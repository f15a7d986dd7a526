"""`dobo resolve`: which Resolver, rule and locations serve a Dataset for a Period (RES-1..9)."""

from __future__ import annotations

import click

from dobo_engine.cli.common import echo_json, handle_errors, json_option
from dobo_engine.resolver.explain import explain_resolution
from dobo_engine.resolver.registered_outputs import StoreRegisteredLocations
from dobo_engine.settings import Settings
from dobo_engine.store.api import open_store
from dobo_engine.store.catalog_reader import StoreCatalog


@click.command("resolve")
@click.argument("dataset_id")
@click.option("--period", "period", required=True, help="Period identifier.")
@click.option("--project", "project_id", help="Use this Project's Calendar and resolver_overrides.")
@click.option("--calendar", "calendar_id", help="Calendar of the Period (default: the default Calendar).")
@click.option("--dataset-version", type=int, help="A stored version of the Dataset (default: latest).")
@json_option
@handle_errors
def resolve_command(
    dataset_id: str,
    period: str,
    project_id: str | None,
    calendar_id: str | None,
    dataset_version: int | None,
    as_json: bool,
) -> None:
    """Show the Resolver chosen, the matching rule and every location, without loading data.

    \b
    Example:
      dobo resolve ds-gl --period 2026-Q1 --project prj-fx-usd
    """
    store = open_store(Settings.from_env().metadata_url)
    catalog = StoreCatalog(store)
    project = catalog.project(project_id) if project_id else None
    if calendar_id is None:
        default = store.get_default("calendar")
        calendar_id = default.id if default else "gregorian"
    report = explain_resolution(
        catalog,
        dataset_id,
        period,
        calendar_id,
        project=project,
        dataset_version=dataset_version,
        registered=StoreRegisteredLocations(store),
    )
    if as_json:
        echo_json(report.as_dict())
    else:
        for line in report.render_lines():
            click.echo(line)
    if report.error is not None or any(t.status == "error" for t in report.tables):
        raise SystemExit(1)


COMMANDS = [resolve_command]
