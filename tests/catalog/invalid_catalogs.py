"""Invalid catalogs: the example catalog with exactly one document broken.

Each case lists its changes to a copy of the example catalog as
(relative file, old text or None for a new file, new text), the expected
code, rule and YAML path; the expected file and line are the ones marked
``#<``. Some cases first change the store (``setup``), e.g. disable an
entity, to reach rules that only apply can check against the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dobo_engine.store import MetadataStore
from tests.model.invalid_cases import CASES as DOCUMENT_CASES

Change = tuple[str, str | None, str]

FOLDERS = {
    "dataset": "datasets",
    "datasource": "datasources",
    "calendar": "calendars",
    "period": "periods",
    "resolver": "resolvers",
    "project": "projects",
    "calendar_mapping": "calendars",
}


@dataclass(frozen=True)
class Case:
    id: str
    changes: list[Change]
    code: str
    rule: str
    path: str
    setup: Callable[[MetadataStore], None] | None = field(default=None, compare=False)


def _disable(kind: str, id: str, status: str = "disabled") -> Callable[[MetadataStore], None]:
    return lambda store: store.set_status(kind, id, status)


GL = "datasets/ds-gl.yaml"
RES = "resolvers/finance-files.yaml"
PRJ = "projects/prj-fx-usd.yaml"
CAL = "calendars/finance.yaml"
CSV_STRATEGY = 'strategy: { type: path, datasource_id: finance-csv, path: "{{YYYY}}/{{MM}}/{{table_name}}.csv" }'
LEGACY_WHEN = """when: 'period.start_date < DATE("2026-02-01")'"""
DEST = "destination: default"
PROJECT_ID = "project:\n  id: prj-fx-usd"
# The example Project may declare its status (D22); cases about status replace or drop that line.
_EXAMPLE_ROOT = Path(__file__).resolve().parents[2] / "examples" / "finance" / "catalog"
_PRJ_LINES = (_EXAMPLE_ROOT / PRJ).read_text(encoding="utf-8").splitlines()
PRJ_STATUS = next((line + "\n" for line in _PRJ_LINES if line.startswith("  status:")), None)
PRJ_PIN = next((line + "\n" for line in _PRJ_LINES if line.startswith("  input_dataset_version:")), None)


def prj_pin(new: str) -> list[Change]:
    """Set the Project's authored input_dataset_version line to ``new``."""
    if PRJ_PIN is not None:
        return [(PRJ, PRJ_PIN, new)]
    return [(PRJ, "input_dataset_id: ds-gl\n", "input_dataset_id: ds-gl\n" + new)]


def prj_status(new: str) -> list[Change]:
    """Replace the Project's declared status line by ``new`` (empty: no declared status)."""
    if PRJ_STATUS is not None:
        return [(PRJ, PRJ_STATUS, new)]
    return [(PRJ, "calendar_id: finance\n", "calendar_id: finance\n" + new)] if new else []


def _strategy(text: str) -> list[Change]:
    return [(RES, CSV_STRATEGY, text + "  #<")]


def _gl_lookup(target: str, joins: str) -> list[Change]:
    """A third lookup appended to ds-gl (lookups is its last key)."""
    old = "join_conditions: [{ source_column: cost_center_code, target_column: code }]\n"
    return [(GL, old, old + f"    - alias: rates\n      target: {target}\n      join_conditions: {joins}\n")]


def _period(body: str) -> list[Change]:
    return [("periods/p.yaml", None, "period:\n" + body)]


PERIOD_2027 = """\
  calendar_id: {cal}
  identifier: "{ident}"
  name: {name}
  level: {level}
  year: {year}
  sequence: {seq}
  start_date: {start}
  end_date: {end}
{parent}"""


def period(
    ident: str = "2027-01",
    level: str = "month",
    year: str = "2027",
    seq: str = "1",
    start: str = "2027-01-01",
    end: str = "2027-01-31",
    parent: str = "  parent: 2027-Q1\n",
    cal: str = "finance",
    name: str = "Test",
) -> list[Change]:
    return _period(
        PERIOD_2027.format(
            cal=cal, ident=ident, name=name, level=level, year=year, seq=seq, start=start, end=end, parent=parent
        )
    )


