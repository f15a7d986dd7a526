"""Canonical JSON for stored content (GEN-4).

One text form per value: keys sorted, no insignificant whitespace, decimals
written with their exact digits (never through a binary float, D29), dates
as ISO text. Two contents are "the same" exactly when their canonical texts
are equal, which is what decides whether a put bumps the version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def canonical_json(value: Any) -> str:
    """The canonical text of a JSON-able value (dicts, lists, scalars, Decimal, dates)."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def content_hash(value: Any) -> str:
    """SHA-256 of the canonical text, hex."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def loads(text: str) -> Any:
    """Read canonical text back; decimals come back as Decimal, never float."""
    return json.loads(text, parse_float=Decimal)


def _encode(value: Any, out: list[str]) -> None:
    if value is None or isinstance(value, (bool, str)):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(json.dumps(value, allow_nan=False))
    elif isinstance(value, Decimal):
        out.append(_decimal_text(value))
    elif isinstance(value, (dt.date, dt.datetime, dt.time)):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, Mapping):
        _encode_mapping(value, out)
    elif isinstance(value, (list, tuple)):
        _encode_list(value, out)
    else:
        raise TypeError(f"cannot store a value of type {type(value).__name__} as JSON")


def _encode_mapping(value: Mapping[Any, Any], out: list[str]) -> None:
    if not all(isinstance(key, str) for key in value):
        raise TypeError("JSON object keys must be strings")
    out.append("{")
    for index, key in enumerate(sorted(value)):
        if index:
            out.append(",")
        out.append(json.dumps(key, ensure_ascii=False))
        out.append(":")
        _encode(value[key], out)
    out.append("}")


def _encode_list(value: list[Any] | tuple[Any, ...], out: list[str]) -> None:
    out.append("[")
    for index, item in enumerate(value):
        if index:
            out.append(",")
        _encode(item, out)
    out.append("]")


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise TypeError(f"cannot store the non-finite decimal {value} as JSON")
    text = str(value)
    # A whole decimal prints as '5', which would read back as int; '5E+0' reads
    # back as Decimal('5') with the same digits and exponent.
    if "." not in text and "E" not in text:
        text += "E+0"
    return text
