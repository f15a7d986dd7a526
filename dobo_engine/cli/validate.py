"""`dobo validate`: the activation checks of a Project, changing nothing (validation.md, cli.md).

The Project is a stored id or a YAML file not yet applied. Datasets,
Resolvers and DataSources come from the metadata store, or, with
``--catalog DIR``, from a catalog folder read into memory (no store needed).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from dobo_engine.cli.common import echo_json, handle_errors, json_option, note
from dobo_engine.errors import CatalogNotFound, DoboError, DoboErrors, EntityNotFound, InvalidField, Location
from dobo_engine.model.documents import parse_file
from dobo_engine.model.project import Project
from dobo_engine.model.yaml_loader import load_yaml_file
from dobo_engine.resolver.catalog import CatalogReader, MemoryCatalog
from dobo_engine.validation import validate_project

FILE_SUFFIXES = (".yaml", ".yml", ".json")


def looks_like_file(target: str) -> bool:
    return target.endswith(FILE_SUFFIXES) or "/" in target or Path(target).is_file()


def project_body(path: Path) -> dict[str, Any]:
    """The raw `project:` body of a file, kept raw so shape mistakes become VAL-012 failures."""
    documents = [doc.data for doc in load_yaml_file(path)]
    bodies = [data["project"] for data in documents if isinstance(data, dict) and "project" in data]
    if len(bodies) != 1:
        found = "no" if not bodies else str(len(bodies))
        raise InvalidField(
            f"{path} holds {found} project documents; expected exactly one",
            rule="GEN-2",
            location=Location(file=str(path)),
        )
    body = bodies[0]
    if not isinstance(body, dict):
        raise InvalidField(
            "the project must be a mapping of fields", rule="GEN-2", location=Location(file=str(path), path="project")
        )
    return body


def folder_catalog(folder: Path) -> tuple[MemoryCatalog, dict[str, Project]]:
    """Every entity of a catalog folder: Projects by id, the rest in a MemoryCatalog."""
    if not folder.is_dir():
        raise CatalogNotFound(f"catalog folder {folder} does not exist", location=Location(file=str(folder)))
    catalog, projects = MemoryCatalog(), {}
    errors: list[DoboError] = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix in FILE_SUFFIXES and p.is_file()):
        try:
            entities = parse_file(path)
        except DoboErrors as exc:
            errors += exc.errors
            continue
        for entity in entities:
            if isinstance(entity, Project):
                projects[entity.id] = entity
            else:
                try:
                    catalog.add(entity)
                except TypeError:
                    pass  # kinds validation never reads (calendar mappings)
    if errors:
        raise DoboErrors(errors)
    return catalog, projects


@contextmanager
def store_catalog() -> Iterator[tuple[CatalogReader, Callable[[str], Project]]]:
    """The metadata store's catalog (D18) and a reader of stored Projects."""
    from dobo_engine.store.api import open_store
    from dobo_engine.store.catalog_reader import StoreCatalog

    with open_store() as store:
        reader = StoreCatalog(store)
        yield reader, reader.project


@click.command("validate")
@click.argument("target", metavar="PROJECT-ID | PROJECT.yaml")
@click.option(
    "--dataset-version",
    type=click.IntRange(min=1),
    default=None,
    help="Validate against this version of the input Dataset (default: the pin, else the latest).",
)
@click.option(
    "--catalog",
    "catalog_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Read Datasets, Resolvers and DataSources from this catalog folder instead of the store.",
)
@json_option
@handle_errors
def validate_command(target: str, dataset_version: int | None, catalog_dir: Path | None, as_json: bool) -> None:
    """Run the activation checks of a Project without changing anything.

    Prints "valid" (exit 0) or every failure (exit 1); bad input exits 2.

    \b
    Examples:
      dobo validate prj-fx-usd --dataset-version 2
      dobo validate examples/finance/catalog/projects/prj-fx-usd.yaml --catalog examples/finance/catalog
    """
    project: Project | dict[str, Any]
    catalog: CatalogReader
    if catalog_dir is not None:
        catalog, projects = folder_catalog(catalog_dir)
        if looks_like_file(target):
            project = project_body(Path(target))
        elif target in projects:
            project = projects[target]
        else:
            raise EntityNotFound(f"no Project {target!r} in catalog folder {catalog_dir}", rule="GEN-1")
        report = validate_project(project, catalog, dataset_version=dataset_version, purpose="check")
    else:
        with store_catalog() as (catalog, stored_project):
            project = project_body(Path(target)) if looks_like_file(target) else stored_project(target)
            report = validate_project(project, catalog, dataset_version=dataset_version, purpose="check")
    if as_json:
        echo_json(report.to_dict())
    elif report.ok:
        click.echo("valid")
        for warning in report.warnings:
            note(f"warning: {warning}")
    else:
        click.echo(report.render())
    if not report.ok:
        sys.exit(1)


COMMANDS: list[click.Command] = [validate_command]
