"""The code's layering (docs/architecture.md) and D12: dobo_engine never imports Dagster or dobo_dagster.

The layer table in docs/architecture.md is the one place the order is
written; these tests read it, parse every import in the code (module level,
inside functions and under ``TYPE_CHECKING`` alike) and fail on an import
that goes up a layer or closes a cycle, naming the file and line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.python_ast import parse_source

ROOT = Path(__file__).resolve().parent.parent
LAYERS_DOC = ROOT / "docs" / "architecture.md"
ENGINE = "dobo_engine"
PACKAGES = (ENGINE, "dobo_dagster")
_LAYER_ROW = re.compile(r"^\|\s*(?P<layer>\d+)\s*\|\s*`(?P<package>\w+)`\s*\|", re.MULTILINE)


@dataclass(frozen=True)
class Import:
    file: Path  # relative to the scanned root
    line: int
    source: str  # the importing module, dotted
    target: str  # what is imported, dotted: a module or ``module.name``


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolved_from(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module named by ``from <module> import``, relative imports included."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_in(root: Path, package: str) -> Iterator[Import]:
    """Every import statement anywhere in ``root/package`` (``ast.walk`` reaches function bodies)."""
    for path in sorted((root / package).rglob("*.py")):
        source = module_name(root, path)
        is_package = path.name == "__init__.py"
        for node in ast.walk(parse_source(path.read_text(encoding="utf-8"), filename=str(path))):
            file = path.relative_to(root)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(file, node.lineno, source, alias.name)
            elif isinstance(node, ast.ImportFrom):
                base = _resolved_from(source, is_package, node)
                for alias in node.names:
                    yield Import(file, node.lineno, source, f"{base}.{alias.name}")


def read_layers(doc: Path = LAYERS_DOC) -> dict[str, int]:
    """package -> layer, from the layer table of docs/architecture.md."""
    return {m["package"]: int(m["layer"]) for m in _LAYER_ROW.finditer(doc.read_text(encoding="utf-8"))}


def _top(name: str) -> str | None:
    """The layered part of a dotted name: ``dobo_engine.store.api`` -> ``store``."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == ENGINE else None


def top_level_names(root: Path) -> set[str]:
    """The packages and modules directly under ``root/dobo_engine`` (each needs a layer)."""
    found = {p.name for p in (root / ENGINE).iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    return found | {p.stem for p in (root / ENGINE).glob("*.py") if p.stem != "__init__"}


def layer_violations(root: Path, layers: dict[str, int]) -> list[str]:
    """An import of a lower layer (higher number) than the importer's, and names with no layer."""
    problems = [
        f"{ENGINE}/{name} has no layer in docs/architecture.md" for name in sorted(top_level_names(root) - set(layers))
    ]
    for imp in imports_in(root, ENGINE):
        source, target = _top(imp.source), _top(imp.target)
        if source is None or target is None or source == target or source not in layers or target not in layers:
            continue
        if layers[target] > layers[source]:
            problems.append(
                f"{imp.file}:{imp.line}: {source} (layer {layers[source]}) imports {target} "
                f"(layer {layers[target]}), which is below it"
            )
    return problems


# --- cycles

Graph = dict[str, dict[str, str]]  # node -> {node it imports: "file:line" of the first such import}


def module_graph(root: Path, packages: Iterable[str] = PACKAGES) -> Graph:
    modules = {module_name(root, p) for package in packages for p in (root / package).rglob("*.py")}
    graph: Graph = {m: {} for m in modules}
    for package in packages:
        for imp in imports_in(root, package):
            target = imp.target
            while target and target not in modules:  # `from a.b import c`: module a.b.c, else a.b
                target = target.rpartition(".")[0]
            if target and target != imp.source:
                graph[imp.source].setdefault(target, f"{imp.file}:{imp.line}")
    return graph


def package_graph(root: Path) -> Graph:
    """Modules folded into their top-level package (``dobo_engine.store``, ``dobo_dagster``)."""

    def fold(module: str) -> str:
        top = _top(module)
        return f"{ENGINE}.{top}" if top else module.split(".")[0]

    graph: Graph = {}
    for module, edges in module_graph(root).items():
        node = graph.setdefault(fold(module), {})
        for target, where in edges.items():
            if fold(target) != fold(module):
                node.setdefault(fold(target), where)
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's components with more than one node: each holds at least one cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, {})):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def one_cycle(graph: Graph, component: list[str]) -> str:
    """A shortest cycle through the component's first node, each step with the import that makes it."""
    members, start = set(component), component[0]
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node]):
            if nxt == start:
                steps = [*paths[node], start]
                return (
                    " -> ".join(f"{a} ({graph[a][b]})" for a, b in zip(steps, steps[1:], strict=False)) + f" -> {start}"
                )
            if nxt in members and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle through {start}")  # a strongly connected component always has one


