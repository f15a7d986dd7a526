"""DagsterSettings: what a Project declares under its `dagster:` key.

Everything is off unless declared: no schedule, no upstream-data sensor,
no pod resources. Draft projects never get schedules or sensors (PRJ-10),
whatever they declare.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # unknown keys are errors (D2)


class ScheduleSettings(_Strict):
    """Run each Period of `level` once it has ended, `offset_days` later (open/closed Periods only)."""

    level: str
    offset_days: int = Field(0, ge=0)
    cron: str = "0 6 * * *"  # when the schedule looks for ended Periods
    timezone: str = "UTC"
    not_before: date | None = None  # ignore Periods that ended before this date


class SensorSettings(_Strict):
    """Watch the resolved input locations of `level` Periods; run a Period when its files change."""

    level: str
    statuses: list[Literal["open", "closed"]] = ["open", "closed"]
    minimum_interval_seconds: int = Field(300, ge=10)


class PodResources(_Strict):
    """Kubernetes requests/limits of the Run's pod (one pod per Run)."""

    cpu_request: str | None = None
    cpu_limit: str | None = None
    memory_request: str | None = None
    memory_limit: str | None = None

    def k8s_tags(self) -> dict[str, str]:
        requests = {k: v for k, v in (("cpu", self.cpu_request), ("memory", self.memory_request)) if v}
        limits = {k: v for k, v in (("cpu", self.cpu_limit), ("memory", self.memory_limit)) if v}
        resources = {k: v for k, v in (("requests", requests), ("limits", limits)) if v}
        return {"dagster-k8s/config": json.dumps({"container_config": {"resources": resources}})}


class DagsterSettings(_Strict):
    schedule: ScheduleSettings | None = None
    sensor: SensorSettings | None = None
    pod: PodResources | None = None

    @classmethod
    def of(cls, value: Any) -> "DagsterSettings":
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, BaseModel):
            value = value.model_dump()
        return cls.model_validate(value)


__all__ = ["DagsterSettings", "PodResources", "ScheduleSettings", "SensorSettings"]
