"""Shared scenario fixtures (scenarios.md §10): named Datasets, with their rows, and Period lists.

A fixture catalog is a file named ``_fixtures.yaml`` (or ``_fixtures.yml``)
in a scenario's folder or in any folder above it; where two catalogs define
the same name, the one nearer the scenario wins. A catalog is read only when
a scenario names a fixture, and is checked whole: its errors are located in
the catalog file. A scenario extends a Dataset fixture with an overlay
(:func:`overlay_dataset`) whose positions stay those of the scenario file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dobo_engine.errors import DoboError, DoboErrors, Location, ScenarioParseError
from dobo_engine.harness.document import DataBlock, PeriodSpec, Positions, Reader, parse_error_from, shifted_positions
from dobo_engine.model.yaml_loader import YamlDocument, YamlPath, load_yaml_text

FIXTURE_FILE_NAMES = ("_fixtures.yaml", "_fixtures.yml")
CATALOG_KEYS = {"datasets", "periods"}
ENTRY_KEYS = {"dataset", "data"}


def is_fixture_file(path: Path) -> bool:
    """A fixture catalog is never a scenario (§8 discovery skips it)."""
    return path.name in FIXTURE_FILE_NAMES


@dataclass(frozen=True)
class DatasetFixture:
    name: str
    body: dict[str, Any]  # the Dataset YAML as written in the catalog
    data: dict[str, DataBlock]  # by table name; their errors point into the catalog file


@dataclass
class FixtureCatalog:
    """Every fixture visible from one scenario folder (nearest catalog first)."""

    files: list[str] = field(default_factory=list)
    datasets: dict[str, DatasetFixture] = field(default_factory=dict)
    periods: dict[str, list[PeriodSpec]] = field(default_factory=dict)

    def unknown(self, kind: str, name: str) -> str:
        """The message for a fixture name that no catalog defines."""
        known = sorted(self.datasets if kind == "Dataset" else self.periods)
        where = (
            f"fixture files: {', '.join(self.files)}"
            if self.files
            else f"no {FIXTURE_FILE_NAMES[0]} in the scenario's folder or above it"
        )
        return f"unknown {kind} fixture {name!r} (known: {', '.join(known) or 'none'}; {where})"


# Parsed catalogs by (path, mtime, size, working directory): the shown path is relative to the latter.
_CACHE: dict[tuple[str, int, int, str], FixtureCatalog] = {}


def catalog_for(scenario_file: Path) -> FixtureCatalog:
    """The fixtures a scenario may name: every catalog from its folder up to the root."""
    merged = FixtureCatalog()
    here = scenario_file.resolve().parent
    for folder in [here, *here.parents]:
        for name in FIXTURE_FILE_NAMES:
            path = folder / name
            if path.is_file():
                one = _load_cached(path)
                merged.files.append(one.files[0])
                for key, value in one.datasets.items():
                    merged.datasets.setdefault(key, value)
                for key, periods in one.periods.items():
                    merged.periods.setdefault(key, periods)
    return merged


def _load_cached(path: Path) -> FixtureCatalog:
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, str(Path.cwd()))
    if key not in _CACHE:
        _CACHE[key] = load_catalog(path)
    return _CACHE[key]


def load_catalog(path: Path) -> FixtureCatalog:
    """Read and check one fixture catalog. Raises ScenarioParseError located in it."""
    shown = _shown(path)
    try:
        docs = load_yaml_text(path.read_text(encoding="utf-8"), shown)
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioParseError(f"cannot read fixture catalog: {exc}", location=Location(file=shown)) from None
    except DoboError as exc:
        raise ScenarioParseError(exc.message, location=exc.location, rule="D29") from None
    if len(docs) != 1:
        raise ScenarioParseError(
            "a fixture catalog holds exactly one YAML document", location=Location(file=shown), rule="scenarios.md §10"
        )
    reader = Reader(docs[0])
    top = reader.mapping(docs[0].data, (), CATALOG_KEYS)
    catalog = FixtureCatalog(files=[shown])
    for name, periods in reader.any_mapping(top.get("periods") or {}, ("periods",)).items():
        catalog.periods[str(name)] = reader.periods(periods, ("periods", name))
    for name, entry in reader.any_mapping(top.get("datasets") or {}, ("datasets",)).items():
        catalog.datasets[str(name)] = _dataset_fixture(reader, str(name), entry, ("datasets", name))
    return catalog


def _dataset_fixture(reader: Reader, name: str, value: Any, path: YamlPath) -> DatasetFixture:
    entry = reader.mapping(value, path, ENTRY_KEYS, {"dataset"})
    body = reader.any_mapping(entry["dataset"], (*path, "dataset"))
    if "id" not in body:
        raise reader.fail((*path, "dataset"), f"Dataset fixture {name!r} needs an id")
    try:  # a fixture is a whole Dataset on its own: its mistakes are reported here, not per scenario
        dataset = reader.entity("dataset", {"name": body["id"], **body}, (*path, "dataset"))
    except DoboErrors as exc:
        raise parse_error_from(exc) from None
    return DatasetFixture(name, body, reader.data_blocks(dataset, entry.get("data"), (*path, "data")))


def overlay_dataset(
    base: dict[str, Any], over: dict[str, Any], doc: YamlDocument, over_at: YamlPath, fallback: tuple[int, int] | None
) -> tuple[dict[str, Any], Positions]:
    """A fixture Dataset with a scenario's additions (§10 rule 3), and positions for its errors.

    Mappings merge key by key; a `columns` list merges by column `name` (a
    known name replaces that column, a new one is appended); any other value
    replaces the fixture's. Nodes the scenario wrote keep their scenario
    position; nodes from the fixture get ``fallback`` (the scenario line that
    names the fixture), so every error points into the scenario file.
    """
    positions: Positions = {}

    def keep(value: Any, at: YamlPath) -> Any:
        if fallback is not None:
            positions[at] = fallback  # nested nodes resolve to their nearest ancestor (GEN-7 positions)
        return value

    def take(value: Any, at: YamlPath, source: YamlPath) -> Any:
        positions.update(shifted_positions(doc, source, at))
        return value

    def merge(old: Any, new: Any, at: YamlPath, source: YamlPath) -> Any:
        here = doc.positions.get(source) or fallback
        if isinstance(old, dict) and isinstance(new, dict):
            if here is not None:
                positions[at] = here
            merged = {
                k: merge(v, new[k], (*at, k), (*source, k)) if k in new else keep(v, (*at, k)) for k, v in old.items()
            }
            merged.update({k: take(v, (*at, k), (*source, k)) for k, v in new.items() if k not in old})
            return merged
        if at[-1] == "columns" and isinstance(old, list) and isinstance(new, list):
            if here is not None:
                positions[at] = here
            by_name = {c.get("name"): i for i, c in reversed(list(enumerate(new))) if isinstance(c, dict)}
            merged_columns: list[Any] = []
            replaced: set[int] = set()
            for column in old:
                i = by_name.pop(column.get("name"), None) if isinstance(column, dict) else None
                at_i = (*at, len(merged_columns))
                merged_columns.append(keep(column, at_i) if i is None else take(new[i], at_i, (*source, i)))
                replaced.update(() if i is None else (i,))
            for i, column in enumerate(new):
                if i not in replaced:
                    merged_columns.append(take(column, (*at, len(merged_columns)), (*source, i)))
            return merged_columns
        return take(new, at, source)

    return merge(base, over, ("dataset",), over_at), positions


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


__all__ = [
    "FIXTURE_FILE_NAMES",
    "DatasetFixture",
    "FixtureCatalog",
    "catalog_for",
    "load_catalog",
    "overlay_dataset",
    "is_fixture_file",
]
