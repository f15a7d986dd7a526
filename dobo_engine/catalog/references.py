"""Cross-entity references checked on apply (D28): within the apply and against the store.

Resolver strategies → DataSources (RES-7, SRC-5, SRC-6), Dataset Resolvers
and nested Datasets (RES-9, DS-3, DS-4), Project inputs, Calendars, joins,
appends, outputs and overrides (DS-4, D23, OP-JOIN-1, OP-APP-1, OP-OUT-1,
RES-9, PRJ-4). A reference is "new" when the stored version of the
referring entity did not already make it: only new references to disabled
entities are refused (DS-4, SRC-6).
"""

from __future__ import annotations

from collections.abc import Callable

from dobo_engine.catalog.apply_view import ApplyView
from dobo_engine.catalog.catalog_files import Authored
from dobo_engine.dsl.when import check_when
from dobo_engine.errors import DoboError, FunctionNotAllowed, UnsafePath
from dobo_engine.io.paths import check_relative_path
from dobo_engine.model.common import Entity, LoadWarning
from dobo_engine.model.dataset import Dataset, DatasetTarget, TableRef, TableTarget
from dobo_engine.model.datasource import DataSource
from dobo_engine.model.operations import OutputDestination, OutputOperation
from dobo_engine.model.project import Project
from dobo_engine.model.resolver import CatalogStrategy, PathStrategy, Resolver
from dobo_engine.resolver import REGISTERED_RESOLVER_ID  # built in (D25); never stored

Path = tuple[str | int, ...]
FILE_TYPES = ("parquet", "csv")  # a `path` goes to a file DataSource, a `table` to a database


def _previous(view: ApplyView, item: Authored) -> Entity | None:
    return view.stored_entity(item.kind, item.key)


def _dataset_ref(
    view: ApplyView,
    item: Authored,
    path: Path,
    dataset_id: str,
    version: int | None,
    rule: str,
    earlier: set[str],
) -> list[DoboError]:
    """A reference to a Dataset (and pinned version) that must exist; a new one must not be disabled."""
    if ("dataset", dataset_id) in view.broken:
        return []
    if not view.exists("dataset", dataset_id):
        return [
            item.error(
                (*path, "dataset_id"),
                "UnresolvedReference",
                rule,
                f"Dataset {dataset_id!r} exists neither in this apply nor in the store",
            )
        ]
    errors: list[DoboError] = []
    if version is not None and version not in view.versions("dataset", dataset_id):
        known = ", ".join(str(v) for v in sorted(view.versions("dataset", dataset_id)))
        errors.append(
            item.error(
                (*path, "dataset_version"),
                "UnresolvedReference",
                rule,
                f"Dataset {dataset_id!r} has no version {version}",
                detail=f"versions: {known}",
            )
        )
    if view.status("dataset", dataset_id) == "disabled" and dataset_id not in earlier:
        errors.append(
            item.error(
                (*path, "dataset_id"),
                "UnresolvedReference",
                "DS-4",
                f"Dataset {dataset_id!r} is disabled and cannot be newly referenced",
            )
        )
    return errors


def _datasource_ref(
    view: ApplyView, item: Authored, path: Path, datasource_id: str, wants_file: bool, rule: str, earlier: set[str]
) -> list[DoboError]:
    source = view.entity("datasource", datasource_id)
    if not isinstance(source, DataSource):
        if ("datasource", datasource_id) in view.broken:
            return []
        return [
            item.error(
                (*path, "datasource_id"),
                "UnresolvedReference",
                rule,
                f"DataSource {datasource_id!r} exists neither in this apply nor in the store",
            )
        ]
    errors: list[DoboError] = []
    if (source.type in FILE_TYPES) != wants_file:
        wanted = "a parquet or csv DataSource (`path`)" if wants_file else "a database DataSource (`table`)"
        errors.append(
            item.error(
                (*path, "datasource_id"),
                "InvalidField",
                rule,
                f"DataSource {datasource_id!r} is of type {source.type}; this needs {wanted}",
            )
        )
    if view.status("datasource", datasource_id) == "disabled" and datasource_id not in earlier:
        errors.append(
            item.error(
                (*path, "datasource_id"),
                "UnresolvedReference",
                "SRC-6",
                f"DataSource {datasource_id!r} is disabled and cannot be newly referenced",
            )
        )
    return errors


def _relative_path(item: Authored, path: Path, value: str) -> list[DoboError]:
    try:
        check_relative_path(value)
    except UnsafePath as exc:
        return [item.error(path, "UnsafePath", "SRC-5", exc.message)]
    return []


# --- Resolver


def resolver_datasources(resolver: Entity | None) -> set[str]:
    if not isinstance(resolver, Resolver):
        return set()
    return {r.strategy.datasource_id for r in resolver.rules if not isinstance(r.strategy, CatalogStrategy)}


