"""Op factories: the load (operation 0) and one op per operation, the nodes of a Project's graph.

The graph is asset-first (`jobs.py`): the load op's inputs are the Datasets
the Project reads (loaded by the Resolver input manager, `inputs.py`); an
`output` operation's op has an `asset` output, the asset of what it writes:
the op collects the rows and yields them there, and the `dobo_outputs` IO
manager writes them to the destination and reports the step (`outputs.py`);
the last op has a `trace` output, the Project's trace asset. Each is yielded
once per run with its metadata (`materializations.py`), so Dagster records
one materialization per asset, partition and run, and a failed run marks
the partitions it did not materialize as failed.

An op executes the operations of the Run's own snapshot (the store's record,
D31), never the job's current definition. Op `op_<order>` executes the
snapshot operations with `previous order < order <= this order`, and the
last op also any later ones. For a run created from the same Project version
as its job (every fresh run) that is exactly one operation per op; after a
structural edit and a code-location reload, a resumed Run still executes
every operation of its snapshot exactly once, in order (D13, RUN-7).
"""

from collections.abc import Generator, Iterator
from typing import Any

from dagster import (
    AssetMaterialization,
    DagsterEventType,
    DagsterRun,
    In,
    JsonMetadataValue,
    MetadataValue,
    Nothing,
    OpDefinition,
    OpExecutionContext,
    Out,
    Output,
    PythonObjectDagsterType,
)

from dobo_dagster.automation import input_partitions, run_observations
from dobo_dagster.inputs import DATASET_ID, DATASET_INPUT, DATASETS_KEY, DatasetInput
from dobo_dagster.io_manager import CHECKPOINT_KEY, RUN_KEY, discard_frames
from dobo_dagster.materializations import (
    STEPS_KEY,
    destination_uri,
    output_materialization,
    step_row,
    trace_materialization,
)
from dobo_dagster.outputs import OUTPUTS_KEY, PENDING_OUTPUT, PendingOutput
from dobo_dagster.resources import DoboRunResource
from dobo_dagster.runs import RunTarget, begin_attempt, fail
from dobo_dagster.translator import LOAD_NODE, DoboTranslator
from dobo_engine.engine.pipeline import StepReport
from dobo_engine.engine.working import WorkingFrame
from dobo_engine.errors import Location, OperationFailure
from dobo_engine.io.row_ids import ROW_ID_DTYPE
from dobo_engine.model.operations import Operation, OutputOperation
from dobo_engine.model.project import Project
from dobo_engine.model.run import ProjectSnapshot
from dobo_engine.runner.service import RunService
from dobo_engine.store.records import RunRecord

# One Dagster type for every frame edge: resolving a Python class per In/Out is slow with many jobs.
WORKING = PythonObjectDagsterType(
    WorkingFrame, name="DoboWorkingFrame", description="a dobo working frame (data, column types, lookups)"
)


def _output(working: WorkingFrame, steps: list[dict[str, Any]], run_id: str, checkpoint: int) -> Output[WorkingFrame]:
    """The working frame for the next op, with the counts of the operations run here and the
    engine checkpoint that holds it (the IO manager persists nothing else, D36)."""
    return Output(
        working,
        metadata={
            STEPS_KEY: MetadataValue.json(steps),
            RUN_KEY: MetadataValue.text(run_id),
            CHECKPOINT_KEY: MetadataValue.int(checkpoint),
        },
    )


ASSET_OUT = "asset"  # an `output` operation's op: the rows it writes, written by the `dobo_outputs` IO manager
TRACE_OUT = "trace"  # the last op: the Project's trace asset


def _written(
    context: OpExecutionContext,
    translator: DoboTranslator,
    snapshot: ProjectSnapshot,
    run_id: str,
    step: StepReport,
    operation: Operation,
    working: WorkingFrame,
) -> AssetMaterialization | None:
    """What an output the engine wrote itself materialized (None: no write, or a sandbox write, D16)."""
    if step.write is None:
        return None
    # Row ids are written as UUID text whatever their form inside the engine (D37).
    types = {c: "String" if t == ROW_ID_DTYPE else str(t) for c, t in working.frame.schema.items()}
    return output_materialization(translator, snapshot, run_id, step.write, operation, types, context.run_id)


def _log_step(context: OpExecutionContext, step: StepReport) -> None:
    counts = (
        f"{step.rows_in} rows in, {step.rows_changed} changed, {step.rows_created} created, {step.rows_deleted} deleted"
    )
    wrote = f"; {step.write.rows_written} written to {destination_uri(step.write)}" if step.write else ""
    context.log.info(f"operation {step.order} ({step.type}): {counts}{wrote} ({step.seconds:.2f}s)")


def _family(context: OpExecutionContext) -> list[str]:
    """The Dagster run ids of this Run's attempts (the root and its re-executions up to this one)."""
    ids: list[str] = []
    run: DagsterRun | None = context.run
    while run is not None:
        ids.append(run.run_id)
        run = context.instance.get_run_by_id(run.parent_run_id) if run.parent_run_id else None
    return ids


