"""The dobo run coordinator: the run queue, plus D15 at submit time.

D15: no two Runs of the same Project and Period may be queued or running at
once. Every dobo run carries the tag ``dobo/project-period``
(``DoboTranslator.run_tags``); the run queue's
tag concurrency limit (``applyLimitPerUniqueValue``, limit 1, see
``deploy/dagster.yaml``) keeps two such runs from *running* together, but it
would let a second one wait in the queue. :class:`DoboRunCoordinator` refuses
that second run when it is submitted, with ``ConcurrentRunConflict``; Dagster
then marks the refused run failed and shows the message where it was launched
(UI, GraphQL, schedule or sensor tick, backfill).

Two submissions racing each other can both pass the check; the queue's tag
limit still runs them one after the other, so the guarantee degrades to
"queued, never concurrent" in that window only.

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

from dagster import DagsterRun, DagsterRunStatus, QueuedRunCoordinator, RunsFilter, SubmitRunContext
from dagster._core.storage.dagster_run import ACTIVE_RUN_STATUSES  # no public export in dagster 1.13

from dobo_dagster.translator import TAG_CALENDAR, TAG_PERIOD, TAG_PROJECT, TAG_PROJECT_PERIOD
from dobo_engine.errors import ConcurrentRunConflict

__all__ = ["BUSY_STATUSES", "DoboRunCoordinator"]

PARTITION_TAG = "dagster/partition"

# A run in one of these holds its Project+Period (D15): waiting in the queue or
# on its way through a worker.
BUSY_STATUSES: tuple[DagsterRunStatus, ...] = (DagsterRunStatus.QUEUED, *ACTIVE_RUN_STATUSES)


class DoboRunCoordinator(QueuedRunCoordinator):
    """``QueuedRunCoordinator`` that refuses a duplicate Project+Period at submit (D15)."""

    def submit_run(self, context: SubmitRunContext) -> DagsterRun:
        run = context.dagster_run
        key = run.tags.get(TAG_PROJECT_PERIOD)
        if key is not None and run.status == DagsterRunStatus.NOT_STARTED:
            holder = self._busy_run(key, exclude=run.run_id)
            if holder is not None:
                raise _conflict(run, holder)
        return super().submit_run(context)

    def _busy_run(self, key: str, *, exclude: str) -> DagsterRun | None:
        runs = self._instance.get_runs(
            RunsFilter(tags={TAG_PROJECT_PERIOD: key}, statuses=list(BUSY_STATUSES)), limit=2
        )
        return next((r for r in runs if r.run_id != exclude), None)


def _conflict(run: DagsterRun, holder: DagsterRun) -> ConcurrentRunConflict:
    key = run.tags[TAG_PROJECT_PERIOD]
    project = run.tags.get(TAG_PROJECT) or run.job_name
    period = run.tags.get(TAG_PERIOD) or run.tags.get(PARTITION_TAG) or key
    calendar = run.tags.get(TAG_CALENDAR)
    of_calendar = f" of Calendar {calendar!r}" if calendar else ""
    return ConcurrentRunConflict(
        f"Project {project!r} already has a queued or running Run for Period {period!r}{of_calendar} "
        f"(Dagster run {holder.run_id} is {holder.status.value}); run {run.run_id} was not queued",
        rule="D15",
        payload={"run_id": holder.run_id, "project": project, "period": period},
    )