def check_resolver(view: ApplyView, item: Authored) -> list[DoboError]:
    resolver = item.entity
    assert isinstance(resolver, Resolver)
    earlier = resolver_datasources(_previous(view, item))
    errors: list[DoboError] = []
    for index, rule in enumerate(resolver.rules):
        path: Path = ("rules", index)
        if rule.when is not None:
            for err in check_when(rule.when):
                where = f" (expression line {err.location.line}, column {err.location.column})"
                rule_id = err.rule or ("D31" if isinstance(err, FunctionNotAllowed) else "RES-2")
                errors.append(item.error((*path, "when"), err.code, rule_id, err.message + where, err.detail))
        strategy = rule.strategy
        if isinstance(strategy, CatalogStrategy):
            continue
        wants_file = isinstance(strategy, PathStrategy)
        errors += _datasource_ref(view, item, (*path, "strategy"), strategy.datasource_id, wants_file, "RES-7", earlier)
        if isinstance(strategy, PathStrategy):
            errors += _relative_path(item, (*path, "strategy", "path"), strategy.path)
    return errors


# --- Dataset


def dataset_targets(dataset: Entity | None) -> list[tuple[int, DatasetTarget]]:
    if not isinstance(dataset, Dataset):
        return []
    return [(i, lk.target) for i, lk in enumerate(dataset.lookups) if isinstance(lk.target, DatasetTarget)]


def check_dataset(view: ApplyView, item: Authored) -> list[DoboError]:
    dataset = item.entity
    assert isinstance(dataset, Dataset)
    errors: list[DoboError] = []
    rid = dataset.resolver_id
    if rid is not None and rid != REGISTERED_RESOLVER_ID and not view.exists("resolver", rid):
        errors.append(
            item.error(
                ("resolver_id",),
                "UnresolvedReference",
                "RES-9",
                f"Resolver {rid!r} exists neither in this apply nor in the store",
            )
        )
    earlier = {t.dataset_id for _, t in dataset_targets(_previous(view, item))}
    for index, target in dataset_targets(dataset):
        path: Path = ("lookups", index, "target")
        found = _dataset_ref(view, item, path, target.dataset_id, target.dataset_version, "DS-3", earlier)
        errors += found
        if not found:
            errors += _dataset_join_columns(view, item, index)
    return errors


def _target_dataset(view: ApplyView, target: DatasetTarget) -> Dataset | None:
    found = view.entity("dataset", target.dataset_id, target.dataset_version)
    return found if isinstance(found, Dataset) else None


def _column_type(view: ApplyView, dataset: Dataset, column: str) -> str | None:
    """Declared type of a join source: a main-table column or ``alias.column`` of a lookup."""
    if "." not in column:
        found = dataset.main_table.column(column)
        return found.type if found else None
    alias, _, name = column.partition(".")
    lookup = dataset.lookup(alias)
    if lookup is None:
        return None
    table: TableRef | None = lookup.target if isinstance(lookup.target, TableTarget) else None
    if isinstance(lookup.target, DatasetTarget):
        nested = _target_dataset(view, lookup.target)
        table = nested.main_table if nested else None
    found = table.column(name) if table else None
    return found.type if found else None


def _dataset_join_columns(view: ApplyView, item: Authored, index: int) -> list[DoboError]:
    """DS-1 for dataset targets: the target side is a column of the target's main table, same type."""
    dataset = item.entity
    assert isinstance(dataset, Dataset)
    lookup = dataset.lookups[index]
    assert isinstance(lookup.target, DatasetTarget)
    target = _target_dataset(view, lookup.target)
    if target is None:
        return []
    errors: list[DoboError] = []
    for c_index, cond in enumerate(lookup.join_conditions):
        path: Path = ("lookups", index, "join_conditions", c_index)
        column = target.main_table.column(cond.target_column)
        if column is None:
            errors.append(
                item.error(
                    (*path, "target_column"),
                    "InvalidField",
                    "DS-1",
                    f"target_column {cond.target_column!r} is not a main-table column of Dataset {target.id!r}",
                )
            )
            continue
        source_type = _column_type(view, dataset, cond.source_column)
        if "." in cond.source_column and source_type is None:
            errors.append(
                item.error(
                    (*path, "source_column"),
                    "InvalidField",
                    "DS-1",
                    f"source_column {cond.source_column!r} is not a column of that lookup",
                )
            )
        elif source_type is not None and source_type != column.type:
            errors.append(
                item.error(
                    (*path, "target_column"),
                    "InvalidField",
                    "DS-1",
                    f"join columns differ in type ({source_type} vs {column.type})",
                )
            )
    return errors


def check_dataset_cycles(view: ApplyView) -> list[DoboError]:
    """DS-3: nested Dataset lookups must not lead back to the Dataset itself."""
    errors: list[DoboError] = []
    for item in view.of_kind("dataset"):
        for index, target in dataset_targets(item.entity):
            cycle = _path_back(view, item.key, target, [item.key])
            if cycle:
                errors.append(
                    item.error(
                        ("lookups", index, "target", "dataset_id"),
                        "ReferenceCycle",
                        "DS-3",
                        "Dataset lookups form a cycle: " + " → ".join(cycle),
                    )
                )
    return errors


