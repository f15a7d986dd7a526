"""Calendar-driven schedules: run each Period of a level once it has ended (declared per project).

`build_schedule_from_partitioned_job` does not support dynamic partitions,
so the schedule lists the Calendar's Periods itself. A due Period is
requested only if it is not done: no run of it is queued or running, and no
completed Run of the same Project version read the same input files
(`automation.done_reason`; a run_key would only dedupe within one tick). So
every tick after the first requests nothing new unless an input changed, a
new Project version was loaded, or an earlier run failed. Declared
automation starts from now: Periods that ended before the Project version
declaring it was stored are left alone, unless the schedule says
`catch_up: true` or gives `not_before`. A Period whose input files are all
missing is not requested (its run could only fail, tick after tick); one
read from tables is. Only open and
closed Periods run (PER-5), and only keys already synced as partitions are
requested, since an unknown key would fail the whole tick.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from dagster import (
    DefaultScheduleStatus,
    DynamicPartitionsDefinition,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    schedule,
)

from dobo_dagster.automation import FINGERPRINT, changed_at, done_reason, fingerprint_of, resolved_input_files
from dobo_dagster.partitions import known_partition_keys
from dobo_dagster.resources import current_store
from dobo_dagster.settings import ScheduleSettings
from dobo_dagster.translator import DoboTranslator
from dobo_engine.model.calendar import RUNNABLE_PERIOD_STATUSES
from dobo_engine.model.project import Project


def first_period_end(project_id: str, version: int, settings: ScheduleSettings) -> date | None:
    """Periods ending before this are left alone: `not_before`, else the day the Project version
    declaring the schedule was stored (automation starts from now), unless it asks to catch up."""
    if settings.not_before is not None:
        return settings.not_before
    if settings.catch_up:
        return None
    return current_store().version_created_at("project", project_id, version).date()


def due_periods(calendar_id: str, settings: ScheduleSettings, today: date, since: date | None = None) -> list[str]:
    """Periods of the level that ended at least `offset_days` before today (and not before `since`)."""
    due = []
    for period in current_store().list_periods(calendar_id, settings.level):
        if period.status not in RUNNABLE_PERIOD_STATUSES:
            continue
        if since is not None and period.end_date < since:
            continue
        if period.end_date + timedelta(days=1 + settings.offset_days) <= today:
            due.append(period.identifier)
    return due


def period_schedule(
    project: Project,
    version: int,
    calendar_id: str,
    job: Any,  # the Project's asset job
    partitions: DynamicPartitionsDefinition,
    settings: ScheduleSettings,
    translator: DoboTranslator,
) -> ScheduleDefinition:
    @schedule(
        name=f"{translator.job_name(project.id)}_schedule",
        job=job,
        cron_schedule=settings.cron,
        execution_timezone=settings.timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"runs each {settings.level} Period of {calendar_id} {settings.offset_days} day(s) after it ends",
    )
    def _schedule(context: ScheduleEvaluationContext) -> Iterator[RunRequest]:
        when = context.scheduled_execution_time
        today = when.date() if when is not None else date.today()
        known = known_partition_keys(context, partitions)
        since = first_period_end(project.id, version, settings)
        for identifier in due_periods(calendar_id, settings, today, since):
            key = translator.partition_key(identifier)
            if key not in known:
                continue
            resolved = resolved_input_files(project, calendar_id, identifier)
            if resolved.not_there_yet:  # a run would only fail for want of data, on every tick
                context.log.info(f"{key}: not requested, its input files are not there yet")
                continue
            files = resolved.found
            fingerprint = fingerprint_of(files)
            done = done_reason(
                context.instance, translator, project.id, version, job.name, key, fingerprint, changed_at(files)
            )
            if done:
                context.log.info(f"{key}: not requested, {done}")
                continue
            yield RunRequest(
                run_key=f"{project.id}:{key}:{version}:{fingerprint}",
                partition_key=key,
                tags={FINGERPRINT: fingerprint},
            )

    return _schedule


__all__ = ["due_periods", "first_period_end", "period_schedule"]