GREGORIAN = """\
calendar:
  id: gregorian
  name: Gregorian
{extra}  levels:
    - {{ name: year, identifier_pattern: "{{year}}" }}
"""
RESOLVER = """\
resolver:
  id: zz-resolver
  name: Other
{extra}  rules:
    - name: all
      data_level: any
      strategy: {{ type: path, datasource_id: {source}, path: "{{{{table_name}}}}.parquet" }}{note}
"""


def resolver(extra: str = "", source: str = "finance-parquet", note: str = "") -> str:
    return RESOLVER.format(extra=extra, source=source, note=note)


APPLY_CASES: list[Case] = [
    # --- Resolver → DataSource (RES-7, SRC-5, SRC-6) and `when` (RES-2, D31)
    Case(
        "res-unknown-datasource",
        _strategy(CSV_STRATEGY.replace("finance-csv", "nowhere")),
        "UnresolvedReference",
        "RES-7",
        "resolver.rules[1].strategy.datasource_id",
    ),
    Case(
        "res-table-on-csv-source",
        _strategy('strategy: { type: table, datasource_id: finance-csv, table: "{{table_name}}" }'),
        "InvalidField",
        "RES-7",
        "resolver.rules[1].strategy.datasource_id",
    ),
    Case(
        "res-unsafe-path",
        _strategy(CSV_STRATEGY.replace('"{{YYYY}}', '"../{{YYYY}}')),
        "UnsafePath",
        "SRC-5",
        "resolver.rules[1].strategy.path",
    ),
    Case(
        "res-absolute-path",
        _strategy(CSV_STRATEGY.replace('"{{YYYY}}', '"/{{YYYY}}')),
        "UnsafePath",
        "SRC-5",
        "resolver.rules[1].strategy.path",
    ),
    Case(
        "res-when-unknown-variable",
        [(RES, LEGACY_WHEN, "when: 'period.month = 1'  #<")],
        "UnresolvedColumnRef",
        "RES-2",
        "resolver.rules[1].when",
    ),
    Case(
        "res-when-not-boolean",
        [(RES, LEGACY_WHEN, "when: 'period.level'  #<")],
        "TypeMismatch",
        "RES-2",
        "resolver.rules[1].when",
    ),
    Case(
        "res-when-today",
        [(RES, LEGACY_WHEN, "when: 'TODAY() > period.start_date'  #<")],
        "FunctionNotAllowed",
        "D31",
        "resolver.rules[1].when",
    ),
    Case(
        "res-when-syntax",
        [(RES, LEGACY_WHEN, "when: 'period.level = '  #<")],
        "ExpressionSyntaxError",
        "RES-2",
        "resolver.rules[1].when",
    ),
    Case(
        "res-new-ref-to-disabled-source",
        [("resolvers/zz.yaml", None, resolver(source="finance-csv", note="  #<"))],
        "UnresolvedReference",
        "SRC-6",
        "resolver.rules[0].strategy.datasource_id",
        _disable("datasource", "finance-csv"),
    ),
    # --- Dataset → Resolver, nested Datasets (RES-9, DS-1, DS-3, DS-4)
    Case(
        "ds-unknown-resolver",
        [(GL, "resolver_id: finance-files", "resolver_id: nowhere  #<")],
        "UnresolvedReference",
        "RES-9",
        "dataset.resolver_id",
    ),
    Case(
        "lk-unknown-dataset",
        _gl_lookup(
            "{ type: dataset, dataset_id: nowhere }  #<", "[{ source_column: currency, target_column: from_currency }]"
        ),
        "UnresolvedReference",
        "DS-3",
        "dataset.lookups[2].target.dataset_id",
    ),
    Case(
        "lk-unknown-version",
        _gl_lookup(
            "{ type: dataset, dataset_id: ds-fx, dataset_version: 5 }  #<",
            "[{ source_column: currency, target_column: from_currency }]",
        ),
        "UnresolvedReference",
        "DS-3",
        "dataset.lookups[2].target.dataset_version",
    ),
    Case(
        "lk-target-column-not-in-dataset",
        _gl_lookup(
            "{ type: dataset, dataset_id: ds-fx }", "[{ source_column: currency, target_column: currency }]  #<"
        ),
        "InvalidField",
        "DS-1",
        "dataset.lookups[2].join_conditions[0].target_column",
    ),
    Case(
        "lk-join-type-mismatch",
        _gl_lookup(
            "{ type: dataset, dataset_id: ds-fx }", "[{ source_column: line_number, target_column: from_currency }]  #<"
        ),
        "InvalidField",
        "DS-1",
        "dataset.lookups[2].join_conditions[0].target_column",
    ),
    Case(
        "lk-self-cycle",
        _gl_lookup(
            "{ type: dataset, dataset_id: ds-gl }  #<", "[{ source_column: currency, target_column: currency }]"
        ),
        "ReferenceCycle",
        "DS-3",
        "dataset.lookups[2].target.dataset_id",
    ),
    Case(
        "lk-new-ref-to-disabled-dataset",
        _gl_lookup(
            "{ type: dataset, dataset_id: ds-fx }  #<", "[{ source_column: currency, target_column: from_currency }]"
        ),
        "UnresolvedReference",
        "DS-4",
        "dataset.lookups[2].target.dataset_id",
        _disable("dataset", "ds-fx"),
    ),
    # --- Project references (DS-4, D23, OP-JOIN-1, OP-APP-1, OP-OUT-1, RES-9) and status (D22, PRJ-7)
    Case(
        "prj-unknown-input",
        [(PRJ, "input_dataset_id: ds-gl", "input_dataset_id: nowhere  #<")],
        "UnresolvedReference",
        "DS-4",
        "project.input_dataset_id",
    ),
    Case(
        "prj-unknown-input-version",
        prj_pin("  input_dataset_version: 4  #<\n"),
        "UnresolvedReference",
        "DS-4",
        "project.input_dataset_version",
    ),
    Case(
        "prj-input-disabled",
        [(PRJ, "input_dataset_id: ds-gl", "input_dataset_id: ds-budgets  #<")],
        "UnresolvedReference",
        "DS-4",
        "project.input_dataset_id",
        _disable("dataset", "ds-budgets"),
    ),
    Case(
        "prj-unknown-calendar",
        [(PRJ, "calendar_id: finance", "calendar_id: fiscal  #<")],
        "UnresolvedReference",
        "D23",
        "project.calendar_id",
    ),
    Case(
        "prj-unknown-override-resolver",
        [(PRJ, "materialization: eager\n", "materialization: eager\n  resolver_overrides: { ds-gl: nowhere }  #<\n")],
        "UnresolvedReference",
        "RES-9",
        "project.resolver_overrides.ds-gl",
    ),
    Case(
        "join-unknown-dataset",
        [(PRJ, "dataset_id: ds-fx", "dataset_id: nowhere  #<")],
        "UnresolvedReference",
        "OP-JOIN-1",
        "project.operations[0].parameters.joins[0].dataset_id",
    ),
    Case(
        "join-unknown-version",
        [(PRJ, "dataset_id: ds-fx\n", "dataset_id: ds-fx\n            dataset_version: 3  #<\n")],
        "UnresolvedReference",
        "OP-JOIN-1",
        "project.operations[0].parameters.joins[0].dataset_version",
    ),
    Case(
        "join-alias-is-main-table",
        [(PRJ, "- alias: fx", "- alias: transactions  #<")],
        "InvalidField",
        "OP-JOIN-1",
        "project.operations[0].parameters.joins[0].alias",
    ),
    Case(
        "join-alias-is-lookup-alias",
        [(PRJ, "- alias: fx", "- alias: accounts  #<")],
        "InvalidField",
        "OP-JOIN-1",
        "project.operations[0].parameters.joins[0].alias",
    ),
    Case(
        "append-unknown-source",
        [
            (
                PRJ,
                "    - order: 20\n",
                "    - order: 15\n      type: append\n      parameters:\n        source: { dataset_id: nowhere }  #<\n    - order: 20\n",
            )
        ],
        "UnresolvedReference",
        "OP-APP-1",
        "project.operations[1].parameters.source.dataset_id",
    ),
    Case(
        "out-unknown-datasource",
        [(PRJ, DEST, 'destination: { datasource_id: nowhere, path: "usd/{{identifier}}.parquet" }  #<')],
        "UnresolvedReference",
        "OP-OUT-1",
        "project.operations[1].parameters.destination.datasource_id",
    ),
    Case(
        "out-table-on-csv-source",
        [(PRJ, DEST, "destination: { datasource_id: finance-csv, table: gl_usd }  #<")],
        "InvalidField",
        "OP-OUT-1",
        "project.operations[1].parameters.destination.datasource_id",
    ),
    Case(
        "out-unsafe-path",
        [(PRJ, DEST, 'destination: { datasource_id: finance-parquet, path: "../usd.parquet" }  #<')],
        "UnsafePath",
        "SRC-5",
        "project.operations[1].parameters.destination.path",
    ),
    Case(
        "out-disabled-datasource",
        [(PRJ, DEST, 'destination: { datasource_id: finance-parquet, path: "usd.parquet" }  #<')],
        "UnresolvedReference",
        "SRC-6",
        "project.operations[1].parameters.destination.datasource_id",
        _disable("datasource", "finance-parquet"),
    ),
    Case(
        "prj-inactive-edit",
        prj_status("")
        + [
            (PRJ, PROJECT_ID, "project:  #<\n  id: prj-fx-usd"),
            (PRJ, "name: GL lines in USD", "name: GL lines in US dollars"),
        ],
        "ProjectInactive",
        "PRJ-7",
        "project",
        _disable("project", "prj-fx-usd", "inactive"),
    ),
    Case(
        "prj-conflict-declared-draft",
        prj_status("  status: draft  #<\n"),
        "ProjectInConflict",
        "D22",
        "project.status",
        _disable("project", "prj-fx-usd", "conflict"),
    ),
    # --- Periods (PER-1, CAL-8, GEN-3)
    Case("per-unknown-calendar", period(cal="fiscal  #<"), "UnresolvedReference", "PER-1", "period.calendar_id"),
    Case("per-unknown-level", period(level="week  #<"), "InvalidField", "PER-1", "period.level"),
    Case(
        "per-missing-parent",
        [
            (
                "periods/p.yaml",
                None,
                "period:  #<\n"
                + PERIOD_2027.format(
                    cal="finance",
                    ident="2027-01",
                    name="x",
                    level="month",
                    year="2027",
                    seq="1",
                    start="2027-01-01",
                    end="2027-01-31",
                    parent="",
                ),
            )
        ],
        "MissingField",
        "PER-1",
        "period",
    ),
    Case(
        "per-unknown-parent", period(parent="  parent: 2027-Q1  #<\n"), "UnresolvedReference", "PER-1", "period.parent"
    ),
    Case(
        "per-parent-wrong-level",
        period(
            ident="2026-13",
            year="2026",
            seq="13",
            start="2026-12-01",
            end="2026-12-31",
            parent="  parent: FY2026  #<\n",
        ),
        "InvalidField",
        "PER-1",
        "period.parent",
    ),
    Case(
        "per-outside-parent",
        period(
            ident="2026-13",
            year="2026",
            seq="13",
            start="2026-12-01  #<",
            end="2026-12-31",
            parent="  parent: 2026-Q1\n",
        ),
        "InvalidField",
        "PER-1",
        "period.start_date",
    ),
    Case(
        "per-root-with-parent",
        period(
            ident="FY2027", level="year", seq="1", start="2027-01-01", end="2027-12-31", parent="  parent: FY2026  #<\n"
        ),
        "InvalidField",
        "PER-1",
        "period.parent",
    ),
    Case(
        "per-position-taken",
        period(
            ident="Jan-2026",
            year="2026",
            seq="1  #<",
            start="2026-01-01",
            end="2026-01-31",
            parent="  parent: 2026-Q1\n",
        ),
        "InvalidField",
        "CAL-8",
        "period.sequence",
    ),
    Case(
        "per-stale-status",
        period(
            ident="2026-01",
            year="2026",
            start="2026-01-01",
            end="2026-01-31",
            name="January 2026",
            parent="  parent: 2026-Q1\n  status: closed  #<\n",
        ),
        "StaleEntity",
        "GEN-3",
        "period.status",
    ),
    # --- Calendars (CAL-5, CAL-6, D28, D31, CAL-7)
    Case(
        "cal-level-in-use",
        [(CAL, "  levels:\n", "  levels:  #<\n"), (CAL, "- name: month\n", "- name: monthly\n")],
        "InvalidField",
        "CAL-6",
        "calendar.levels",
    ),
    Case(
        "cal-status-backwards",
        [("calendars/gregorian.yaml", None, GREGORIAN.format(extra="  status: draft  #<\n"))],
        "InvalidTransition",
        "CAL-5",
        "calendar.status",
    ),
    Case(
        "cal-clear-only-default",
        [("calendars/gregorian.yaml", None, GREGORIAN.format(extra="  is_default: false  #<\n"))],
        "DefaultRequired",
        "D31",
        "calendar.is_default",
    ),
    Case(
        "cal-two-defaults",
        [
            (CAL, "  status: active\n", "  status: active\n  is_default: true\n"),
            ("calendars/zz.yaml", None, GREGORIAN.replace("gregorian", "zz").format(extra="  is_default: true  #<\n")),
        ],
        "DuplicateDefault",
        "D28",
        "calendar.is_default",
    ),
    Case(
        "calendar-mapping",
        [
            (
                "calendars/map.yaml",
                None,
                "calendar_mapping:  #<\n  id: m\n  name: M\n  source_calendar_id: gregorian\n  target_calendar_id: finance\n  mappings: [{ source_period: '2026-01', target_period: '2026-01' }]\n",
            )
        ],
        "NotYetSupported",
        "CAL-7",
        "calendar_mapping",
    ),
    # --- Defaults, duplicates and stale system fields (D28, GEN-3)
    Case(
        "res-two-defaults",
        [("resolvers/zz.yaml", None, resolver(extra="  is_default: true  #<\n"))],
        "DuplicateDefault",
        "D28",
        "resolver.is_default",
    ),
    Case(
        "duplicate-id",
        [
            (
                "datasets/zz.yaml",
                None,
                "dataset:\n  id: ds-fx  #<\n  name: Copy\n  main_table: { name: t, columns: [{ name: a, type: string }] }\n",
            )
        ],
        "DuplicateEntity",
        "D28",
        "dataset.id",
    ),
    Case(
        "stale-version",
        [(GL, "  name: GL Transactions\n", "  name: GL Transactions\n  version: 3  #<\n")],
        "StaleEntity",
        "GEN-3",
        "dataset.version",
    ),
    Case(
        "stale-status",
        [(GL, "  name: GL Transactions\n", "  name: GL Transactions\n  status: disabled  #<\n")],
        "StaleEntity",
        "GEN-3",
        "dataset.status",
    ),
    Case(
        "stale-created-at",
        [(GL, "  name: GL Transactions\n", "  name: GL Transactions\n  created_at: 2020-01-01T00:00:00Z  #<\n")],
        "StaleEntity",
        "GEN-3",
        "dataset.created_at",
    ),
    Case(
        "stale-version-of-new-entity",
        [
            (
                "datasources/new.yaml",
                None,
                "datasource:\n  id: new-src\n  name: New\n  version: 2  #<\n  type: parquet\n  options: { path_prefix: new }\n",
            )
        ],
        "StaleEntity",
        "GEN-3",
        "datasource.version",
    ),
]


def _document_case(case_id: str, text: str, code: str, rule: str, path: str) -> Case:
    kind = text.split(":", 1)[0]
    return Case(f"doc-{case_id}", [(f"{FOLDERS.get(kind, 'datasets')}/broken.yaml", None, text)], code, rule, path)


CASES: list[Case] = APPLY_CASES + [_document_case(*case) for case in DOCUMENT_CASES]

# A valid new entity and a valid edit ride along in every case, so a partial write would show.
VALID_CHANGES: list[Change] = [
    (
        "datasources/extra.yaml",
        None,
        "datasource:\n  id: extra-files\n  name: Extra files\n  type: parquet\n  options: { path_prefix: extra }\n",
    ),
    ("datasets/ds-budgets.yaml", "name: Budget Line Items", "name: Budget lines"),
]
