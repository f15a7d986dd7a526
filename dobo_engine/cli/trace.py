"""`dobo trace`: a row's history or state, or every change of one operation (trace.md §4)."""

from __future__ import annotations

import click
import polars as pl

from dobo_engine.cli.common import echo_json, handle_errors, json_option
from dobo_engine.model.run import ProjectSnapshot
from dobo_engine.runner.service import RunService
from dobo_engine.settings import Settings
from dobo_engine.store.api import open_store
from dobo_engine.trace.reader import TraceReader
from dobo_engine.trace.runinfo import RunInfo


def run_info(run_id: str, service: RunService | None = None) -> RunInfo:
    """The trace's view of a stored Run (`RunNotFound` if there is none)."""
    if service is None:
        settings = Settings.from_env()
        service = RunService(open_store(settings.metadata_url), settings)
    # Through the run service: a Run whose process is gone is reaped first, so its trace is readable.
    record = service.run(run_id)
    snapshot = ProjectSnapshot.model_validate(record.snapshot)
    return RunInfo(
        run_id=record.id,
        status=record.status,
        clock=snapshot.clock,
        operation_types={op.order: op.type for op in snapshot.operations},
        last_completed_operation=record.last_completed_operation,
        trace_enabled=snapshot.trace,
    )


def _show(value: object) -> str:
    return "NULL" if value is None else str(value)


@click.command("trace")
@click.argument("run_id")
@click.option("--row", "row_id", help="A row's `_row_id`: its history, or its state with --at-step.")
@click.option("--at-step", type=int, help="Show the row's full state after this step (0 = load).")
@click.option("--operation", type=int, help="Every change one operation made.")
@json_option
@handle_errors
def trace_command(run_id: str, row_id: str | None, at_step: int | None, operation: int | None, as_json: bool) -> None:
    """Read a Run's trace.

    \b
    Examples:
      dobo trace <run-id> --row <row-id>
      dobo trace <run-id> --row <row-id> --at-step 2 --json
      dobo trace <run-id> --operation 10
    """
    if (row_id is None) == (operation is None):
        raise click.UsageError("give exactly one of --row and --operation")
    settings = Settings.from_env()
    service = RunService(open_store(settings.metadata_url), settings)
    info = run_info(run_id, service)
    # A load traced by reference to its input is read again from the Run's snapshot (TR-15).
    reader = TraceReader(settings.trace_root, replay=service.load_replay)
    if operation is not None:
        changes = reader.operation_changes(info, operation)
        if as_json:
            echo_json(changes.to_dicts())  # read-back of one operation, for the user
        else:
            with pl.Config(tbl_rows=50, tbl_cols=8, fmt_str_lengths=60):
                click.echo(changes)
        return
    if at_step is not None:
        state = reader.row_state(info, row_id or "", at_step)
        if as_json:
            echo_json(state)
        else:
            for key, value in state.items():
                click.echo(f"{key}: {_show(value)}")
        return
    history = reader.row_history(info, row_id or "")
    if as_json:
        echo_json([entry.as_dict() for entry in history])
        return
    for entry in history:
        click.echo(f"[{entry.operation_order}] {entry.operation_type} {entry.change_type}")
        if entry.change_type == "created":
            continue  # a created event has no `before` to compare with
        before = entry.before or {}
        for column in entry.after:
            click.echo(f"    {column}: {_show(before.get(column))} -> {_show(entry.after.get(column))}")


COMMANDS = [trace_command]
