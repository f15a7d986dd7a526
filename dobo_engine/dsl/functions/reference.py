"""docs/dsl-functions.md and the function list of ``dobo parse --help``, from the registry.

Regenerate the doc after changing a function::

    .venv/bin/python -m dobo_engine.dsl.functions.reference          # writes docs/dsl-functions.md
    .venv/bin/python -m dobo_engine.dsl.functions.reference --check  # exit 1 when it is out of date

tests/dsl/test_function_registry.py fails when the file differs from
:func:`render_reference`, and evaluates every example against its documented
result.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dobo_engine.dsl.functions import FAMILIES, FunctionSpec

DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "dsl-functions.md"
COMMAND = "python -m dobo_engine.dsl.functions.reference"

# What the examples run on; the registry test builds exactly this.
EXAMPLE_TODAY = "2026-01-31"
EXAMPLE_LABEL = ("review", "pending")
EXAMPLE_AMOUNTS = ("10.00", "2.50", None)

_INTRO = f"""# DSL functions reference

Generated from the function registry (`dobo_engine/dsl/functions/`) by
`{COMMAND}`: edit the registry, not this file
(tests/dsl/test_function_registry.py fails when the two differ). The rules are
docs/spec/dsl.md §7 (NULL), §8 (functions) and §9 (where aggregates may appear).

`num` = integer or decimal; "same" = the argument's type; T = any type. Function
names are case-insensitive. Arity is checked at compile time (`WrongArity`).
Unless its NULL column says otherwise, a function returns NULL when any
argument is NULL (§7.1).

Every example is evaluated by the registry test. Scalar examples use literals;
`TODAY()` runs on a Run dated {EXAMPLE_TODAY} and `LABEL` on a row labelled
`{EXAMPLE_LABEL[0]}` = `"{EXAMPLE_LABEL[1]}"`. Aggregate examples run over three rows whose
`amount` (decimal(38,2)) is {", ".join(a or "NULL" for a in EXAMPLE_AMOUNTS)}.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _row(spec: FunctionSpec) -> str:
    cells = (
        f"`{spec.signature}`",
        spec.types,
        spec.arity,
        spec.summary,
        spec.nulls,
        f"`{spec.example}`",
        f"`{spec.example_result}`",
    )
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def render_reference() -> str:
    """The text of docs/dsl-functions.md."""
    parts = [_INTRO]
    for title, specs in FAMILIES:
        parts.append(f"\n## {title}\n\n")
        if specs and specs[0].aggregate:
            parts.append("Only in aggregations (§9): never nested, and an aggregation needs at least one.\n\n")
        parts.append(
            "| Function | Arguments → result | Arity | What it does | NULL and edge behaviour | Example | Result |\n"
        )
        parts.append("|---|---|---|---|---|---|---|\n")
        parts.extend(_row(spec) + "\n" for spec in specs)
    return "".join(parts)


def help_text() -> str:
    """The function list for ``dobo parse --help`` (click keeps ``\\b`` blocks as written)."""
    lines = ["Functions (types, NULL behaviour and examples: docs/dsl-functions.md):"]
    for title, specs in FAMILIES:
        lines.append("")
        lines.append("\b")
        lines.append(f"{title} (in aggregations only):" if specs[0].aggregate else f"{title}:")
        width = max(len(s.signature) for s in specs)
        lines.extend(f"  {s.signature.ljust(width)}  {s.summary}" for s in specs)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    target = Path(paths[0]) if paths else DOC_PATH
    text = render_reference()
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if check:
        if current != text:
            print(f"{target} is out of date: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    if current != text:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
