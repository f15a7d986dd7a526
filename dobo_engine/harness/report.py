"""Scenario results as text: human, JSON and JUnit XML (scenarios.md §8)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree as ET

from dobo_engine.harness.result import TestResult

DEFAULT_MAX_DIFFS = 20


def _values(data: dict[str, Any] | None) -> str:
    if not data:
        return "{}"
    return "{" + ", ".join(f"{k}: {json.dumps(v, default=str)}" for k, v in data.items()) + "}"


def mismatch_lines(result: TestResult, max_diffs: int = DEFAULT_MAX_DIFFS) -> list[str]:
    """One readable line per mismatch: the row key, the columns, expected vs actual."""
    lines: list[str] = [f"note: {n}" for n in result.notes]
    for m in result.data_mismatches:
        head = f"output {m.get('output')}: {m['type']}"
        key = m.get("key")
        where = f" at {_values(key)}" if key else ""
        if m["type"] in ("missing_column", "extra_column"):
            lines.append(f"{head}: {', '.join(m.get('columns', []))}")
        elif m["type"] == "value_mismatch":
            cols = m.get("columns", [])
            detail = "; ".join(
                f"{c}: expected {json.dumps(m['expected'].get(c), default=str)}, "
                f"actual {json.dumps(m['actual'].get(c), default=str)}"
                for c in cols
            )
            lines.append(f"{head}{where} columns [{', '.join(cols)}]: {detail}")
        elif m["type"] == "missing_row":
            lines.append(f"{head}{where}: expected {_values(m.get('expected'))}")
        else:
            lines.append(f"{head}{where}: actual {_values(m.get('actual'))}")
    for m in result.trace_mismatches:
        head = f"trace operation {m['operation_order']}: {m['type']}"
        expected = m.get("expected") or {}
        match = f" for row_match {_values(expected.get('row_match'))}" if expected else ""
        cols = f" columns [{', '.join(m.get('columns') or [])}]" if m.get("columns") else ""
        reason = f" ({m['reason']})" if m.get("reason") else ""
        actual = m.get("actual")
        got = (
            f"; event {actual['change_type']} of row {actual['row_id']} before {_values(actual['before'])} "
            f"after {_values(actual['after'])}"
            if actual
            else ""
        )
        want = f"; expected {expected.get('change_type')} {_values(expected.get('expected_diff'))}" if expected else ""
        lines.append(f"{head}{match}{cols}{reason}{want}{got}")
    if len(lines) > max_diffs:
        lines = lines[:max_diffs] + [f"... {len(lines) - max_diffs} more"]
    return lines


def error_lines(result: TestResult) -> list[str]:
    if result.error is None:
        return []
    err = result.error
    where = f"{err['location']}: " if err.get("location") else ""
    order = f" (operation {err['operation_order']})" if err.get("operation_order") is not None else ""
    lines = [f"{where}{err['code']}{order}: {err['message']}"]
    if err.get("detail"):
        lines += [f"  {line}" for line in str(err["detail"]).splitlines()]
    for failure in err.get("failures") or []:
        lines.append(
            f"  - {failure.get('code') or failure.get('type')}: {failure.get('message') or failure.get('detail')}"
        )
    return lines


def summary(results: Sequence[TestResult]) -> dict[str, int]:
    count = {s: sum(1 for r in results if r.status == s) for s in ("pass", "fail", "error")}
    return {"total": len(results), "passed": count["pass"], "failed": count["fail"], "errors": count["error"]}


def render_result(result: TestResult, max_diffs: int = DEFAULT_MAX_DIFFS) -> str:
    lines = [f"{result.status.upper():<5}  {result.scenario_name}  ({result.file})"]
    lines += [f"    {line}" for line in error_lines(result) + mismatch_lines(result, max_diffs)]
    lines += [f"    warning: {w}" for w in result.warnings]
    if result.snapshot:
        lines.append(f"    snapshot: {result.snapshot}")
    return "\n".join(lines)


def render_human(results: Sequence[TestResult], max_diffs: int = DEFAULT_MAX_DIFFS) -> str:
    s = summary(results)
    body = [render_result(r, max_diffs) for r in results]
    return "\n".join([*body, f"{s['passed']} passed, {s['failed']} failed, {s['errors']} errors"]) + "\n"


def render_json(results: Sequence[TestResult]) -> str:
    return (
        json.dumps(
            {"summary": summary(results), "results": [r.as_dict() for r in results]},
            indent=2,
            ensure_ascii=False,
            default=str,
        )
        + "\n"
    )


def render_junit(results: Sequence[TestResult], max_diffs: int = DEFAULT_MAX_DIFFS) -> str:
    s = summary(results)
    suite = ET.Element(
        "testsuite", name="dobo", tests=str(s["total"]), failures=str(s["failed"]), errors=str(s["errors"])
    )
    for result in results:
        case = ET.SubElement(suite, "testcase", name=result.scenario_name, classname=result.file)
        if result.status == "fail":
            text = "\n".join(mismatch_lines(result, max_diffs))
            ET.SubElement(case, "failure", message=text.splitlines()[0] if text else "failed").text = text
        elif result.status == "error":
            text = "\n".join(error_lines(result))
            ET.SubElement(case, "error", message=(result.error or {}).get("code", "error")).text = text
        if result.warnings:
            ET.SubElement(case, "system-out").text = "\n".join(result.warnings)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def exit_code(results: Sequence[TestResult]) -> int:
    """0 all pass; 1 any fail and none error; 2 any error or nothing found (§8)."""
    if not results or any(r.status == "error" for r in results):
        return 2
    return 1 if any(r.status == "fail" for r in results) else 0


__all__ = ["render_human", "render_json", "render_junit", "render_result", "summary", "exit_code", "mismatch_lines"]
