"""Invalid documents, each breaking exactly one rule.

Each case: (case id, YAML text, code, rule, path). The expected line is the
one marked with ``#<``.
"""

from __future__ import annotations

DS = """\
dataset:
  id: ds-a
  name: Orders
{extra}  main_table:
    name: orders
    columns:
      - {{ name: order_number, type: string, nullable: false }}
      - {{ name: customer_id, type: string }}
{cols}{lookups}"""


def ds(extra: str = "", cols: str = "", lookups: str = "") -> str:
    return DS.format(extra=extra, cols=cols, lookups=lookups)


def lookup(body: str) -> str:
    return "  lookups:\n" + body


SRC = """\
datasource:
  id: src-a
  name: Source
  type: {type}
  options: {options}
"""


def src(options: str, type_: str = "database") -> str:
    return SRC.format(type=type_, options=options)


CAL = "calendar:\n  id: cal\n  name: Cal\n  levels:\n"


def cal(levels: str) -> str:
    return CAL + levels


ROOT = "    - { name: year, identifier_pattern: '{year}' }\n"

PER = """\
period:
  calendar_id: gregorian
  identifier: {identifier}
  name: January 2026
  level: month
  year: 2026
  sequence: 1
  start_date: {start}
  end_date: 2026-01-31
  parent: 2026-Q1
"""

RES = "resolver:\n  id: res\n  name: Res\n  rules:\n"
RULE = "    - {{ name: {name}, data_level: month, strategy: {{ type: path, datasource_id: lake, path: '{path}' }} }}\n"


def rule(name: str = "r1", path: str = "{{table_name}}.parquet", note: str = "") -> str:
    return RULE.format(name=name, path=path).rstrip("\n") + note + "\n"


PRJ = """\
project:
  id: prj-a
  name: Project A
  input_dataset_id: ds-gl
  materialization: {mat}
{extra}  operations:
{ops}"""

UPD = """\
    - order: {order}
      type: update
      parameters:
        assignments:
          - {{ column: amount_reporting, expression: amount_local }}
"""


def prj(ops: str, extra: str = "", mat: str = "eager") -> str:
    return PRJ.format(ops=ops, extra=extra, mat=mat)


def upd(order: str = "1") -> str:
    return UPD.format(order=order)


