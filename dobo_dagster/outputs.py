"""The Resolver's other side: an IO manager that writes `output` operations to their destinations.

An `output` operation's op does the computing: it collects the rows the
operation selects, with where they go (`Executor.prepare_output`), and yields
them on its `asset` output as a `PendingOutput`. Dagster hands that to this IO
manager (resource key `dobo_outputs`) at once, before the op goes on. It
writes the rows through the engine's writer for the Run (`DestinationOutputs`:
the destination rendered for the Period, atomic files, PostgreSQL tables, the
registration kept until the Run completes, D25, RUN-9), then reports the step
(`Executor.finish_output`), so `last_completed_operation` moves only once the
rows are written (RUN-4), and attaches what was written as the asset's
materialization metadata (`materializations.output_materialization`). A failed
write fails the op with the dobo Run failed at that operation (RUN-5), and
"re-execute from failure" writes it again in the same Run (RUN-7).

A sandbox Run (a draft Project, D16) never reaches this IO manager: its op
writes to the sandbox through the engine and yields nothing on `asset`, so a
sandbox write is never a materialization of the production asset.

A deployment swaps storage by configuring this resource: `data_root` is where
DataSource destinations with a relative `path_prefix` are written (default
`$DOBO_DATA_ROOT`, as for reading). `default` destinations stay under
`$DOBO_OUTPUT_ROOT`, a deployment setting (D24), because registered default
outputs are read back from there (`dobo-outputs`, D25). The resource is bound
when the location is built (`build_definitions(resources=...)`, a value or an
`EnvVar` read when a run starts); a launch cannot change it, as it cannot
change anything else about where a Run writes.

A Dagster asset downstream of an output asset gets a `WrittenOutput`: where
the newest materialization of that partition was written, not the rows (they
may be a PostgreSQL table or a file of any size; read them from `uri`). A dobo
Project reading a registered output gets it through the Resolver instead
(`inputs.py`, D25).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import polars as pl
from dagster import (
    AssetRecordsFilter,
    ConfigurableIOManager,
    InputContext,
    OutputContext,
    PythonObjectDagsterType,
)
from pydantic import Field

from dobo_dagster.materializations import output_materialization
from dobo_dagster.resources import run_service
from dobo_dagster.runs import fail
from dobo_dagster.translator import DoboTranslator
from dobo_engine.engine.expressions import with_order
from dobo_engine.engine.operations.output import OutputRequest
from dobo_engine.engine.pipeline import StepReport
from dobo_engine.engine.working import WorkingFrame
from dobo_engine.errors import DoboError
from dobo_engine.model.operations import OutputOperation
from dobo_engine.model.run import ProjectSnapshot, WriteResult
from dobo_engine.runner.service import RunService
from dobo_engine.unexpected_errors import from_unexpected

OUTPUTS_KEY = "dobo_outputs"


@dataclass
class PendingOutput:
    """An `output` operation's collected rows and destination, as its op hands them to `dobo_outputs`.

    `report` is filled in by the IO manager once the rows are written and the
    step is durable; Dagster calls it in the op's process before the op goes
    on, so the op reads the step's counts from here.
    """

    run_id: str  # the dobo Run
    dagster_run_id: str
    operation: OutputOperation
    working: WorkingFrame  # the frame the operation selected from (the step counts its rows in)
    request: OutputRequest
    snapshot: ProjectSnapshot
    translator: DoboTranslator
    report: StepReport | None = None


PENDING_OUTPUT = PythonObjectDagsterType(
    PendingOutput, name="DoboPendingOutput", description="the rows an output operation writes, and where"
)


@dataclass(frozen=True)
class WrittenOutput:
    """What a downstream Dagster asset gets for a dobo output asset: where a Run wrote that partition."""

    asset_key: str
    partition: str
    uri: str
    dobo_run_id: str | None
    row_count: int | None
    columns: tuple[str, ...]


def written_types(frame: pl.DataFrame) -> dict[str, str]:
    """The column types as written: `_row_id` is already its UUID text here (D37)."""
    return {column: str(dtype) for column, dtype in frame.schema.items()}


def storage_service(data_root: str | None) -> RunService:
    """The run service writing relative DataSource locations under `data_root` (None: the setting's)."""
    service = run_service()
    if data_root is None:
        return service
    return RunService(service.store, replace(service.settings, data_root=data_root))


def located(err: Exception, order: int) -> DoboError:
    """A failed write as the engine reports a failing operation: a DoboError at `order` (D14, D31)."""
    if not isinstance(err, DoboError):
        return from_unexpected(err, operation_order=order)
    return with_order(err, order) if err.location.operation_order is None else err


def write_pending(pending: PendingOutput, data_root: str | None) -> StepReport:
    """Write the rows through the Run's engine, then make the step durable; a failure fails the Run."""
    service = run_service()
    order = pending.operation.order
    if pending.snapshot.sandbox:  # its op writes it to the sandbox itself; never an asset (D16)
        fail(service, pending.run_id, located(RuntimeError("a sandbox output was handed to dobo_outputs"), order))
    try:
        executor = storage_service(data_root).executor(pending.run_id, durable_steps=True)
        written: WriteResult = pending.request.write_with(executor.ctx.outputs)
    except Exception as err:  # noqa: BLE001 - every failure is recorded on the Run (RUN-5)
        fail(service, pending.run_id, located(err, order))
    try:
        return executor.finish_output(pending.operation, pending.working, written)
    except Exception as err:  # noqa: BLE001
        fail(service, pending.run_id, err)


class DestinationIOManager(ConfigurableIOManager):
    """Writes each `output` operation of a Run to its destination, then reports it (the outputs' side of a Run)."""

    data_root: str | None = Field(
        default=None,
        description="where DataSource destinations with a relative path_prefix are written "
        "(default: $DOBO_DATA_ROOT); default destinations go to $DOBO_OUTPUT_ROOT",
    )

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        if not isinstance(obj, PendingOutput):
            raise TypeError(f"{OUTPUTS_KEY} writes the rows of dobo output operations, not {type(obj).__name__}")
        obj.report = write_pending(obj, self.data_root)
        write = obj.report.write
        event = (
            output_materialization(
                obj.translator,
                obj.snapshot,
                obj.run_id,
                write,
                obj.operation,
                written_types(obj.request.frame),
                obj.dagster_run_id,
            )
            if write is not None
            else None
        )
        if event is not None:
            context.add_output_metadata(dict(event.metadata))

    def load_input(self, context: InputContext) -> WrittenOutput:
        """Where the newest Run wrote the partition asked for (one partition; the rows stay where they are)."""
        key = context.asset_key
        partitions = list(context.asset_partition_keys) if context.has_asset_partitions else []
        if len(partitions) != 1:
            raise ValueError(
                f"{key.to_user_string()} is written once per Period: load it for exactly one partition, "
                f"not {len(partitions)}"
            )
        (partition,) = partitions
        found = context.instance.fetch_materializations(
            AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1
        ).records
        if not found:
            raise ValueError(
                f"{key.to_user_string()} has no materialization for {partition}: "
                "materialize the Project's assets for that Period first"
            )
        metadata = found[0].asset_materialization.metadata if found[0].asset_materialization else {}
        return written_output(key.to_user_string(), partition, {k: getattr(v, "value", v) for k, v in metadata.items()})


def written_output(asset_key: str, partition: str, metadata: dict[str, Any]) -> WrittenOutput:
    """The pointer a materialization's metadata (`output_materialization`) describes."""
    schema = metadata.get("dagster/column_schema")
    return WrittenOutput(
        asset_key=asset_key,
        partition=partition,
        uri=str(metadata.get("dagster/uri", "")),
        dobo_run_id=metadata.get("dobo/run_id"),
        row_count=metadata.get("dagster/row_count"),
        columns=tuple(c.name for c in schema.columns) if schema is not None else (),
    )


__all__ = [
    "OUTPUTS_KEY",
    "PENDING_OUTPUT",
    "DestinationIOManager",
    "PendingOutput",
    "WrittenOutput",
    "write_pending",
]