def load_op(project: Project, translator: DoboTranslator, target: RunTarget, inputs: dict[str, str]) -> OpDefinition:
    """Operation 0; `inputs`: input name -> the Dataset it loads."""
    primary = next((name for name, dataset in inputs.items() if dataset == project.input_dataset_id), None)

    def _load(context: OpExecutionContext, loaded: dict[str, Any]) -> Iterator[Output[WorkingFrame]]:
        resource: DoboRunResource = context.resources.dobo
        record = begin_attempt(context, resource, target)
        if record is None:  # the Project and Period are held by another Run (D15): skip, do not fail
            return
        service = resource.service()
        if record.last_completed_operation is not None:  # done in an earlier attempt (RUN-7)
            yield _output(service.checkpoints().load(record.id, 0), [], record.id, 0)
            return
        # What this Run reads: its input fingerprint, so automation never runs the Period again for
        # the same inputs, and the data version of each source Dataset for the partition.
        for observed in run_observations(
            translator,
            service.catalog.project(record.project_id, record.project_version),
            record.project_version,
            record.calendar_id,
            record.period_identifier,
            record.id,
            input_partitions(context, inputs),
        ):
            context.log_event(observed)
        source: DatasetInput | None = loaded.get(primary) if primary else None
        try:
            reports: list[StepReport] = []
            # Every op boundary is durable in a job (D36): the IO manager's frames are these checkpoints.
            executor = service.executor(
                record.id,
                on_step=reports.append,
                durable_steps=True,
                data_root=source.data_root if source is not None else None,
            )
            working = executor.load()
        except Exception as err:  # noqa: BLE001 - every failure is recorded on the Run (RUN-5)
            fail(service, record.id, err)
        for step in reports:
            _log_step(context, step)
        yield _output(working, [step_row(step) for step in reports], record.id, 0)

    # OpDefinition directly: the @op decorator's signature inspection dominates load time at scale.
    return OpDefinition(
        name=translator.op_definition_name(project.id, LOAD_NODE),
        compute_fn=_load,
        ins={
            name: In(DATASET_INPUT, input_manager_key=DATASETS_KEY, metadata={DATASET_ID: dataset_id})
            for name, dataset_id in inputs.items()
        },
        # Optional: a run that skips (D15) yields nothing, and the later ops are skipped.
        outs={"result": Out(WORKING, is_required=False)},
        required_resource_keys={"dobo"},
        description=f"operation 0: resolve and load {project.input_dataset_id} for the partition's Period",
        tags={"dobo/operation_order": "0"},
    )


def operation_op(
    project: Project,
    operation: Operation,
    after: int,
    last: bool,
    translator: DoboTranslator,
    target: RunTarget,
) -> OpDefinition:
    def _operation(context: OpExecutionContext, inputs: dict[str, Any]) -> Iterator[Output[Any]]:
        working: WorkingFrame = inputs["working"]
        resource: DoboRunResource = context.resources.dobo
        record = begin_attempt(context, resource, target)
        if record is None:
            return
        upto = None if last else operation.order
        own = operation if operation.type == "output" else None  # its asset, written by dobo_outputs
        working, steps = yield from run_slice(context, resource, record, working, after, upto, translator, own)
        if last:
            trace = finish(context, resource, record, steps, translator)
            yield Output(None, TRACE_OUT, metadata=dict(trace.metadata))
            return  # the last op keeps no frame (RUN-6)
        checkpoint = resource.service().store.get_run(record.id).last_completed_operation
        yield _output(working, steps, record.id, checkpoint if checkpoint is not None else after)

    outs: dict[str, Out] = {} if last else {"result": Out(WORKING, is_required=False)}
    if operation.type == "output":
        # Optional: a sandbox Run writes to the sandbox and yields nothing here (D16).
        outs[ASSET_OUT] = Out(
            PENDING_OUTPUT,
            is_required=False,
            io_manager_key=OUTPUTS_KEY,
            description="the rows this output operation writes, written to its destination by dobo_outputs",
        )
    if last:
        outs[TRACE_OUT] = Out(Nothing, is_required=False, description="the Run's trace and per-operation counts")
    return OpDefinition(
        name=translator.op_definition_name(project.id, translator.node_name(operation)),
        compute_fn=_operation,
        ins={"working": In(WORKING)},
        outs=outs,
        required_resource_keys={"dobo"},
        description=translator.op_description(operation),
        tags={"dobo/operation_order": str(operation.order), "dobo/operation_type": operation.type},
    )


def _hands_over(
    operation: Operation, own: Operation | None, snapshot: ProjectSnapshot, translator: DoboTranslator
) -> bool:
    """Whether the snapshot's `operation` is this op's own output asset, for `dobo_outputs` to write.

    Not when the Run is a sandbox Run (its writes are never the asset, D16), nor when a
    structural edit left another operation, or another destination, at that order (RUN-7).
    """
    return (
        own is not None
        and not snapshot.sandbox
        and operation.order == own.order
        and operation.type == "output"
        and translator.output_asset_key(snapshot.project_id, operation)
        == translator.output_asset_key(snapshot.project_id, own)
    )


