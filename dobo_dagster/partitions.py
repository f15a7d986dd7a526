"""Periods as partitions: one DynamicPartitionsDefinition per Calendar and level (D23).

A Project runs at one level of its Calendar (`dagster.partition_level`, else
the Calendar's leaf level), so its job's partitions are the Periods of that
level only: years, quarters and months are never interleaved on one axis, and
"select all" in a backfill selects Periods of one level. Partition keys live
in the Dagster instance, not in the code, so an always-on sensor copies the
store's Periods of each (Calendar, level) in use into them: new Periods appear
without a redeploy. Locked Periods stay partitions (their history remains
visible); runs for them are refused with PeriodNotRunnable.
"""

from __future__ import annotations

from collections.abc import Mapping

from dagster import (
    AddDynamicPartitionsRequest,
    DefaultSensorStatus,
    DeleteDynamicPartitionsRequest,
    DynamicPartitionsDefinition,
    ScheduleEvaluationContext,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from dobo_dagster.resources import current_store
from dobo_dagster.translator import DoboTranslator

SYNC_SENSOR = "dobo_period_sync"


CalendarLevel = tuple[str, str]  # (calendar id, level name)


def calendar_partitions(calendar_id: str, level: str, translator: DoboTranslator) -> DynamicPartitionsDefinition:
    return DynamicPartitionsDefinition(name=translator.partitions_name(calendar_id, level))


def store_partition_keys(calendar_id: str, level: str, translator: DoboTranslator) -> list[str]:
    """The Periods of one level of the Calendar, in time order."""
    periods = sorted(current_store().list_periods(calendar_id, level), key=lambda p: (p.start_date, p.identifier))
    return [translator.partition_key(p.identifier) for p in periods]


def known_partition_keys(
    context: SensorEvaluationContext | ScheduleEvaluationContext, partitions: DynamicPartitionsDefinition
) -> set[str]:
    """Keys already in the instance; requesting any other key fails the whole tick."""
    if partitions.name is None:  # calendar_partitions always names them
        raise ValueError("a Calendar's partitions definition has no name")
    return set(context.instance.get_dynamic_partitions(partitions.name))


def period_sync_sensor(
    calendars: Mapping[CalendarLevel, DynamicPartitionsDefinition],
    translator: DoboTranslator,
    minimum_interval_seconds: int = 60,
) -> SensorDefinition:
    @sensor(
        name=SYNC_SENSOR,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="Keeps the partitions of each Calendar level equal to its Periods in the dobo metadata store.",
    )
    def _sync(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        requests: list[AddDynamicPartitionsRequest | DeleteDynamicPartitionsRequest] = []
        for (calendar_id, level), partitions in calendars.items():
            wanted = store_partition_keys(calendar_id, level, translator)
            existing = known_partition_keys(context, partitions)
            added = [k for k in wanted if k not in existing]
            removed = sorted(existing - set(wanted))
            if added:
                requests.append(partitions.build_add_request(added))
            if removed:  # a Period deleted from the store (PER-6)
                requests.append(partitions.build_delete_request(removed))
        if not requests:
            return SkipReason("partitions already match the store's Periods")
        return SensorResult(dynamic_partitions_requests=requests)

    return _sync


__all__ = [
    "SYNC_SENSOR",
    "CalendarLevel",
    "calendar_partitions",
    "known_partition_keys",
    "period_sync_sensor",
    "store_partition_keys",
]