def _path_back(view: ApplyView, start: str, target: DatasetTarget, trail: list[str]) -> list[str] | None:
    trail = [*trail, target.dataset_id]
    if target.dataset_id == start:
        return trail
    if target.dataset_id in trail[:-1] or len(trail) > 64:
        return None  # a cycle that does not pass through `start`: reported from its own members
    for _, nested in dataset_targets(_target_dataset(view, target)):
        found = _path_back(view, start, nested, trail)
        if found:
            return found
    return None


# --- Project


def project_datasets(project: Entity | None) -> set[str]:
    if not isinstance(project, Project):
        return set()
    return {project.input_dataset_id} | {read.dataset_id for op in project.operations for read in op.datasets_read()}


def project_datasources(project: Entity | None) -> set[str]:
    if not isinstance(project, Project):
        return set()
    return {
        op.parameters.destination.datasource_id
        for op in project.operations
        if isinstance(op, OutputOperation) and isinstance(op.parameters.destination, OutputDestination)
    }


def check_project(view: ApplyView, item: Authored) -> list[DoboError]:
    project = item.entity
    assert isinstance(project, Project)
    previous = _previous(view, item)
    datasets, sources = project_datasets(previous), project_datasources(previous)
    errors = _dataset_ref(view, item, (), project.input_dataset_id, project.input_dataset_version, "DS-4", datasets)
    # _dataset_ref names `dataset_id`/`dataset_version`; a Project's fields are called input_*.
    errors = [_rename(e, item) for e in errors]
    if project.calendar_id is not None and not view.exists("calendar", project.calendar_id):
        errors.append(
            item.error(
                ("calendar_id",),
                "UnresolvedReference",
                "D23",
                f"Calendar {project.calendar_id!r} exists neither in this apply nor in the store",
            )
        )
    for dataset_id, resolver_id in project.resolver_overrides.items():
        if resolver_id != REGISTERED_RESOLVER_ID and not view.exists("resolver", resolver_id):
            errors.append(
                item.error(
                    ("resolver_overrides", dataset_id),
                    "UnresolvedReference",
                    "RES-9",
                    f"Resolver {resolver_id!r} exists neither in this apply nor in the store",
                )
            )
    main = view.entity("dataset", project.input_dataset_id, project.input_dataset_version)
    taken = _taken_aliases(main)
    for index, op in enumerate(project.operations):
        for read in op.datasets_read():
            rpath: Path = ("operations", index, *read.path)
            errors += _dataset_ref(view, item, rpath, read.dataset_id, read.dataset_version, read.rule, datasets)
            if read.alias is not None and read.alias in taken:
                errors.append(
                    item.error(
                        (*rpath, "alias"),
                        "InvalidField",
                        read.rule,
                        f"join alias {read.alias!r} is already {taken[read.alias]} of the input Dataset",
                    )
                )
        if isinstance(op, OutputOperation) and isinstance(op.parameters.destination, OutputDestination):
            dest = op.parameters.destination
            dpath: Path = ("operations", index, "parameters", "destination")
            errors += _datasource_ref(view, item, dpath, dest.datasource_id, dest.path is not None, "OP-OUT-1", sources)
            if dest.path is not None:
                errors += _relative_path(item, (*dpath, "path"), dest.path)
    return errors


def project_warnings(view: ApplyView, item: Authored) -> list[LoadWarning]:
    """PRJ-4: an override for a Dataset the Project does not load is a warning."""
    project = item.entity
    assert isinstance(project, Project)
    loaded = project_datasets(project)
    main = view.entity("dataset", project.input_dataset_id, project.input_dataset_version)
    loaded |= {t.dataset_id for _, t in dataset_targets(main)}
    return [
        LoadWarning(
            f"resolver_overrides names Dataset {dataset_id!r}, which this Project does not load",
            "PRJ-4",
            item.locate("resolver_overrides", dataset_id),
        )
        for dataset_id in project.resolver_overrides
        if dataset_id not in loaded
    ]


def _taken_aliases(dataset: Entity | None) -> dict[str, str]:
    if not isinstance(dataset, Dataset):
        return {}
    taken = {dataset.main_table.name: "the main table name"}
    taken.update({lk.alias: "a lookup alias" for lk in dataset.lookups if lk.alias})
    return taken


def _rename(error: DoboError, item: Authored) -> DoboError:
    path = error.location.path or ""
    field = "input_dataset_version" if path.endswith("dataset_version") else "input_dataset_id"
    return item.error((field,), error.code, error.rule or "DS-4", error.message, error.detail)


CHECKS: dict[str, Callable[[ApplyView, Authored], list[DoboError]]] = {
    "resolver": check_resolver,
    "dataset": check_dataset,
    "project": check_project,
}


def check_references(view: ApplyView) -> list[DoboError]:
    errors: list[DoboError] = []
    for item in view.items:
        check = CHECKS.get(item.kind)
        if check is not None:
            errors += check(view, item)
    return errors + check_dataset_cycles(view)
