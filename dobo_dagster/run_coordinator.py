"""The dobo run coordinator: Dagster's run queue, always holding one Run per Project and Period (D15).

D15: no two Runs of the same Project and Period may be queued or running at
once. Every dobo run carries the tag ``dobo/project-period``
(``DoboTranslator.run_tags``). The run queue's tag concurrency limit on that
tag (``applyLimitPerUniqueValue``, limit 1) keeps a second launch of a
Project and Period *waiting in the queue* until the first has ended, then
starts it: never two at once, including two launches in the same instant
(the daemon counts the runs it dequeues in one pass), and never an error at
launch. :class:`DoboRunCoordinator` is ``QueuedRunCoordinator`` with that
limit always in force, whatever the instance file lists.

The dobo store keeps its own guard (the Run table refuses a second queued or
running Run of a Project and Period): a run that finds its Period held by a
Run made outside Dagster (`dobo run`) skips its work with a warning instead
of failing (``runs.begin_attempt``).

Configured in ``dagster.yaml`` like Dagster's own ``QueuedRunCoordinator``::

    run_coordinator:
      module: dobo_dagster.run_coordinator
      class: DoboRunCoordinator
      config:
        tag_concurrency_limits:
          - key: dobo/project-period
            value: {applyLimitPerUniqueValue: true}
            limit: 1
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagster import QueuedRunCoordinator

from dobo_dagster.translator import TAG_PROJECT_PERIOD

__all__ = ["PROJECT_PERIOD_LIMIT", "DoboRunCoordinator", "with_project_period_limit"]

PROJECT_PERIOD_LIMIT: Mapping[str, Any] = {
    "key": TAG_PROJECT_PERIOD,
    "value": {"applyLimitPerUniqueValue": True},
    "limit": 1,
}


def with_project_period_limit(limits: Sequence[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    """``limits`` with the D15 limit: any limit on ``dobo/project-period`` becomes one per value, limit 1."""
    kept = [dict(limit) for limit in limits or [] if limit.get("key") != TAG_PROJECT_PERIOD]
    return [*kept, dict(PROJECT_PERIOD_LIMIT)]


class DoboRunCoordinator(QueuedRunCoordinator):
    """``QueuedRunCoordinator`` whose queue runs one run per Project and Period at a time (D15)."""

    def __init__(self, *, tag_concurrency_limits: Sequence[Mapping[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(tag_concurrency_limits=with_project_period_limit(tag_concurrency_limits), **kwargs)
