"""`dobo run`, `dobo runs`, `dobo cancel`: Runs in this process against the metadata store."""

from __future__ import annotations

from datetime import datetime

import click

from dobo_engine.cli.common import echo_json, handle_errors, json_option, note
from dobo_engine.engine.pipeline import StepReport
from dobo_engine.runner.service import RunService, failure_summary
from dobo_engine.settings import CHECKPOINT_POLICIES, CheckpointPolicy, Settings
from dobo_engine.store.api import open_store
from dobo_engine.store.records import RunRecord


def _service() -> RunService:
    settings = Settings.from_env()
    return RunService(open_store(settings.metadata_url), settings)


def _progress(step: StepReport) -> None:
    name = f" ({step.name})" if step.name else ""
    counts = []
    for label, value in (
        ("changed", step.rows_changed),
        ("created", step.rows_created),
        ("deleted", step.rows_deleted),
    ):
        if value:
            counts.append(f"{value} {label}")
    if step.write is not None:
        counts.append(f"{step.write.rows_written} written to {step.write.destination}")
    note(
        f"  [{step.order:>4}] {step.type:<9}{name}: {step.rows_in} rows in"
        f"{', ' + ', '.join(counts) if counts else ''} ({step.seconds:.2f}s)"
    )


def _warning_count(record: RunRecord) -> str:
    count = len(record.warnings or [])
    return f"  {count} warning{'s' if count != 1 else ''}" if count else ""


def _summary(record: RunRecord) -> dict[str, object]:
    return {
        "run_id": record.id,
        "project_id": record.project_id,
        "project_version": record.project_version,
        "calendar_id": record.calendar_id,
        "period": record.period_identifier,
        "status": record.status,
        "sandbox": record.sandbox,
        "attempt": record.attempt,
        "last_completed_operation": record.last_completed_operation,
        "error": record.error,
        "created_at": record.created_at,
        "completed_at": record.completed_at,
        "cancel_requested": record.cancel_requested_at is not None,
        "lease_owner": record.lease_owner,
        "warnings": record.warnings or [],
        "heartbeat_at": record.heartbeat_at,
    }


@click.command("run")
@click.argument("project_id")
@click.option("--period", "period", required=True, help="Period identifier in the Project's Calendar.")
@click.option("--as-known-at", type=click.DateTime(["%Y-%m-%d"]), help="Replay what was known that day (D9).")
@click.option("--resume", "resume_id", help="Resume this failed Run from its last checkpoint (RUN-7).")
@click.option("--no-trace", is_flag=True, help="Write no trace for this Run (D32).")
@click.option(
    "--checkpoints",
    type=click.Choice(CHECKPOINT_POLICIES),
    help="Durability of this Run (D36): `operations` makes each step durable so a resume continues after it; "
    "`none` persists nothing before the end, a resume starts again. Default: $DOBO_CHECKPOINTS, else none. "
    "A resumed Run keeps the policy it started with.",
)
@json_option
@handle_errors
def run_command(
    project_id: str,
    period: str,
    as_known_at: datetime | None,
    resume_id: str | None,
    no_trace: bool,
    checkpoints: CheckpointPolicy | None,
    as_json: bool,
) -> None:
    """Run a Project for one Period in this process.

    \b
    Example:
      dobo run prj-fx-usd --period 2026-01
      dobo run prj-fx-usd --period 2026-01 --checkpoints operations
    """
    service = _service()
    if resume_id:
        record = service.resume(resume_id)
        last = record.last_completed_operation
        where = "from resolution" if last is None else f"after operation {last}"
        note(f"resuming Run {record.id} (attempt {record.attempt}) {where}")
    else:
        known = as_known_at.date() if as_known_at else None
        record = service.create_run(
            project_id, period, as_known_at=known, trace=False if no_trace else None, checkpoints=checkpoints
        )
        note(
            f"Run {record.id}: {project_id} v{record.project_version} for {period}"
            f"{' (sandbox)' if record.sandbox else ''}"
        )
    final = service.execute(record.id, on_step=None if as_json else _progress)
    for warning in service.load_warnings:  # e.g. rows labelled with another Period (TMP-1)
        note(warning.render())
    if as_json:
        echo_json(_summary(final))
    if final.status == "failed":
        error = final.error or {}
        note(failure_summary(final))
        if error.get("detail"):
            note(f"  {error['detail']}")
        raise SystemExit(1)
    if final.status == "cancelled":  # RUN-8: stopped at an operation boundary
        last = final.last_completed_operation
        note(f"Run {final.id} cancelled " + ("before completing" if last is None else f"after operation {last}"))
        raise SystemExit(1)
    if final.status != "completed":  # the lease was lost: another process or a reaper owns the Run now
        note(f"Run {final.id} is {final.status}: this process lost its lease on it and stopped")
        raise SystemExit(1)
    note(f"Run {final.id} completed")


@click.command("runs")
@click.option("--project", "project_id")
@click.option("--period", "period")
@click.option("--status")
@json_option
@handle_errors
def runs_command(project_id: str | None, period: str | None, status: str | None, as_json: bool) -> None:
    """List Run records.

    \b
    Example:
      dobo runs --project prj-fx-usd --json
    """
    records = _service().runs(project_id=project_id, period_identifier=period, status=status)
    if as_json:
        echo_json([_summary(r) for r in records])
        return
    for r in records:
        stopping = " (cancel requested)" if r.status == "running" and r.cancel_requested_at else ""
        click.echo(
            f"{r.id}  {r.project_id} v{r.project_version}  {r.period_identifier}  {r.status}{stopping}"
            f"  attempt {r.attempt}{_warning_count(r)}"
        )


@click.command("cancel")
@click.argument("run_id")
@handle_errors
def cancel_command(run_id: str) -> None:
    """Cancel a queued or running Run (RUN-8).

    A queued Run, or one whose process is gone (lease expired), is cancelled
    at once. A running Run is asked to stop: its process stops at the next
    operation boundary and records `cancelled`; until then the Run stays
    `running` and its Project and Period stay busy (D15).

    \b
    Example:
      dobo cancel 0196f0a2-6c1e-7d40-9a51-3b2f0c8e4d11
    """
    record = _service().cancel(run_id)
    if record.status == "cancelled":
        click.echo(f"Run {record.id} cancelled")
    else:
        click.echo(f"Run {record.id}: cancel requested; it stops at its next operation boundary")


COMMANDS = [run_command, runs_command, cancel_command]