def _reported(service: RunService, run_id: str, pending: PendingOutput) -> StepReport:
    """The step the IO manager reported once it wrote `pending`; failing the Run if nothing did."""
    if pending.report is not None:
        return pending.report
    fail(
        service,
        run_id,
        OperationFailure(
            f"the rows of operation {pending.operation.order} were handed to the resource {OUTPUTS_KEY!r}, "
            "which wrote nothing: configure it as dobo's DestinationIOManager",
            location=Location(operation_order=pending.operation.order),
        ),
    )


def run_slice(
    context: OpExecutionContext,
    resource: DoboRunResource,
    record: RunRecord,
    working: WorkingFrame,
    after: int,
    upto: int | None,
    translator: DoboTranslator,
    own: Operation | None = None,
) -> Generator[Output[PendingOutput], None, tuple[WorkingFrame, list[dict[str, Any]]]]:
    """Execute the snapshot operations with after < order <= upto (upto None: all later ones);
    returns the frame after them and the counts of those it ran.

    The op's own output (`own`, see `_hands_over`) is yielded on `asset` when its turn
    comes: Dagster has `dobo_outputs` write it and make the step durable before this
    generator resumes, so a later operation of the slice runs only after it (RUN-4).
    Any other output (a sandbox Run's, D16, or another of the Run's snapshot run here
    after a structural edit, RUN-7) is written by the engine and logged as its asset's
    materialization unless it went to the sandbox.
    """
    service = resource.service()
    snapshot = ProjectSnapshot.model_validate(record.snapshot)
    todo = [
        o
        for o in sorted(snapshot.operations, key=lambda o: o.order)
        if o.order > after and (upto is None or o.order <= upto)
    ]
    done = record.last_completed_operation
    finished = [o for o in todo if done is not None and o.order <= done]
    if finished:  # completed by the engine in an earlier attempt: continue from its checkpoint (RUN-7)
        working = service.checkpoints().load(record.id, finished[-1].order)
    if not todo:
        context.log.info("the Run's snapshot has no operation for this step")
    executor = service.executor(record.id, durable_steps=True)
    steps: list[dict[str, Any]] = []
    for operation in todo[len(finished) :]:
        if isinstance(operation, OutputOperation) and _hands_over(operation, own, snapshot, translator):
            try:
                request = executor.prepare_output(operation, working)
            except Exception as err:  # noqa: BLE001 - every failure is recorded on the Run (RUN-5)
                fail(service, record.id, err)
            pending = PendingOutput(record.id, context.run_id, operation, working, request, snapshot, translator)
            yield Output(pending, ASSET_OUT)  # written and reported by dobo_outputs before this line returns
            step = _reported(service, record.id, pending)
        else:
            try:
                working, step = executor.run_operation(operation, working)
            except Exception as err:  # noqa: BLE001
                fail(service, record.id, err)
            event = _written(context, translator, snapshot, record.id, step, operation, working)
            if event is not None:
                context.log_event(event)
        _log_step(context, step)
        steps.append(step_row(step))
    return working, steps


def _earlier_steps(context: OpExecutionContext) -> dict[int, dict[str, Any]]:
    """The counts carried on the outputs of this Run's earlier ops, over all its attempts (newest wins)."""
    found: dict[int, dict[str, Any]] = {}
    for run_id in reversed(_family(context)):
        for entry in context.instance.all_logs(run_id, of_type=DagsterEventType.STEP_OUTPUT):
            event = entry.dagster_event
            data = event.step_output_data if event is not None else None
            value = data.metadata.get(STEPS_KEY) if data is not None else None
            if isinstance(value, JsonMetadataValue) and isinstance(value.data, list):
                found.update({int(row["order"]): row for row in value.data})
    return found


def finish(
    context: OpExecutionContext,
    resource: DoboRunResource,
    record: RunRecord,
    steps: list[dict[str, Any]],
    translator: DoboTranslator,
) -> AssetMaterialization:
    """The last op completes the Run (RUN-6, RUN-9) and drops the Dagster frames of its attempts;
    the trace asset's materialization for the Run, with the counts of every operation."""
    service = resource.service()
    try:
        service.complete(record.id)
    except Exception as err:  # noqa: BLE001
        fail(service, record.id, err)
    counts = _earlier_steps(context)
    counts.update({int(row["order"]): row for row in steps})
    snapshot = ProjectSnapshot.model_validate(record.snapshot)
    discard_frames(_family(context))
    context.log.info(f"dobo Run {record.id} completed")
    return trace_materialization(
        translator, snapshot, record.id, service.settings.trace_root, counts.values(), context.run_id
    )


__all__ = ["ASSET_OUT", "TRACE_OUT", "load_op", "operation_op"]
