"""YAML/JSON reading per D29/GEN-7.

Documents are composed with ruamel.yaml (YAML 1.2 core) and converted node by
node, so that ``on``/``yes``/``no`` stay strings, numbers with a decimal point
become exact :class:`decimal.Decimal` values built from the source text, dates
and timestamps stay text, and every node keeps its 1-based line and column.

It is the one YAML entry point of dobo (catalogs, scenarios, validate), and
it reads untrusted text safely: only the YAML 1.2 core tags are accepted (a
``!!python/...`` or ``!custom`` tag is refused, never dropped), a file larger
than :data:`MAX_YAML_BYTES` is refused unread, and aliases may add at most
:data:`MAX_ALIAS_NODES` nodes to a document, so that an alias bomb ("billion
laughs") is refused before it is expanded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dobo_engine.errors import Location, YamlSyntaxError

PathKey = str | int
YamlPath = tuple[PathKey, ...]

_TAG = "tag:yaml.org,2002:"
_SPECIAL_FLOATS = {".inf": "Infinity", "+.inf": "Infinity", "-.inf": "-Infinity", ".nan": "NaN"}
# The YAML 1.2 core schema (plus timestamps, which stay text, D29): any other tag is refused.
_KNOWN_TAGS = frozenset(
    _TAG + name for name in ("null", "bool", "int", "float", "str", "timestamp", "map", "seq", "merge")
)
# (merge keys pass this check so that the converter can refuse them with their own message)
MAX_YAML_BYTES = 32 * 1024 * 1024  # far above any catalog or scenario file
MAX_ALIAS_NODES = 100_000  # nodes that aliases may add to one document once expanded


@dataclass
class YamlDocument:
    """One document of a YAML stream: plain data plus node positions."""

    data: Any
    file: str
    index: int = 0
    positions: dict[YamlPath, tuple[int, int]] = field(default_factory=dict, repr=False)

    def position(self, path: YamlPath) -> tuple[int, int] | None:
        """1-based (line, column) of the node at ``path``, else of its nearest ancestor."""
        probe = tuple(path)
        while True:
            if probe in self.positions:
                return self.positions[probe]
            if not probe:
                return None
            probe = probe[:-1]


def _syntax_error(file: str, problem: str, line: int | None, column: int | None) -> YamlSyntaxError:
    return YamlSyntaxError(
        f"cannot read YAML: {problem}",
        location=Location(file=file, line=line, column=column),
        rule="GEN-7",
    )


class _Converter:
    """Turns a composed node tree into plain Python, recording positions."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[YamlPath, tuple[int, int]] = {}

    def mark(self, path: YamlPath, node: Node) -> None:
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))

    def error(self, node: Node, problem: str) -> YamlSyntaxError:
        return _syntax_error(self.file, problem, node.start_mark.line + 1, node.start_mark.column + 1)

    def check_tags_and_aliases(self, root: Node) -> None:
        """Refuse unknown tags and alias expansion beyond MAX_ALIAS_NODES, before converting.

        Aliases share composed nodes, so the document's expanded size is
        computed once per distinct node (memoised): linear in the text, even
        for an alias bomb whose expansion would be exponential.
        """
        expanded: dict[int, int] = {}
        distinct = 0
        # Iterative post-order walk: (node, children done?) so deep documents do not hit recursion limits.
        stack: list[tuple[Node, bool]] = [(root, False)]
        in_progress: set[int] = set()
        while stack:
            node, done = stack.pop()
            key = id(node)
            if done:
                in_progress.discard(key)
                expanded[key] = 1 + sum(expanded[id(child)] for child in _children(node))
                continue
            if key in expanded:
                continue
            if key in in_progress:
                raise self.error(node, "an alias refers to a node that contains it (recursive alias)")
            tag = node.tag or ""
            if tag not in _KNOWN_TAGS:
                raise self.error(node, f"tag {tag.replace(_TAG, '!!')!r} is not allowed (only plain YAML 1.2 values)")
            distinct += 1
            in_progress.add(key)
            stack.append((node, True))
            for child in _children(node):
                if id(child) in in_progress:
                    raise self.error(child, "an alias refers to a node that contains it (recursive alias)")
                if id(child) not in expanded:
                    stack.append((child, False))
        total = expanded[id(root)]
        if total - distinct > MAX_ALIAS_NODES:
            raise self.error(
                root,
                f"aliases expand this document to {total} nodes from {distinct} written "
                f"(more than {MAX_ALIAS_NODES} added by aliases: an alias bomb?)",
            )

    def convert(self, node: Node, path: YamlPath, depth: int = 0) -> Any:
        if depth > 200:  # anchors may build cycles; real documents are never this deep
            raise self.error(node, "document nests too deeply (recursive alias?)")
        self.mark(path, node)
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            return [self.convert(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        raise self.error(node, f"unsupported node {type(node).__name__}")

    def _mapping(self, node: MappingNode, path: YamlPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                raise self.error(key_node, "merge keys (<<) are not supported")
            key = self._scalar(key_node) if isinstance(key_node, ScalarNode) else None
            if key is None or isinstance(key, (list, dict)):
                raise self.error(key_node, "mapping keys must be plain scalars")
            key = str(key)
            if key in result:
                raise self.error(key_node, f"duplicate key {key!r}")
            # A mapping entry's position is its key's: errors point at the key the user wrote.
            self.mark((*path, key), key_node)
            result[key] = self.convert(value_node, (*path, key), depth + 1)
        return result

    def _scalar(self, node: ScalarNode) -> Any:
        tag = node.tag or ""
        text = node.value
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "bool":
            return text.lower() == "true"
        if tag == _TAG + "int":
            return _to_int(text)
        if tag == _TAG + "float":
            return _to_decimal(text)
        return text  # str, timestamp and anything else stay text (D29)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _to_int(text: str) -> int:
    cleaned = text.replace("_", "")
    sign = -1 if cleaned.startswith("-") else 1
    digits = cleaned.lstrip("+-").lower()
    if digits.startswith("0x"):
        return sign * int(digits[2:], 16)
    if digits.startswith("0o"):
        return sign * int(digits[2:], 8)
    if digits.startswith("0b"):
        return sign * int(digits[2:], 2)
    return sign * int(digits, 10)


def _to_decimal(text: str) -> Decimal:
    raw = _SPECIAL_FLOATS.get(text.lower(), text)
    try:
        return Decimal(raw)
    except InvalidOperation as exc:  # resolver said float, Decimal disagrees
        raise ValueError(f"not a number: {text!r}") from exc


def load_yaml_text(text: str, file: str = "<text>") -> list[YamlDocument]:
    """Every document of a YAML (or JSON) text, in order. Empty documents are skipped."""
    if len(text) > MAX_YAML_BYTES:
        raise _syntax_error(file, f"the text is larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB", None, None)
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    documents: list[YamlDocument] = []
    try:
        for index, root in enumerate(yaml.compose_all(text)):
            if root is None:
                continue
            converter = _Converter(file)
            converter.check_tags_and_aliases(root)
            try:
                data = converter.convert(root, ())
            except ValueError as exc:
                raise converter.error(root, str(exc)) from exc
            documents.append(YamlDocument(data, file, index, converter.positions))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        raise _syntax_error(file, problem, line, column) from exc
    except YAMLError as exc:
        raise _syntax_error(file, str(exc).splitlines()[0], None, None) from exc
    return documents


def load_yaml_file(path: str | Path) -> list[YamlDocument]:
    """Every document of a YAML/JSON file."""
    file = str(path)
    try:
        if Path(path).stat().st_size > MAX_YAML_BYTES:
            raise YamlSyntaxError(
                f"cannot read file: larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB",
                location=Location(file=file),
                rule="GEN-7",
            )
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlSyntaxError(f"cannot read file: {exc}", location=Location(file=file), rule="GEN-7") from exc
    return load_yaml_text(text, file)


def to_plain(value: Any) -> Any:
    """A JSON-safe copy: Decimals as strings, dates as ISO text, tuples as lists."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def format_path(path: YamlPath) -> str:
    """``('project', 'operations', 2, 'on')`` -> ``project.operations[2].on``."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
    return text
