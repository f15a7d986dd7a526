"""The run tags that choose what one Dagster run of a Project does: trace (D32), durability (D36)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dobo_dagster.runs import with_run_tags
from dobo_engine.errors import InvalidField
from dobo_engine.model.run import PeriodDetails, ProjectSnapshot

JANUARY = PeriodDetails(
    identifier="2026-01", level="month", year=2026, sequence=1, start_date=date(2026, 1, 1), end_date=date(2026, 1, 31)
)
CLOCK = datetime(2026, 2, 1, 6, 0, tzinfo=UTC)


def snapshot() -> ProjectSnapshot:
    return ProjectSnapshot(
        project_id="prj",
        project_version=1,
        input_dataset_id="ds",
        input_dataset_version=1,
        materialization="eager",
        operations=[],
        period=JANUARY,
        clock=CLOCK,
        today=CLOCK.date(),
        checkpoints="none",
    )


def test_the_checkpoints_tag_is_recorded_in_the_snapshot_D36() -> None:
    assert with_run_tags(snapshot(), {}).checkpoints == "none"
    assert with_run_tags(snapshot(), {"dobo/checkpoints": "operations"}).checkpoints == "operations"
    tagged = with_run_tags(snapshot(), {"dobo/checkpoints": "none", "dobo/trace": "off"})
    assert tagged.checkpoints == "none" and tagged.trace is False


def test_an_unknown_checkpoints_tag_is_refused_D36() -> None:
    with pytest.raises(InvalidField, match="dobo/checkpoints"):
        with_run_tags(snapshot(), {"dobo/checkpoints": "always"})
