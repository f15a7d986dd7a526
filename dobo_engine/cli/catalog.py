"""`dobo apply`, `dobo list`, `dobo show`: write a catalog folder and read back what is stored (cli.md)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from ruamel.yaml import YAML

from dobo_engine.catalog.apply import apply_catalog
from dobo_engine.cli.common import echo_json, handle_errors, json_option, note
from dobo_engine.errors import DoboError
from dobo_engine.model.documents import ENTITY_KINDS as ENTITY_MODELS
from dobo_engine.store import MetadataStore, PeriodRecord, RunRecord, StoredEntity, open_store
from dobo_engine.store.catalog_reader import entity_of

ENTITY_KINDS = ("dataset", "datasource", "calendar", "resolver", "project")
LIST_KINDS = (*ENTITY_KINDS, "period", "run")


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A plain aligned table on stdout."""
    text = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in text)]) for i, h in enumerate(headers)]
    for row in [list(headers), *text]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def to_yaml(data: Any) -> str:
    """Readable YAML; decimals keep their exact digits (D29)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    representer = yaml.representer  # built once, with the flow style above
    representer.sort_base_mapping_type_on_output = False  # keep each mapping's own key order
    representer.add_representer(Decimal, lambda rep, value: rep.represent_scalar("tag:yaml.org,2002:float", str(value)))
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def _default_calendar(store: MetadataStore, calendar_id: str | None) -> str:
    if calendar_id is not None:
        return calendar_id
    default = store.get_default("calendar")
    return default.id if default is not None else "gregorian"


@click.command("apply")
@click.argument("catalog_dir", type=click.Path(path_type=Path))
@json_option
@handle_errors
def apply_command(catalog_dir: Path, as_json: bool) -> None:
    """Validate and write a catalog folder, all of it or nothing (D18, D28).

    Reads every YAML/JSON file under datasets/, datasources/, calendars/,
    periods/, resolvers/ and projects/. Any error in any file stops the whole
    apply: every error is listed and nothing is written. An entity's version
    goes up only when its content changes.

    \b
    Example:
      dobo apply examples/finance/catalog
    """
    with open_store() as store:
        report = apply_catalog(store, catalog_dir)
    for warning in report.warnings:
        note(warning.render())
    for impact in report.impacts:
        note(impact.describe())
    if as_json:
        echo_json(report.to_dict())
        return
    print_table(
        ["KIND", "ID", "VERSION", "OUTCOME", "STATUS", "NOTE"],
        [(e.kind, e.id, e.version, e.outcome, e.status, "; ".join(e.changes)) for e in report.entities],
    )
    note(", ".join(f"{report.count(o)} {o}" for o in ("created", "updated", "unchanged")))


def _entity_row(record: StoredEntity) -> tuple[Any, ...]:
    return (
        record.id,
        record.latest_version,
        record.status,
        "yes" if record.is_default else "",
        record.content.get("name"),
    )


def _period_dict(p: PeriodRecord) -> dict[str, Any]:
    return {
        "id": p.id,
        "calendar_id": p.calendar_id,
        "identifier": p.identifier,
        "name": p.name,
        "description": p.description,
        "level": p.level,
        "year": p.year,
        "sequence": p.sequence,
        "start_date": p.start_date.isoformat(),
        "end_date": p.end_date.isoformat(),
        "parent": p.parent,
        "status": p.status,
        "version": p.version,
        "created_at": p.created_at.isoformat(),
        "updated_at": p.updated_at.isoformat(),
    }


def _run_dict(r: RunRecord) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in vars(r).items()}


def entity_dict(record: StoredEntity) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "id": record.id,
        "version": record.version,
        "latest_version": record.latest_version,
        "status": record.status,
        "is_default": record.is_default,
        "system": record.system,
        "content": record.content,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


@click.command("list")
@click.argument("kind", type=click.Choice(LIST_KINDS))
@click.option("--calendar", "calendar_id", help="Calendar of the Periods (default: the default Calendar).")
@json_option
@handle_errors
def list_command(kind: str, calendar_id: str | None, as_json: bool) -> None:
    """List the stored entities of one kind, each at its latest version.

    \b
    Examples:
      dobo list dataset
      dobo list period --calendar finance --json
    """
    with open_store() as store:
        if kind == "period":
            calendar = _default_calendar(store, calendar_id)
            store.get_entity("calendar", calendar)  # an unknown Calendar is bad input, not an empty list
            periods = store.list_periods(calendar)
            if as_json:
                echo_json([_period_dict(p) for p in periods])
                return
            print_table(
                ["IDENTIFIER", "LEVEL", "START", "END", "PARENT", "STATUS", "NAME"],
                [(p.identifier, p.level, p.start_date, p.end_date, p.parent, p.status, p.name) for p in periods],
            )
            return
        if kind == "run":
            runs = store.list_runs()
            if as_json:
                echo_json([_run_dict(r) for r in runs])
                return
            print_table(
                ["ID", "PROJECT", "VERSION", "PERIOD", "STATUS", "CREATED"],
                [
                    (r.id, r.project_id, r.project_version, r.period_identifier, r.status, r.created_at.isoformat())
                    for r in runs
                ],
            )
            return
        records = store.list_entities(kind)
    if as_json:
        echo_json([entity_dict(r) for r in records])
        return
    print_table(["ID", "VERSION", "STATUS", "DEFAULT", "NAME"], [_entity_row(r) for r in records])


@click.command("show")
@click.argument("kind", type=click.Choice(LIST_KINDS))
@click.argument("id")
@click.option("--version", type=int, help="An earlier version (default: the latest).")
@click.option("--calendar", "calendar_id", help="For a Period: its Calendar (default: the default Calendar).")
@json_option
@handle_errors
def show_command(kind: str, id: str, version: int | None, calendar_id: str | None, as_json: bool) -> None:
    """Show one stored entity, any stored version.

    \b
    Examples:
      dobo show dataset ds-gl
      dobo show dataset ds-gl --version 1 --json
      dobo show period 2026-01 --calendar finance
    """
    with open_store() as store:
        if kind == "period":
            calendar = _default_calendar(store, calendar_id)
            data = _period_dict(store.get_period(calendar, id, version))
            if as_json:
                echo_json(data)
            else:
                click.echo(to_yaml({"period": data}), nl=False)
            return
        if kind == "run":
            data = _run_dict(store.get_run(id))
            if as_json:
                echo_json(data)
            else:
                click.echo(to_yaml({"run": data}), nl=False)
            return
        record = store.get_entity(kind, id, version)
    if as_json:
        echo_json(entity_dict(record))
        return
    default = ", default" if record.is_default else ""
    click.echo(
        f"# {kind} {record.id}: version {record.version} of {record.latest_version}, status {record.status}{default}"
    )
    click.echo(to_yaml({kind: readable(record)}), nl=False)


def readable(record: StoredEntity) -> dict[str, Any]:
    """The stored content in the model's field order, empty optional fields left out."""
    try:
        model = entity_of(record, ENTITY_MODELS[record.kind])
    except DoboError:  # content that today's model no longer reads: show it as stored
        return {**record.content, "version": record.version, "status": record.status}
    return model.model_dump(mode="json", exclude_none=True)


COMMANDS: list[click.Command] = [apply_command, list_command, show_command]
