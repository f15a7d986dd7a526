"""Every rule id the repository cites is defined in docs/spec/ (entities.md: "Rule ids are stable; cite them").

A rule id is *defined* where the reference introduces it:

- a list item that starts with it: ``- D15. ...`` (decisions.md) or
  ``- **OP-UPD-3** ...`` (operations.md, trace.md, validation.md, scenarios.md);
- the first cell of a row of a rule table, one whose header starts with
  ``| Id |`` (entities.md, validation.md): ``| RES-9 | ... |``; sample data
  tables (``| JE-001 | ...``) define nothing;
- a heading that starts with it: ``## RUN-7 ...``.

Anything else that looks like a rule id is a *citation*: a family prefix
taken from the defined ids (``D``, ``CAL-``, ``OP-UPD-``, ``VAL-`` ...; any
``OP-XXX-`` counts too, so an invented operation family is caught) followed
by a number. Short ranges cite every member: ``LK-1..7``, ``TMP-1–5``,
``D12-D14``, ``VAL-006/007``. Test function names cite ids in snake case
(``test_..._op_upd_7``, ``..._cal8``, ``..._val_004``).

Section references of the form ``dsl.md §12.1`` or ``scenarios.md §2`` are
checked against the numbered headings of that spec file (``## 12.``,
``### 1.1``) and the numbered items at the top level of a section (``§12.1``
is item 1 of ``## 12.``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "docs" / "spec"

# Where the repository cites the reference (docs/spec/ itself is the reference).
CITING_PATHS = (
    "dobo_engine",
    "dobo_dagster",
    "tests",
    "docs",
    "benchmarks",
    "examples",
    "scripts",
    "deploy",
    "README.md",
    "BENCHMARKS.md",
    "CONTRIBUTING.md",
    "Makefile",
    "pyproject.toml",
)
TEXT_SUFFIXES = {"", ".lark", ".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".sh", ".cfg", ".ini", ".sql", ".json"}
SKIPPED_DIRS = {"__pycache__", ".venv", ".dobo", "node_modules", ".git"}
# This file spells out invented ids on purpose, to prove the collector rejects them.
SELF = Path(__file__).resolve()

_ID_BODY = r"(?:D|[A-Z]{1,4}-|OP-[A-Z]{2,5}-)\d{1,3}"
_LIST_ITEM_DEFINITION = re.compile(rf"^\s*[-*]\s+(?:\*\*)?(?P<id>{_ID_BODY})(?:\*\*)?(?=[\s.:*]|$)")
_TABLE_ROW_DEFINITION = re.compile(rf"^\|\s*(?:\*\*)?(?P<id>{_ID_BODY})(?:\*\*)?\s*\|")
_HEADING_DEFINITION = re.compile(rf"^#{{1,6}}\s+(?:\*\*)?(?P<id>{_ID_BODY})(?![\w-])")
_RULE_TABLE_HEADER = re.compile(r"^\|\s*id\s*\|", re.IGNORECASE)

_SECTION_HEADING = re.compile(r"^#{2,6}\s+(?P<number>\d+(?:\.\d+)*)\.?\s")
_NUMBERED_ITEM = re.compile(r"^(?P<number>\d+)\.\s")
_SECTION_CITATION = re.compile(r"\b(?P<file>[a-z_]+\.md)`?\)?,?\s*§\s*(?P<number>\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Citation:
    """One rule id or spec section cited at a place in the repository."""

    path: str
    line: int
    cited: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.cited}"


@dataclass(frozen=True)
class Spec:
    """What docs/spec/ defines: rule ids and numbered sections per file."""

    rule_ids: frozenset[str]
    sections: dict[str, frozenset[str]]

    @property
    def families(self) -> frozenset[str]:
        """Prefixes of the defined ids: ``D``, ``RUN-``, ``OP-UPD-`` ..."""
        return frozenset(re.sub(r"\d+$", "", rule_id) for rule_id in self.rule_ids)

    def is_defined(self, cited: str) -> bool:
        if "§" in cited:
            file, number = cited.split(" §")
            return number in self.sections.get(file, frozenset())
        return cited in self.rule_ids


def read_spec(spec_dir: Path = SPEC_DIR) -> Spec:
    rule_ids: set[str] = set()
    sections: dict[str, frozenset[str]] = {}
    for path in sorted(spec_dir.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        rule_ids |= defined_rule_ids(text)
        sections[path.name] = defined_sections(text)
    return Spec(frozenset(rule_ids), sections)


def defined_rule_ids(spec_text: str) -> set[str]:
    """Ids a spec text introduces (list item, table row or heading starting with the id)."""
    found: set[str] = set()
    table_header: str | None = None
    for line in spec_text.splitlines():
        if not line.startswith("|"):
            table_header = None
        elif table_header is None:
            table_header = line
        definitions = [_LIST_ITEM_DEFINITION, _HEADING_DEFINITION]
        if table_header is not None and _RULE_TABLE_HEADER.match(table_header):
            definitions.append(_TABLE_ROW_DEFINITION)
        for definition in definitions:
            match = definition.match(line)
            if match:
                found.add(match["id"])
    return found


def defined_sections(spec_text: str) -> frozenset[str]:
    """Section numbers of one spec file: headings (``## 4.``, ``### 1.1``) and items of a section (``4.2``)."""
    found: set[str] = set()
    current: str | None = None
    in_code = False
    for line in spec_text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        heading = _SECTION_HEADING.match(line)
        if heading:
            current = heading["number"]
            found.add(current)
            continue
        item = _NUMBERED_ITEM.match(line)
        if item and current is not None and "." not in current:
            found.add(f"{current}.{item['number']}")
    return frozenset(found)


def _citation_pattern(families: Iterable[str]) -> re.Pattern[str]:
    prefixes = sorted({re.escape(family) for family in families} | {r"OP-[A-Z]{2,5}-"}, key=len, reverse=True)
    return re.compile(
        rf"(?<![\w-])(?P<family>{'|'.join(prefixes)})(?P<number>\d{{1,3}})(?![\w])"
        r"(?:(?P<joiner>\.\.|–|—|/|-(?=(?P=family)))(?:(?P=family))?(?P<last>\d{1,3})(?![\w]))?"
    )


def _snake_pattern(families: Iterable[str]) -> re.Pattern[str]:
    prefixes = sorted(
        {re.escape(family.rstrip("-").lower().replace("-", "_")) for family in families} | {r"op_[a-z]{2,5}"},
        key=len,
        reverse=True,
    )
    return re.compile(rf"(?<=_)(?P<family>{'|'.join(prefixes)})_?(?P<number>\d{{1,3}})(?=_|$)")


_TEST_NAME = re.compile(r"\bdef (test_\w+)")


def _member_ids(match: re.Match[str]) -> Iterator[str]:
    family, number = match["family"], match["number"]
    yield family + number
    if match["last"] is None:
        return
    width = len(number) if number.startswith("0") else 0
    if match["joiner"] == "/":
        members: Iterable[int] = [int(match["last"])]
    else:
        members = range(int(number) + 1, int(match["last"]) + 1)
    for member in members:
        yield family + str(member).zfill(width)


def _snake_to_id(family: str, number: str, spec: Spec) -> str:
    hyphenated = family.upper().replace("_", "-")
    prefix = hyphenated if hyphenated in spec.families else hyphenated + "-"
    padded = {
        len(re.sub(r"^\D+", "", rid)) for rid in spec.rule_ids if rid.startswith(prefix) and rid[len(prefix)] == "0"
    }
    return prefix + number.zfill(max(padded, default=0))


def cited_rule_ids(text: str, spec: Spec, path: str = "<text>") -> list[Citation]:
    """Every rule id and spec section cited in ``text``, with its line."""
    ids = _citation_pattern(spec.families)
    snake = _snake_pattern(spec.families)
    citations: list[Citation] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in ids.finditer(line):
            citations.extend(Citation(path, number, rule_id) for rule_id in _member_ids(match))
        for name in _TEST_NAME.findall(line):
            for match in snake.finditer(name):
                citations.append(Citation(path, number, _snake_to_id(match["family"], match["number"], spec)))
        for match in _SECTION_CITATION.finditer(line):
            if match["file"] in spec.sections:
                citations.append(Citation(path, number, f"{match['file']} §{match['number']}"))
    return citations


def citing_files(root: Path = ROOT) -> Iterator[Path]:
    for entry in CITING_PATHS:
        base = root / entry
        candidates = [base] if base.is_file() else sorted(base.rglob("*")) if base.is_dir() else []
        for path in candidates:
            relative = path.relative_to(root)
            if (
                path.is_file()
                and path.suffix in TEXT_SUFFIXES
                and not SKIPPED_DIRS.intersection(relative.parts)
                and relative.parts[:2] != ("docs", "spec")
                and path.resolve() != SELF
            ):
                yield path


def undefined_citations(root: Path = ROOT, spec: Spec | None = None) -> list[Citation]:
    spec = spec or read_spec(root / "docs" / "spec")
    missing: list[Citation] = []
    for path in citing_files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        relative = str(path.relative_to(root))
        missing.extend(c for c in cited_rule_ids(text, spec, relative) if not spec.is_defined(c.cited))
    return missing


# --- the reference itself ---------------------------------------------------------------


def test_the_spec_defines_each_rule_family_it_uses():
    spec = read_spec()
    for rule_id in ("D1", "D15", "D37", "RUN-7", "OP-UPD-3", "VAL-004", "RES-9", "TR-2", "DS-6", "LK-2",
                    "OP-JOIN-5", "CAL-8", "GEN-2", "PRJ-10", "PER-5", "SRC-5", "OP-SYS-2", "V-1", "SC-3",
                    "TMP-5", "ROW-8", "MAP-4", "OP-GEN-5"):  # fmt: skip
        assert rule_id in spec.rule_ids, rule_id
    # Sample data in the reference is not a rule: journal ids, cost centres, budget ids.
    assert not {"JE-001", "CC-100", "BUD-001"} & spec.rule_ids
    assert {"5", "5.4", "1.1"} <= spec.sections["scenarios.md"]
    assert {"12", "12.1", "7.3"} <= spec.sections["dsl.md"]


# --- the collector ----------------------------------------------------------------------


def test_collector_finds_ids_ranges_and_sections_with_their_lines():
    spec = read_spec()
    text = (
        "first line cites D15 and OP-UPD-3.\n"
        "second: LK-1..3, VAL-006/007, TMP-1–2, D12-D13 and scenarios.md §5.4\n"
        "def test_resume_writes_new_files_tr11_and_run_7_and_val_4():\n"
    )
    cited = [(c.line, c.cited) for c in cited_rule_ids(text, spec)]
    assert cited == [
        (1, "D15"),
        (1, "OP-UPD-3"),
        (2, "LK-1"),
        (2, "LK-2"),
        (2, "LK-3"),
        (2, "VAL-006"),
        (2, "VAL-007"),
        (2, "TMP-1"),
        (2, "TMP-2"),
        (2, "D12"),
        (2, "D13"),
        (2, "scenarios.md §5.4"),
        (3, "TR-11"),
        (3, "RUN-7"),
        (3, "VAL-004"),
    ]
    assert all(spec.is_defined(rule_id) for _, rule_id in cited)


def test_collector_ignores_sample_data_and_other_codes_that_look_like_ids():
    spec = read_spec()
    text = "JE-001 CC-100 BUD-001 FY2026 2026-Q1 UTF-8 SHA-256 S3 E402 UUID7 ds-gl prj-fx-usd M11 B-3"
    assert cited_rule_ids(text, spec) == []


def test_collector_reports_an_id_the_spec_does_not_define_with_file_and_line():
    spec = read_spec()
    text = "ok D15\nwrong OP-UPD-30 and RUN-70, VAL-4, OP-FOO-1, D99, dsl.md §42\n"
    wrong = [str(c) for c in cited_rule_ids(text, spec, "x.py") if not spec.is_defined(c.cited)]
    assert wrong == [
        "x.py:2: OP-UPD-30",
        "x.py:2: RUN-70",
        "x.py:2: VAL-4",
        "x.py:2: OP-FOO-1",
        "x.py:2: D99",
        "x.py:2: dsl.md §42",
    ]


def test_an_undefined_citation_in_a_repository_file_fails_the_check(tmp_path: Path):
    (tmp_path / "docs" / "spec").mkdir(parents=True)
    (tmp_path / "docs" / "spec" / "decisions.md").write_text("## Time\n\n- D1. Ids.\n- D2. YAML.\n")
    (tmp_path / "dobo_engine").mkdir()
    (tmp_path / "dobo_engine" / "mod.py").write_text('"""Ids per D1."""\n\n# YAML (D2, D3)\n')
    assert [str(c) for c in undefined_citations(tmp_path)] == ["dobo_engine/mod.py:3: D3"]


# --- the repository ---------------------------------------------------------------------


def test_every_rule_id_cited_in_the_repository_is_defined_in_docs_spec():
    missing = undefined_citations()
    if missing:
        pytest.fail(
            f"{len(missing)} citation(s) of rule ids or sections that docs/spec/ does not define "
            "(cite an id the reference defines; see CONTRIBUTING.md):\n" + "\n".join(str(c) for c in missing),
            pytrace=False,
        )
