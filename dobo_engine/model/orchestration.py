"""What a Project declares for unattended operation (`dagster:` key of a Project).

Everything is off unless declared: no schedule, no upstream-data sensor, no
pod resources; the partitions are the Periods of the Calendar's leaf level
unless `partition_level` names another level. Draft Projects never get schedules or sensors (PRJ-10).
Changing these settings is a metadata edit: it does not change what a Run
computes.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, StrictInt

from dobo_engine.model.common import DoboModel


class ProjectSchedule(DoboModel):
    """Run each Period of `level` once it has ended, `offset_days` later (open/closed Periods only)."""

    level: str
    offset_days: StrictInt = Field(0, ge=0)
    cron: str = "0 6 * * *"  # when the schedule looks for ended Periods
    timezone: str = "UTC"
    not_before: date | None = None  # Periods that ended before this date are left alone
    # Without `not_before`: false (default) starts from now, i.e. Periods that ended before this
    # Project version was stored are left alone; true runs every ended Period not done yet.
    catch_up: bool = False


class ProjectSensor(DoboModel):
    """Watch the resolved input locations of `level` Periods; run a Period when its inputs change."""

    level: str
    statuses: list[Literal["open", "closed"]] = ["open", "closed"]
    minimum_interval_seconds: StrictInt = Field(300, ge=10)


class PodResources(DoboModel):
    """Kubernetes requests/limits of the Run's pod (one pod per Run)."""

    cpu_request: str | None = None
    cpu_limit: str | None = None
    memory_request: str | None = None
    memory_limit: str | None = None


class ProjectOrchestration(DoboModel):
    # The Calendar level whose Periods are the Project's partitions in Dagster (one partition
    # axis per Calendar and level); omitted: the Calendar's leaf level.
    partition_level: str | None = None
    schedule: ProjectSchedule | None = None
    sensor: ProjectSensor | None = None
    pod: PodResources | None = None
