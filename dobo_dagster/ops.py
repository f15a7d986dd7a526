"""Op factories: the load (operation 0) and one op per operation.

An op executes the operations of the Run's own snapshot (the store's record,
D31), never the job's current definition. Op `op_<order>` executes the
snapshot operations with `previous order < order <= this order`, and the
last op also any later ones. For a run created from the same Project version
as its job (every fresh run) that is exactly one operation per op; after a
structural edit and a code-location reload, a resumed Run still executes
every operation of its snapshot exactly once, in order (D13, RUN-7).
"""

from collections.abc import Iterator
from typing import Any

from dagster import (
    DagsterEventType,
    DagsterRun,
    In,
    JsonMetadataValue,
    MetadataValue,
    OpDefinition,
    OpExecutionContext,
    Out,
    Output,
    PythonObjectDagsterType,
)

from dobo_dagster.automation import fingerprint_observation
from dobo_dagster.io_manager import discard_frames
from dobo_dagster.materializations import (
    STEPS_KEY,
    destination_uri,
    output_materialization,
    step_row,
    trace_materialization,
)
from dobo_dagster.resources import DoboRunResource
from dobo_dagster.runs import begin_attempt, fail
from dobo_dagster.translator import LOAD_NODE, DoboTranslator
from dobo_engine.engine.pipeline import StepReport
from dobo_engine.engine.working import WorkingFrame
from dobo_engine.model.operations import Operation
from dobo_engine.model.project import Project
from dobo_engine.model.run import ProjectSnapshot
from dobo_engine.store.records import RunRecord

# One Dagster type for every frame edge: resolving a Python class per In/Out is slow with many jobs.
WORKING = PythonObjectDagsterType(
    WorkingFrame, name="DoboWorkingFrame", description="a dobo working frame (data, column types, lookups)"
)


def _output(working: WorkingFrame, steps: list[dict[str, Any]]) -> Output[WorkingFrame]:
    """The working frame for the next op, with the counts of the operations run here."""
    return Output(working, metadata={STEPS_KEY: MetadataValue.json(steps)})


def _write_events(
    context: OpExecutionContext,
    translator: DoboTranslator,
    snapshot: ProjectSnapshot,
    run_id: str,
    step: StepReport,
    operation: Operation,
    working: WorkingFrame,
) -> None:
    if step.write is None:
        return
    types = {c: str(t) for c, t in working.frame.schema.items()}
    event = output_materialization(translator, snapshot, run_id, step.write, operation, types, context.run_id)
    if event is not None:
        context.log_event(event)


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


def load_op(project: Project, translator: DoboTranslator) -> OpDefinition:
    def _load(context: OpExecutionContext, _inputs: dict[str, Any]) -> Iterator[Output[WorkingFrame]]:
        resource: DoboRunResource = context.resources.dobo
        record = begin_attempt(context, resource)
        if record is None:  # the Project and Period are held by another Run (D15): skip, do not fail
            return
        service = resource.service()
        if record.last_completed_operation is not None:  # done in an earlier attempt (RUN-7)
            yield _output(service.checkpoints().load(record.id, 0), [])
            return
        # What this Run reads, so automation never runs the Period again for the same inputs.
        observed = fingerprint_observation(
            translator,
            service.catalog.project(record.project_id, record.project_version),
            record.project_version,
            record.calendar_id,
            record.period_identifier,
            record.id,
        )
        if observed is not None:
            context.log_event(observed)
        try:
            reports: list[StepReport] = []
            # Every op boundary is durable in a job (D36): the IO manager keeps the frame there anyway.
            working = service.executor(record.id, on_step=reports.append, durable_steps=True).load()
        except Exception as err:  # noqa: BLE001 - every failure is recorded on the Run (RUN-5)
            fail(service, record.id, err)
        for step in reports:
            _log_step(context, step)
        yield _output(working, [step_row(step) for step in reports])

    # OpDefinition directly: the @op decorator's signature inspection dominates load time at scale.
    return OpDefinition(
        name=translator.op_definition_name(project.id, LOAD_NODE),
        compute_fn=_load,
        # Optional: a run that skips (D15) yields nothing, and the later ops are skipped.
        outs={"result": Out(WORKING, is_required=False)},
        required_resource_keys={"dobo"},
        description=f"operation 0: resolve and load {project.input_dataset_id} for the partition's Period",
        tags={"dobo/operation_order": "0"},
    )


def operation_op(
    project: Project, operation: Operation, after: int, last: bool, translator: DoboTranslator
) -> OpDefinition:
    node = translator.node_name(operation)

    def _operation(context: OpExecutionContext, inputs: dict[str, Any]) -> Iterator[Output[WorkingFrame]]:
        working: WorkingFrame = inputs["working"]
        resource: DoboRunResource = context.resources.dobo
        record = begin_attempt(context, resource)
        if record is None:
            return
        working, steps = run_slice(
            context, resource, record, working, after, None if last else operation.order, translator
        )
        if last:
            finish(context, resource, record, steps, translator)
            return  # the last op keeps nothing (RUN-6)
        yield _output(working, steps)

    return OpDefinition(
        name=translator.op_definition_name(project.id, node),
        compute_fn=_operation,
        ins={"working": In(WORKING)},
        outs={} if last else {"result": Out(WORKING, is_required=False)},
        required_resource_keys={"dobo"},
        description=translator.op_description(operation),
        tags={"dobo/operation_order": str(operation.order), "dobo/operation_type": operation.type},
    )


def run_slice(
    context: OpExecutionContext,
    resource: DoboRunResource,
    record: RunRecord,
    working: WorkingFrame,
    after: int,
    upto: int | None,
    translator: DoboTranslator,
) -> tuple[WorkingFrame, list[dict[str, Any]]]:
    """Execute the snapshot operations with after < order <= upto (upto None: all later ones);
    the counts of those it ran. An `output` logs its asset's materialization when it has written."""
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
        try:
            working, step = executor.run_operation(operation, working)
        except Exception as err:  # noqa: BLE001 - every failure is recorded on the Run (RUN-5)
            fail(service, record.id, err)
        _log_step(context, step)
        steps.append(step_row(step))
        _write_events(context, translator, snapshot, record.id, step, operation, working)
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
) -> None:
    """The last op completes the Run (RUN-6, RUN-9), materializes the trace asset once for the
    Run with the counts of every operation, and drops the Dagster frames of its attempts."""
    service = resource.service()
    try:
        service.complete(record.id)
    except Exception as err:  # noqa: BLE001
        fail(service, record.id, err)
    counts = _earlier_steps(context)
    counts.update({int(row["order"]): row for row in steps})
    snapshot = ProjectSnapshot.model_validate(record.snapshot)
    context.log_event(
        trace_materialization(
            translator, snapshot, record.id, service.settings.trace_root, counts.values(), context.run_id
        )
    )
    discard_frames(_family(context))
    context.log.info(f"dobo Run {record.id} completed")


__all__ = ["load_op", "operation_op"]
