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

A run launched from the asset graph (Materialize, an asset backfill) carries
no tags of the Project's job; the coordinator gives it the D15 tag from the
Project's assets it materializes before queueing it, so both ways of
launching share one queue key. It also refuses, before any worker starts, a
dobo run that cannot be a Run: one without a partition (a Run is for one
Period), and one that would materialize the assets of two Projects at once
(a Dagster run is one dobo Run, D21): the run is marked failed with a message
saying what to launch instead.

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

from dagster import DagsterRun, QueuedRunCoordinator, SubmitRunContext

from dobo_dagster.translator import PARTITION_TAG, TAG_PROJECT, TAG_PROJECT_PERIOD, DoboTranslator, project_period

__all__ = ["PROJECT_PERIOD_LIMIT", "DoboRunCoordinator", "projects_of", "refusal", "with_project_period_limit"]

PROJECT_PERIOD_LIMIT: Mapping[str, Any] = {
    "key": TAG_PROJECT_PERIOD,
    "value": {"applyLimitPerUniqueValue": True},
    "limit": 1,
}


def with_project_period_limit(limits: Sequence[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    """``limits`` with the D15 limit: any limit on ``dobo/project-period`` becomes one per value, limit 1."""
    kept = [dict(limit) for limit in limits or [] if limit.get("key") != TAG_PROJECT_PERIOD]
    return [*kept, dict(PROJECT_PERIOD_LIMIT)]


def projects_of(run: DagsterRun, translator: DoboTranslator) -> set[str]:
    """The job names of the dobo Projects a run materializes (none: not a dobo run)."""
    found = {translator.project_of_trace_key(key) for key in run.asset_selection or ()}
    if run.tags.get(TAG_PROJECT):
        found.add(translator.job_name(run.tags[TAG_PROJECT]))
    return {name for name in found if name}


def refusal(run: DagsterRun, projects: set[str]) -> str | None:
    """Why a dobo run cannot start, or None."""
    if len(projects) > 1:
        return (
            f"this run would materialize the assets of {len(projects)} dobo Projects ({', '.join(sorted(projects))}); "
            "a run is one dobo Run of one Project (D21): materialize one Project's assets per run, or launch each "
            "Project's job"
        )
    if PARTITION_TAG not in run.tags:
        return "a dobo Project runs for one Period: launch it for one partition"
    return None


class DoboRunCoordinator(QueuedRunCoordinator):
    """``QueuedRunCoordinator`` whose queue runs one run per Project and Period at a time (D15)."""

    def __init__(self, *, tag_concurrency_limits: Sequence[Mapping[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(tag_concurrency_limits=with_project_period_limit(tag_concurrency_limits), **kwargs)

    def submit_run(self, context: SubmitRunContext) -> DagsterRun:
        run = context.dagster_run
        projects = projects_of(run, DoboTranslator())
        if projects:
            refused = refusal(run, projects)
            if refused is not None:
                self._instance.report_run_failed(run, message=f"dobo: {refused}")
                return self._instance.get_run_by_id(run.run_id) or run
            if TAG_PROJECT_PERIOD not in run.tags:  # launched from the asset graph: the job's queue key
                (name,) = projects
                self._instance.add_run_tags(
                    run.run_id, {TAG_PROJECT_PERIOD: project_period(name, run.tags[PARTITION_TAG])}
                )
        return super().submit_run(context)
