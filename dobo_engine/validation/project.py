"""validate_project: a whole Project against concrete Dataset schemas, without data (validation.md).

One pass, every failure (V-3): Project-level rules, named selectors, then
each operation in `order`, simulating the working schema as it goes (V-4).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from dobo_engine.engine.assembly import needed_lookups
from dobo_engine.engine.references import qualifiers_in
from dobo_engine.errors import DoboError
from dobo_engine.model.project import Project
from dobo_engine.resolver.catalog import CatalogReader, status_of, version_of
from dobo_engine.validation.append import check_append
from dobo_engine.validation.context import Context
from dobo_engine.validation.datasets import DatasetRefs
from dobo_engine.validation.expressions import ExpressionChecker
from dobo_engine.validation.operations import check_aggregate, check_delete, check_update
from dobo_engine.validation.output import check_output
from dobo_engine.validation.report import Collector, ValidationReport
from dobo_engine.validation.schema import WorkingSchema, dataset_shape
from dobo_engine.validation.shape import check_orders, check_shape
from dobo_engine.validation.view import OperationView, ProjectView, project_view

Purpose = Literal["activation", "run", "check"]
PURPOSES = ("activation", "run", "check")

CHECKS: dict[str, Callable[[OperationView, WorkingSchema, Context], None]] = {
    "update": check_update,
    "delete": check_delete,
    "aggregate": check_aggregate,
    "append": check_append,
    "output": check_output,
}


def validate_project(
    project: Project | Mapping[str, Any],
    catalog: CatalogReader,
    *,
    dataset_version: int | None = None,
    purpose: Purpose = "activation",
    pinned_versions: Mapping[str, int] | None = None,
    status: str | None = None,
) -> ValidationReport:
    """Check a Project (parsed, or the raw body under a document's `project:` key).

    ``dataset_version``: the input version to validate against (else, for a
    Run, the version ``pinned_versions`` records; else the authored pin; else
    the latest). ``purpose``: ``activation`` checks the Project is a draft;
    ``run`` (V-1) skips the "is active" checks for pinned or recorded Dataset
    versions; ``check`` is ``dobo validate``. ``status``: the Project's stored
    status when ``project.status`` is a declared one (D22). Never raises for
    a failed rule; a raw body that is not a Project at all raises DoboErrors.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
    view = project_view(project)
    out = Collector()
    expressions = ExpressionChecker(dict(view.selectors), out)
    datasets = DatasetRefs(catalog, out, purpose, dict(view.resolver_overrides), dict(pinned_versions or {}))
    ctx = Context(catalog, view, purpose, out, expressions, datasets, input_dataset_id=view.input_dataset_id)

    _project_level(view, purpose, status, ctx)
    dataset = datasets.input(view.input_dataset_id, dataset_version, view.input_dataset_version)
    shape = None
    if dataset is not None:
        shape = dataset_shape(catalog, dataset)
        for missing in shape.missing_lookups:
            out.fail(
                "VAL-018",
                "UnresolvedDatasetRef",
                None,
                f"input Dataset {dataset.id}: {missing} does not exist",
                "input_dataset_id",
            )
    expressions.check_named_selectors()
    check_orders(view, out)

    schema = WorkingSchema(shape)
    for op in sorted(view.operations, key=lambda o: (o.order is None, o.order or 0, o.index)):
        check_shape(op, out)
        if op.known_type and op.type is not None:  # a known type is never None; the test narrows it
            CHECKS[op.type](op, schema, ctx)
    expressions.warn_unused_selectors()
    if dataset is not None:
        _nested_resolvers(view, dataset, ctx)
    return ValidationReport.build(
        out,
        project_id=view.id,
        project_version=view.version,
        dataset_id=view.input_dataset_id,
        dataset_version=version_of(dataset) if dataset is not None else (dataset_version or view.input_dataset_version),
    )


def _project_level(view: ProjectView, purpose: str, status: str | None, ctx: Context) -> None:
    """VAL-018 (status, operations) and D31 (the Calendar exists and is active)."""
    current = status or view.status or "draft"
    if purpose == "activation" and current != "draft":
        ctx.out.fail(
            "VAL-018",
            "ProjectNotDraft",
            None,
            f"Project {view.id} is {current}; only a draft Project can be activated",
            "status",
        )
    if not view.operations:
        ctx.out.fail("VAL-018", "EmptyPipeline", None, f"Project {view.id} has no operations", "operations")
    if view.calendar_id and purpose != "run":
        try:
            calendar = ctx.catalog.calendar(view.calendar_id)
        except DoboError:
            ctx.out.fail("D31", "EntityNotFound", None, f"Calendar {view.calendar_id} does not exist", "calendar_id")
            return
        if status_of(calendar, "draft") != "active":
            ctx.out.fail(
                "D31",
                "InvalidField",
                None,
                f"Calendar {view.calendar_id} is {status_of(calendar, 'draft')}, not active",
                "calendar_id",
            )


def _nested_resolvers(view: ProjectView, dataset: Any, ctx: Context) -> None:
    """VAL-006/007 for Dataset lookups of the input that some expression reads (LK-5, DS-3)."""
    texts: list[str] = []
    for op in view.operations:
        texts += [t for t in _working_texts(op) if isinstance(t, str)]
    for lookup in needed_lookups(dataset, qualifiers_in(texts, view.selectors)):
        target = lookup.target
        if target.type != "dataset":
            continue
        try:
            nested = ctx.catalog.dataset(target.dataset_id, target.dataset_version)
        except DoboError:
            continue  # reported with the input Dataset
        ctx.datasets.resolver(nested, None, "input_dataset_id")


def _working_texts(op: OperationView) -> list[Any]:
    """Expressions evaluated in the working scope (the only ones that read input lookups)."""
    params = op.params
    texts: list[Any] = [op.raw.get("selector")]
    for key in ("joins", "assignments", "aggregations"):
        items = params.get(key)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                texts.append(item.get("on") if key == "joins" else item.get("expression"))
    return texts
