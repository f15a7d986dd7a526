"""Building the Run snapshot at creation (D13, D23, D26, D27, RUN-2).

Everything a Run uses is fixed here: the Project version and operations, the
input Dataset version, the Period with its descendants, the Run clock and its
date. Resolver versions and locations are added as tables are first resolved.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from dobo_engine.model.project import Project
from dobo_engine.model.run import PeriodDetails, ProjectSnapshot
from dobo_engine.settings import DEFAULT_CHECKPOINTS, CheckpointPolicy


def run_clock(now: datetime | None = None) -> datetime:
    """The Run clock: UTC, microseconds (ROW-5)."""
    return (now or datetime.now(UTC)).astimezone(UTC)


def build_snapshot(
    project: Project,
    *,
    project_version: int,
    input_dataset_version: int,
    period: PeriodDetails,
    clock: datetime,
    sandbox: bool,
    as_known_at: date | None = None,
    trace: bool | None = None,
    checkpoints: CheckpointPolicy = DEFAULT_CHECKPOINTS,
) -> ProjectSnapshot:
    return ProjectSnapshot(
        project_id=project.id,
        project_version=project_version,
        input_dataset_id=project.input_dataset_id,
        input_dataset_version=input_dataset_version,
        materialization=project.materialization,
        selectors=dict(project.selectors or {}),
        operations=list(project.operations),
        sandbox=sandbox,
        as_known_at=as_known_at,
        period=period,
        clock=clock,
        today=clock.date(),
        trace=project.trace if trace is None else trace,
        checkpoints=checkpoints,
    )