def cycles(graph: Graph) -> list[str]:
    return [one_cycle(graph, component) for component in strongly_connected(graph)]


# --- the repository


def _imported_roots(package: str) -> set[str]:
    return {imp.target.split(".")[0] for imp in imports_in(ROOT, package)}


def test_engine_imports_neither_dagster_nor_the_code_location_D12():
    roots = _imported_roots(ENGINE)
    assert not {r for r in roots if r.startswith("dagster")}
    assert "dobo_dagster" not in roots


def test_the_layer_table_is_a_strict_order_of_every_engine_package():
    layers = read_layers()
    numbers = sorted(layers.values())
    assert numbers == list(range(1, len(numbers) + 1)), "layers are numbered 1..n, one package each"
    assert set(layers) == top_level_names(ROOT), "one row per package or module of dobo_engine, no more"


def test_no_engine_package_imports_a_layer_below_it():
    problems = layer_violations(ROOT, read_layers())
    assert not problems, "\n".join(problems)


def test_no_import_cycle_between_packages():
    found = cycles(package_graph(ROOT))
    assert not found, "\n".join(found)


def test_no_import_cycle_between_modules():
    found = cycles(module_graph(ROOT))
    assert not found, "\n".join(found)


# --- the checks catch what they are for (synthetic trees)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _store_and_catalog(root: Path, store_api: str) -> Path:
    return _tree(
        root,
        {
            "dobo_engine/__init__.py": "",
            "dobo_engine/store/__init__.py": "",
            "dobo_engine/store/api.py": store_api,
            "dobo_engine/catalog/__init__.py": "",
            "dobo_engine/catalog/apply.py": "from dobo_engine.store.api import open_store\n",
        },
    )


def test_an_import_of_a_lower_layer_inside_a_function_is_reported_with_file_and_line(tmp_path):
    root = _store_and_catalog(tmp_path, "def open_store():\n    from dobo_engine.catalog.apply import apply_catalog\n")
    problems = layer_violations(root, {"store": 1, "catalog": 2})
    assert problems == [
        f"{Path('dobo_engine/store/api.py')}:2: store (layer 1) imports catalog (layer 2), which is below it"
    ]


def test_relative_and_package_imports_count_as_imports_of_their_layer(tmp_path):
    root = _store_and_catalog(tmp_path, "from ..catalog import apply\nfrom dobo_engine import catalog\n")
    problems = layer_violations(root, {"store": 1, "catalog": 2})
    assert [p.split(": ")[0] for p in problems] == [
        f"{Path('dobo_engine/store/api.py')}:1",
        f"{Path('dobo_engine/store/api.py')}:2",
    ]


def test_imports_of_higher_layers_pass_and_a_package_without_a_layer_is_reported(tmp_path):
    root = _store_and_catalog(tmp_path, "")
    assert layer_violations(root, {"store": 1, "catalog": 2}) == []
    assert layer_violations(root, {"store": 1}) == ["dobo_engine/catalog has no layer in docs/architecture.md"]


def test_a_module_cycle_is_reported_with_the_imports_that_close_it(tmp_path):
    root = _store_and_catalog(tmp_path, "def open_store():\n    from dobo_engine.catalog.apply import apply_catalog\n")
    found = cycles(module_graph(root, [ENGINE]))
    api, apply = Path("dobo_engine/store/api.py"), Path("dobo_engine/catalog/apply.py")
    assert found == [
        f"dobo_engine.catalog.apply ({apply}:1) -> dobo_engine.store.api ({api}:2) -> dobo_engine.catalog.apply"
    ]
    assert len(cycles({"a": {"b": "x"}, "b": {"c": "y"}, "c": {"a": "z"}, "d": {"a": "w"}})) == 1
    assert cycles({"a": {"b": "x"}, "b": {}}) == []