CASES: list[tuple[str, str, str, str, str]] = [
    # --- Dataset (GEN-1, GEN-5, DS-1, DS-2, D4, DS-7) ---
    ("ds-bad-id", ds().replace("id: ds-a", "id: -bad  #<"), "InvalidField", "GEN-1", "dataset.id"),
    (
        "ds-missing-name",
        ds().replace("  name: Orders\n", "").replace("dataset:", "dataset:  #<"),
        "MissingField",
        "DS-1",
        "dataset.name",
    ),
    ("ds-unknown-key", ds(extra="  colour: red  #<\n"), "UnknownKey", "D2", "dataset.colour"),
    (
        "ds-location-path",
        ds().replace("    name: orders\n", "    name: orders\n    path: x/y.parquet  #<\n"),
        "UnknownKey",
        "DS-2",
        "dataset.main_table.path",
    ),
    (
        "ds-location-datasource",
        ds().replace("    name: orders\n", "    name: orders\n    datasource_id: lake  #<\n"),
        "UnknownKey",
        "DS-2",
        "dataset.main_table.datasource_id",
    ),
    (
        "ds-reserved-column",
        ds(cols="      - { name: _hidden, type: string }  #<\n"),
        "InvalidField",
        "GEN-5",
        "dataset.main_table.columns[2].name",
    ),
    (
        "ds-duplicate-column",
        ds(cols="      - { name: customer_id, type: integer }  #<\n"),
        "InvalidField",
        "DS-1",
        "dataset.main_table.columns[2].name",
    ),
    (
        "ds-no-columns",
        ds().split("    columns:")[0] + "    columns: []  #<\n",
        "InvalidField",
        "DS-1",
        "dataset.main_table.columns",
    ),
    (
        "ds-precision-on-string",
        ds(cols="      - { name: code, type: string, precision: 5 }  #<\n"),
        "InvalidField",
        "D4",
        "dataset.main_table.columns[2].precision",
    ),
    (
        "ds-precision-too-big",
        ds(cols="      - { name: amount, type: decimal, precision: 39 }  #<\n"),
        "InvalidField",
        "D4",
        "dataset.main_table.columns[2].precision",
    ),
    (
        "ds-scale-above-precision",
        ds(cols="      - { name: amount, type: decimal, precision: 4, scale: 5 }  #<\n"),
        "InvalidField",
        "D4",
        "dataset.main_table.columns[2].scale",
    ),
    (
        "ds-unknown-column-type",
        ds(cols="      - { name: amount, type: float }  #<\n"),
        "InvalidField",
        "DS-1",
        "dataset.main_table.columns[2].type",
    ),
    (
        "ds-nullable-yes-is-not-boolean",
        ds(cols="      - { name: flag, type: boolean, nullable: yes }  #<\n"),
        "InvalidField",
        "DS-1",
        "dataset.main_table.columns[2].nullable",
    ),
    (
        "ds-natural-key-unknown",
        ds(extra="  natural_key_columns: [order_no]  #<\n"),
        "InvalidField",
        "DS-7",
        "dataset.natural_key_columns[0]",
    ),
    (
        "ds-natural-key-nullable",
        ds(extra="  natural_key_columns: [customer_id]  #<\n"),
        "InvalidField",
        "DS-7",
        "dataset.natural_key_columns[0]",
    ),
    (
        "lk-dataset-target-needs-alias",
        ds(
            lookups=lookup(
                "    - target: { type: dataset, dataset_id: ds-customers }  #<\n      join_conditions: [{ source_column: customer_id, target_column: id }]\n"
            )
        ),
        "MissingField",
        "DS-1",
        "dataset.lookups[0].alias",
    ),
    (
        "lk-alias-is-main-table",
        ds(
            lookups=lookup(
                "    - alias: orders  #<\n      target: { type: dataset, dataset_id: ds-customers }\n      join_conditions: [{ source_column: customer_id, target_column: id }]\n"
            )
        ),
        "InvalidField",
        "DS-1",
        "dataset.lookups[0].alias",
    ),
    (
        "lk-duplicate-alias",
        ds(
            lookups=lookup(
                "    - alias: c\n      target: { type: dataset, dataset_id: ds-customers }\n      join_conditions: [{ source_column: customer_id, target_column: id }]\n    - alias: c  #<\n      target: { type: dataset, dataset_id: ds-other }\n      join_conditions: [{ source_column: customer_id, target_column: id }]\n"
            )
        ),
        "InvalidField",
        "DS-1",
        "dataset.lookups[1].alias",
    ),
    (
        "lk-no-join-condition",
        ds(
            lookups=lookup(
                "    - alias: c\n      target: { type: dataset, dataset_id: ds-customers }\n      join_conditions: []  #<\n"
            )
        ),
        "InvalidField",
        "DS-1",
        "dataset.lookups[0].join_conditions",
    ),
    (
        "lk-unknown-target-type",
        ds(
            lookups=lookup(
                "    - alias: c\n      target: { type: view, dataset_id: ds-customers }  #<\n      join_conditions: [{ source_column: customer_id, target_column: id }]\n"
            )
        ),
        "InvalidField",
        "DS-1",
        "dataset.lookups[0].target.type",
    ),
    (
        "lk-target-type-missing",
        ds(
            lookups=lookup(
                "    - alias: c\n      target: { dataset_id: ds-customers }  #<\n      join_conditions: [{ source_column: customer_id, target_column: id }]\n"
            )
        ),
        "MissingField",
        "DS-1",
        "dataset.lookups[0].target.type",
    ),
    (
        "lk-target-column-unknown",
        ds(
            lookups=lookup(
                "    - target:\n        type: table\n        name: customers\n        columns: [{ name: id, type: string }]\n      join_conditions:\n        - { source_column: customer_id, target_column: code }  #<\n"
            )
        ),
        "InvalidField",
        "DS-1",
        "dataset.lookups[0].join_conditions[0].target_column",
    ),
    (
        "lk-table-target-location-key",
        ds(
            lookups=lookup(
                "    - target:\n        type: table\n        name: customers\n        table: dim_customers  #<\n        columns: [{ name: id, type: string }]\n      join_conditions: [{ source_column: customer_id, target_column: id }]\n"
            )
        ),
        "UnknownKey",
        "DS-2",
        "dataset.lookups[0].target.table",
    ),
    # --- DataSource (SRC-1, SRC-2) ---
    (
        "src-password-option",
        src("{ connection_string: 'postgresql://h/db', password: x }  #<"),
        "InvalidField",
        "SRC-2",
        "datasource.options.password",
    ),
    (
        "src-password-in-url",
        src("{ connection_string: 'postgresql://u:pw@h/db' }  #<"),
        "InvalidField",
        "SRC-2",
        "datasource.options.connection_string",
    ),
    (
        "src-unknown-option",
        src("{ path_prefix: 's3://b/', delimiter: ';' }  #<", "parquet"),
        "UnknownKey",
        "SRC-1",
        "datasource.options.delimiter",
    ),
    ("src-unknown-type", src("{ path_prefix: x }", "ftp  #<"), "InvalidField", "SRC-1", "datasource.type"),
    (
        "src-missing-required-option",
        src("{ delimiter: ';' }  #<", "csv"),
        "MissingField",
        "SRC-1",
        "datasource.options.path_prefix",
    ),
    # --- Calendar and Period (CAL-2, CAL-3, CAL-4, CAL-8, PER-1) ---
    (
        "cal-two-roots",
        cal(ROOT + "    - { name: other, identifier_pattern: 'O{year}' }\n").replace("  levels:", "  levels:  #<"),
        "InvalidField",
        "CAL-2",
        "calendar.levels",
    ),
    (
        "cal-duplicate-level",
        cal(ROOT + "    - { name: month, parent_level: year }\n    - { name: month, parent_level: year }  #<\n"),
        "InvalidField",
        "CAL-2",
        "calendar.levels[2].name",
    ),
    (
        "cal-unknown-parent",
        cal(ROOT + "    - { name: month, parent_level: quarter }  #<\n"),
        "InvalidField",
        "CAL-2",
        "calendar.levels[1].parent_level",
    ),
    (
        "cal-cycle",
        cal(ROOT + "    - { name: a, parent_level: b }\n    - { name: b, parent_level: a }\n").replace(
            "  levels:", "  levels:  #<"
        ),
        "InvalidField",
        "CAL-2",
        "calendar.levels",
    ),
    (
        "cal-unknown-pattern-token",
        cal("    - { name: year, identifier_pattern: '{year}-{month}' }  #<\n"),
        "InvalidField",
        "CAL-3",
        "calendar.levels[0].identifier_pattern",
    ),
    (
        "cal-bad-pattern-format",
        cal("    - { name: year, identifier_pattern: '{year:x}' }  #<\n"),
        "InvalidField",
        "CAL-3",
        "calendar.levels[0].identifier_pattern",
    ),
    (
        "cal-rule-day-30-feb",
        cal(
            ROOT
            + "    - name: month\n      parent_level: year\n      date_rules:\n        - { sequence: 2, start_month: 2, start_day: 1, end_month: 2, end_day: 30 }  #<\n"
        ),
        "InvalidField",
        "CAL-4",
        "calendar.levels[1].date_rules[0].end_day",
    ),
    (
        "cal-rule-month-13",
        cal(
            ROOT
            + "    - name: month\n      parent_level: year\n      date_rules:\n        - { sequence: 1, start_month: 13, start_day: 1, end_month: 1, end_day: 31 }  #<\n"
        ),
        "InvalidField",
        "CAL-4",
        "calendar.levels[1].date_rules[0].start_month",
    ),
    (
        "cal-duplicate-rule-sequence",
        cal(
            ROOT
            + "    - name: month\n      parent_level: year\n      date_rules:\n        - { sequence: 1, start_month: 1, start_day: 1, end_month: 1, end_day: 31 }\n        - { sequence: 1, start_month: 2, start_day: 1, end_month: 2, end_day: 29 }  #<\n"
        ),
        "InvalidField",
        "CAL-8",
        "calendar.levels[1].date_rules[1].sequence",
    ),
    (
        "per-start-after-end",
        PER.format(identifier='"2026-01"', start="2026-02-01").replace(
            "end_date: 2026-01-31", "end_date: 2026-01-31  #<"
        ),
        "InvalidField",
        "PER-1",
        "period.end_date",
    ),
    (
        "per-bad-identifier",
        PER.format(identifier='"2026 01"  #<', start="2026-01-01"),
        "InvalidField",
        "GEN-1",
        "period.identifier",
    ),
    (
        "per-bad-date",
        PER.format(identifier='"2026-01"', start="2026-02-30  #<"),
        "InvalidField",
        "PER-1",
        "period.start_date",
    ),
    # --- Resolver (RES-1, RES-4, RES-6, RES-7) ---
    ("res-no-rules", RES.replace("  rules:\n", "  rules: []  #<\n"), "InvalidField", "RES-1", "resolver.rules"),
    ("res-duplicate-rule-name", RES + rule() + rule(note="  #<"), "InvalidField", "RES-1", "resolver.rules[1].name"),
    (
        "res-missing-data-level",
        RES + "    - { name: r1, strategy: { type: path, datasource_id: lake, path: x } }  #<\n",
        "MissingField",
        "RES-4",
        "resolver.rules[0].data_level",
    ),
    (
        "res-unknown-template-token",
        RES + rule(path="{{table_name}}/{{month}}.parquet", note="  #<"),
        "UnknownTemplateToken",
        "RES-6",
        "resolver.rules[0].strategy.path",
    ),
    (
        "res-unknown-strategy",
        RES + "    - { name: r1, data_level: any, strategy: { type: s3, path: x } }  #<\n",
        "InvalidField",
        "RES-7",
        "resolver.rules[0].strategy.type",
    ),
    (
        "res-table-strategy-needs-datasource",
        RES + "    - { name: r1, data_level: any, strategy: { type: table, table: t } }  #<\n",
        "MissingField",
        "RES-7",
        "resolver.rules[0].strategy.datasource_id",
    ),
    (
        "res-bad-data-level",
        RES
        + "    - { name: r1, data_level: 'all months', strategy: { type: path, datasource_id: lake, path: x } }  #<\n",
        "InvalidField",
        "RES-4",
        "resolver.rules[0].data_level",
    ),
    # --- Project and operations (PRJ-2, PRJ-3, D22, OP-*) ---
    (
        "prj-seq-alias",
        prj(upd().replace("    - order: 1\n", "    - order: 1\n      seq: 1  #<\n")),
        "UnknownKey",
        "PRJ-2",
        "project.operations[0].seq",
    ),
    (
        "prj-arguments-alias",
        prj("    - order: 1\n      type: delete\n      arguments: {}  #<\n"),
        "UnknownKey",
        "PRJ-2",
        "project.operations[0].arguments",
    ),
    ("prj-order-zero", prj(upd("0  #<")), "InvalidField", "OP-GEN-1", "project.operations[0].order"),
    ("prj-order-too-big", prj(upd("2147483648  #<")), "InvalidField", "OP-GEN-1", "project.operations[0].order"),
    ("prj-order-not-integer", prj(upd("1.5  #<")), "InvalidField", "OP-GEN-1", "project.operations[0].order"),
    (
        "prj-duplicate-order",
        prj(upd("3") + upd("3  #<")),
        "DuplicateOperationOrder",
        "VAL-009",
        "project.operations[1].order",
    ),
    (
        "prj-no-operations",
        prj("").replace("  operations:\n", "  operations: []  #<\n"),
        "InvalidField",
        "VAL-018",
        "project.operations",
    ),
    (
        "prj-unknown-operation-type",
        prj("    - order: 1\n      type: merge  #<\n"),
        "InvalidField",
        "VAL-012",
        "project.operations[0].type",
    ),
    ("prj-bad-materialization", prj(upd(), mat="lazy  #<"), "InvalidField", "LK-6", "project.materialization"),
    (
        "prj-selector-name",
        prj(upd(), extra="  selectors: { bad-name: 'a = 1' }  #<\n"),
        "InvalidField",
        "PRJ-3",
        "project.selectors.bad-name",
    ),
    ("prj-declared-conflict", prj(upd(), extra="  status: conflict  #<\n"), "InvalidField", "D22", "project.status"),
    (
        "del-parameters",
        prj("    - order: 1\n      type: delete\n      parameters: { where: x }  #<\n"),
        "UnknownKey",
        "OP-DEL-1",
        "project.operations[0].parameters.where",
    ),
    (
        "app-selector",
        prj(
            "    - order: 1\n      type: append\n      selector: 'a = 1'  #<\n      parameters: { source: { dataset_id: ds-budgets } }\n"
        ),
        "InvalidField",
        "OP-SEL-2",
        "project.operations[0].selector",
    ),
    (
        "upd-missing-assignments",
        prj("    - order: 1\n      type: update\n      parameters: { joins: [] }  #<\n"),
        "MissingField",
        "OP-UPD-2",
        "project.operations[0].parameters.assignments",
    ),
    (
        "upd-duplicate-target",
        prj(upd() + "          - { column: amount_reporting, expression: '1' }  #<\n"),
        "DuplicateName",
        "OP-UPD-2",
        "project.operations[0].parameters.assignments[1].column",
    ),
    (
        "upd-reserved-target",
        prj(upd() + "          - { column: _row_id, expression: '1' }  #<\n"),
        "ReservedColumn",
        "OP-UPD-3",
        "project.operations[0].parameters.assignments[1].column",
    ),
    (
        "upd-qualified-target",
        prj(upd() + "          - { column: fx.rate, expression: '1' }  #<\n"),
        "ReservedColumn",
        "OP-UPD-3",
        "project.operations[0].parameters.assignments[1].column",
    ),
    (
        "upd-bad-label-key",
        prj(upd() + "          - { column: '_labels.bad key', expression: '1' }  #<\n"),
        "ReservedColumn",
        "OP-UPD-3",
        "project.operations[0].parameters.assignments[1].column",
    ),
    (
        "join-reserved-alias",
        prj(
            upd().replace(
                "        assignments:",
                "        joins:\n          - { alias: _fx, dataset_id: ds-fx, on: 'a = b' }  #<\n        assignments:",
            )
        ),
        "InvalidField",
        "OP-JOIN-1",
        "project.operations[0].parameters.joins[0].alias",
    ),
    (
        "join-duplicate-alias",
        prj(
            upd().replace(
                "        assignments:",
                "        joins:\n          - { alias: fx, dataset_id: ds-fx, on: 'a = b' }\n          - { alias: fx, dataset_id: ds-fx, on: 'a = c' }  #<\n        assignments:",
            )
        ),
        "DuplicateName",
        "OP-JOIN-1",
        "project.operations[0].parameters.joins[1].alias",
    ),
    (
        "join-missing-on",
        prj(
            upd().replace(
                "        assignments:",
                "        joins:\n          - { alias: fx, dataset_id: ds-fx }  #<\n        assignments:",
            )
        ),
        "MissingField",
        "OP-JOIN-1",
        "project.operations[0].parameters.joins[0].on",
    ),
    (
        "agg-column-in-group-by",
        prj(
            "    - order: 1\n      type: aggregate\n      parameters:\n        group_by: [currency]\n        aggregations:\n          - { column: currency, expression: 'SUM(x)' }  #<\n"
        ),
        "DuplicateName",
        "OP-AGG-6",
        "project.operations[0].parameters.aggregations[0].column",
    ),
    (
        "agg-duplicate-column",
        prj(
            "    - order: 1\n      type: aggregate\n      parameters:\n        group_by: []\n        aggregations:\n          - { column: total, expression: 'SUM(x)' }\n          - { column: total, expression: 'SUM(y)' }  #<\n"
        ),
        "DuplicateName",
        "OP-AGG-6",
        "project.operations[0].parameters.aggregations[1].column",
    ),
    (
        "agg-reserved-column",
        prj(
            "    - order: 1\n      type: aggregate\n      parameters:\n        group_by: []\n        aggregations:\n          - { column: _total, expression: 'SUM(x)' }  #<\n"
        ),
        "ReservedColumn",
        "OP-AGG-6",
        "project.operations[0].parameters.aggregations[0].column",
    ),
    (
        "out-table-and-path",
        prj(
            "    - order: 1\n      type: output\n      parameters:\n        destination: { datasource_id: lake, table: t, path: p.parquet }  #<\n"
        ),
        "InvalidField",
        "OP-OUT-1",
        "project.operations[0].parameters.destination",
    ),
    (
        "out-unknown-destination",
        prj("    - order: 1\n      type: output\n      parameters:\n        destination: elsewhere  #<\n"),
        "InvalidField",
        "OP-OUT-1",
        "project.operations[0].parameters.destination",
    ),
    (
        "out-table-name-token",
        prj(
            "    - order: 1\n      type: output\n      parameters:\n        destination: { datasource_id: lake, path: '{{table_name}}.parquet' }  #<\n"
        ),
        "UnknownTemplateToken",
        "RES-6",
        "project.operations[0].parameters.destination.path",
    ),
    (
        "out-bad-mode",
        prj(
            "    - order: 1\n      type: output\n      parameters:\n        destination: default\n        mode: upsert  #<\n"
        ),
        "InvalidField",
        "OP-OUT-4",
        "project.operations[0].parameters.mode",
    ),
    # --- Kinds and mappings (GEN-2, MAP-2) ---
    ("unknown-kind", "pipeline:  #<\n  id: x\n", "UnknownKind", "GEN-2", "pipeline"),
    (
        "map-same-calendars",
        "calendar_mapping:\n  id: m\n  name: M\n  source_calendar_id: gregorian\n  target_calendar_id: gregorian  #<\n  mappings: [{ source_period: '2026-01', target_period: '2026-01' }]\n",
        "InvalidField",
        "MAP-2",
        "calendar_mapping.target_calendar_id",
    ),
]
