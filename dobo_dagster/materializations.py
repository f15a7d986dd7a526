"""What a dobo Run shows in Dagster: one materialization per asset, partition and run.

* the Project's trace asset, once at the end of the Run: the per-operation counts as a
  table, the dobo Run id, the Dagster run (a link in the UI) and `dagster/uri` of the
  Run's trace folder;
* each output asset, when its `output` operation has written: `dagster/row_count`,
  `dagster/column_schema`, `dagster/uri`, `dagster/column_lineage` (from the expressions,
  `lineage.py`), the dobo Run id and the Dagster run.

The same builders report Runs made with `dobo run` (`reporting.py`), so the assets read
the same whichever way the Run was made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dagster import (
    AssetMaterialization,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
)

from dobo_dagster.lineage import column_lineage
from dobo_dagster.translator import DoboTranslator
from dobo_engine.engine.pipeline import StepReport
from dobo_engine.model.operations import Operation
from dobo_engine.model.run import ProjectSnapshot, WriteResult

STEPS_KEY = "dobo/steps"  # per-operation counts carried on each op's output, gathered by the last op
RUN_ID_KEY = "dobo/run_id"
DAGSTER_RUN_KEY = "dagster_run"  # rendered as a link to the run in the UI
COUNT_COLUMNS = ("rows_in", "rows_changed", "rows_created", "rows_deleted")

STEPS_SCHEMA = TableSchema(
    columns=[
        TableColumn("order", "int"),
        TableColumn("operation", "string"),
        TableColumn("type", "string"),
        *(TableColumn(c, "int") for c in COUNT_COLUMNS),
        TableColumn("seconds", "float"),
    ]
)


def step_row(step: StepReport) -> dict[str, Any]:
    return {
        "order": step.order,
        "operation": step.name or "",
        "type": step.type,
        "rows_in": step.rows_in,
        "rows_changed": step.rows_changed,
        "rows_created": step.rows_created,
        "rows_deleted": step.rows_deleted,
        "seconds": round(step.seconds, 3),
    }


def steps_table(rows: Iterable[Mapping[str, Any]]) -> MetadataValue:
    ordered = sorted(rows, key=lambda r: int(r["order"]))
    return MetadataValue.table(records=[TableRecord(dict(r)) for r in ordered], schema=STEPS_SCHEMA)


def trace_folder(trace_root: str, run_id: str) -> str:
    return f"{trace_root.rstrip('/')}/run_id={run_id}"


def trace_materialization(
    translator: DoboTranslator,
    snapshot: ProjectSnapshot,
    run_id: str,
    trace_root: str,
    steps: Iterable[Mapping[str, Any]] | None,
    dagster_run_id: str | None = None,
    made_by: str = "dagster",
) -> AssetMaterialization:
    """The Project's trace asset for the Run's Period: one per Run."""
    metadata: dict[str, Any] = {
        RUN_ID_KEY: run_id,
        "dobo/project_version": snapshot.project_version,
        "dobo/made_by": made_by,
    }
    if snapshot.trace:
        metadata["dagster/uri"] = MetadataValue.path(trace_folder(trace_root, run_id))
    if steps is not None:
        metadata["dobo/operations"] = steps_table(steps)
    if dagster_run_id is not None:
        metadata[DAGSTER_RUN_KEY] = MetadataValue.dagster_run(dagster_run_id)
    return AssetMaterialization(
        asset_key=translator.trace_asset_key(snapshot.project_id),
        partition=translator.partition_key(snapshot.period.identifier),
        description=f"dobo Run {run_id} of {snapshot.project_id} v{snapshot.project_version}",
        metadata=metadata,
    )


def destination_uri(write: WriteResult) -> str:
    dest = write.destination
    if isinstance(dest, str):
        return dest
    return f"{dest.get('datasource_id')}:{dest.get('path') or dest.get('table')}"


def output_materialization(
    translator: DoboTranslator,
    snapshot: ProjectSnapshot,
    run_id: str,
    write: WriteResult,
    operation: Operation,
    types: Mapping[str, str],
    dagster_run_id: str | None = None,
    made_by: str = "dagster",
    rows_known: bool = True,
) -> AssetMaterialization | None:
    """What one `output` wrote; None for a sandbox write (a draft Project's, never the output, D16)."""
    if write.sandboxed:
        return None
    columns = [TableColumn(name=c, type=types.get(c, "unknown")) for c in write.columns]
    metadata: dict[str, Any] = {"dagster/row_count": write.rows_written} if rows_known else {}
    metadata |= {
        "dagster/column_schema": TableSchema(columns=columns),
        "dagster/uri": destination_uri(write),
        "dagster/column_lineage": column_lineage(
            snapshot.input_dataset_id, snapshot.operations, operation, write.columns, translator
        ),
        RUN_ID_KEY: run_id,
        "dobo/project_version": snapshot.project_version,
        "dobo/operation_order": operation.order,
        "dobo/made_by": made_by,
    }
    if dagster_run_id is not None:
        metadata[DAGSTER_RUN_KEY] = MetadataValue.dagster_run(dagster_run_id)
    return AssetMaterialization(
        asset_key=translator.output_asset_key(snapshot.project_id, operation),
        partition=translator.partition_key(snapshot.period.identifier),
        description=f"written by operation {operation.order} of {snapshot.project_id} v{snapshot.project_version}",
        metadata=metadata,
    )


__all__ = [
    "STEPS_KEY",
    "output_materialization",
    "step_row",
    "steps_table",
    "trace_folder",
    "trace_materialization",
]
