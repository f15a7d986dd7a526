"""Rendering Resolver templates such as ``{{table_name}}/{{YYYY}}/{{MM}}.parquet`` (entities.md §4).

Values come from the Period being rendered, after expansion (RES-5). Only
the listed tokens exist; any other is ``UnknownTemplateToken`` (RES-6). The
model checks templates on apply; rendering checks again because a stored
Resolver may predate a change of the token list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Protocol

from dobo_engine.errors import UnknownTemplateToken
from dobo_engine.model.resolver import TEMPLATE_TOKENS

_TOKEN = re.compile(r"\{\{(.*?)\}\}")


class PeriodFields(Protocol):
    """What rendering reads of a Period: a catalog Period or the PeriodDetails a Run recorded."""

    @property
    def identifier(self) -> str: ...

    @property
    def level(self) -> str: ...

    @property
    def year(self) -> int: ...

    @property
    def sequence(self) -> int: ...

    @property
    def start_date(self) -> date: ...


def template_values(table_name: str, period: PeriodFields) -> dict[str, str]:
    """The value of every token for one table and Period."""
    start = period.start_date
    return {
        "table_name": table_name,
        "identifier": period.identifier,
        "level": period.level,
        "year": str(period.year),
        "sequence": str(period.sequence),
        "YYYY": f"{start.year:04d}",
        "MM": f"{start.month:02d}",
        "DD": f"{start.day:02d}",
        "QQ": f"{(start.month - 1) // 3 + 1:02d}",
    }


def render_template(template: str, values: Mapping[str, str]) -> str:
    """``template`` with every ``{{token}}`` replaced (spaces inside the braces ignored)."""
    unknown = [t for t in (m.strip() for m in _TOKEN.findall(template)) if t not in TEMPLATE_TOKENS]
    if unknown:
        raise UnknownTemplateToken(
            f"template {template!r} uses unknown token(s) {', '.join('{{' + t + '}}' for t in unknown)} "
            f"(allowed: {', '.join(TEMPLATE_TOKENS)})",
            rule="RES-6",
            payload={"template": template, "unknown": unknown},
        )
    return _TOKEN.sub(lambda m: values[m.group(1).strip()], template)


def render_map(templates: Mapping[str, str] | None, values: Mapping[str, str]) -> dict[str, str] | None:
    """Every value of a map of templates rendered (catalog ``params``)."""
    if templates is None:
        return None
    return {key: render_template(text, values) for key, text in templates.items()}
