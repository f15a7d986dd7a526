"""The DSL function registry (dsl.md §8-§9): one :class:`FunctionSpec` per function.

Each family module declares its functions (typing rule and Polars compiler
beside the entry); this module collects them. The type checker, the
compiler, ``dobo parse --help`` and docs/dsl-functions.md (``python -m
dobo_engine.dsl.functions.reference``) all read :data:`FUNCTIONS`.

Adding a function: declare its ``FunctionSpec`` in the ``SPECS`` of its family
module, with its typing rule and compiler beside it; list it in dsl.md §8; run
``python -m dobo_engine.dsl.functions.reference`` to regenerate the doc.

>>> FUNCTIONS["ROUND"].arity, FUNCTIONS["COALESCE"].arity
('2', '≥2')
>>> AGGREGATE_NAMES
('SUM', 'COUNT', 'COUNT_ALL', 'AVG', 'MIN_AGG', 'MAX_AGG')
"""

from __future__ import annotations

from dobo_engine.dsl.functions import aggregates, dates, labels, logic, numeric, text
from dobo_engine.dsl.functions.spec import CallCompiler, CompileContext, FunctionSpec, TypeRule

# (title, functions) in the order of dsl.md §8; the reference doc follows it.
FAMILIES: tuple[tuple[str, tuple[FunctionSpec, ...]], ...] = (
    ("Logic and NULL", logic.SPECS),
    ("Numbers", numeric.SPECS),
    ("Text", text.SPECS),
    ("Dates", dates.SPECS),
    ("Labels", labels.SPECS),
    ("Aggregates", aggregates.SPECS),
)

FUNCTIONS: dict[str, FunctionSpec] = {spec.name: spec for _, specs in FAMILIES for spec in specs}

AGGREGATE_NAMES: tuple[str, ...] = tuple(name for name, spec in FUNCTIONS.items() if spec.aggregate)

__all__ = ["AGGREGATE_NAMES", "CallCompiler", "CompileContext", "FAMILIES", "FUNCTIONS", "FunctionSpec", "TypeRule"]
