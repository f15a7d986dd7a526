"""Turn pydantic validation errors into located, rule-citing problems.

pydantic's error ``loc`` mixes data keys with union tags (``('operations', 0,
'update', 'parameters')``); :func:`data_path` keeps only what the author wrote,
and :func:`field_owner` finds the model and field an error belongs to, whose
``RULE``/``FIELD_RULES``/``unknown_key`` give the rule and wording.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError

from dobo_engine.errors import CATALOGUE
from dobo_engine.model.common import DoboModel, Issue

YamlPath = tuple[str | int, ...]
_HIDDEN_DISCRIMINATORS = ("source_type",)  # injected tags: never the author's fault


def data_path(data: Any, loc: tuple[Any, ...], tags: frozenset[int] = frozenset()) -> YamlPath:
    """The part of ``loc`` that names nodes of ``data``; ``tags`` are indexes of union tags."""
    path: list[str | int] = []
    current = data
    for index, element in enumerate(loc):
        if index in tags:
            continue
        if isinstance(current, dict):
            if element not in current:
                if index == len(loc) - 1:
                    path.append(element)  # a missing or unknown key
                break
            path.append(element)
            current = current[element]
        elif isinstance(current, list) and isinstance(element, int) and element < len(current):
            path.append(element)
            current = current[element]
        else:
            break  # a scalar: what remains (e.g. a dict key marker) names no node
    return tuple(path)


def _strip(tp: Any) -> Any:
    """Remove Annotated wrappers and Optional[...]; keep real unions."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        if get_origin(tp) in (Union, types.UnionType):
            members = [m for m in get_args(tp) if m is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _tags(member: Any) -> set[Any]:
    tags: set[Any] = set()
    if get_origin(member) is Annotated:
        tags |= {m.tag for m in get_args(member)[1:] if isinstance(m, Tag)}
        member = get_args(member)[0]
    if isinstance(member, type) and issubclass(member, BaseModel):
        for info in member.model_fields.values():
            if get_origin(info.annotation) is Literal:
                tags |= set(get_args(info.annotation))
    return tags


def field_owner(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, Any, frozenset[int]]:
    """(model, field name) that the innermost element of ``loc`` belongs to, and the union-tag indexes."""
    tp: Any = root
    owner: type[BaseModel] | None = None
    field: Any = None
    tags: set[int] = set()
    for index, element in enumerate(loc):
        tp = _strip(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            owner, field = tp, element
            info = tp.model_fields.get(element) if isinstance(element, str) else None
            tp = info.annotation if info is not None else None
            continue
        origin = get_origin(tp)
        if origin is list and isinstance(element, int):
            tp = get_args(tp)[0]
        elif origin is dict:
            tp = get_args(tp)[1]
        elif origin in (Union, types.UnionType):
            chosen = [m for m in get_args(tp) if element in _tags(m)]
            if not chosen:
                break
            tp = chosen[0]
            tags.add(index)
        else:
            break
    return owner, field, frozenset(tags)


def _rule_of(owner: type[BaseModel] | None, field: Any) -> str:
    if owner is None or not issubclass(owner, DoboModel):
        return "D2"
    return owner.FIELD_RULES.get(field, owner.RULE) if isinstance(field, str) else owner.RULE


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def issues_from_validation_error(exc: ValidationError, model: type[BaseModel], data: Any) -> list[Issue]:
    """One Issue per pydantic error, with the author's path, a code and a rule."""
    issues: list[Issue] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        ctx = error.get("ctx") or {}
        owner, field, tags = field_owner(model, loc)
        path = data_path(data, loc, tags)
        rule = _rule_of(owner, field)
        if kind in CATALOGUE:
            extra = (ctx["field"],) if ctx.get("field") else ()
            issues.append(Issue((*path, *extra), kind, ctx.get("rule") or rule, str(ctx.get("msg", error["msg"]))))
        elif kind == "extra_forbidden":
            code, rule, message = (
                owner.unknown_key(str(field))
                if owner and issubclass(owner, DoboModel)
                else ("UnknownKey", "D2", f"unknown key {field!r}")
            )
            issues.append(Issue(path, code, rule, message))
        elif kind == "missing":
            issues.append(Issue(path, "MissingField", rule, f"missing required field {path[-1]!r}"))
        elif kind == "union_tag_not_found":
            key = str(ctx.get("discriminator", "type")).strip("'")
            if key not in _HIDDEN_DISCRIMINATORS:
                issues.append(Issue((*path, key), "MissingField", rule, f"missing required field {key!r}"))
        elif kind == "union_tag_invalid":
            key = str(ctx.get("discriminator", "type")).strip("'")
            message = f"{key} {ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}"
            issues.append(Issue((*path, key), "InvalidField", rule, message))
        elif kind == "literal_error":
            message = f"{_describe(error.get('input'))} is not one of {ctx.get('expected')}"
            issues.append(Issue(path, "InvalidField", rule, message))
        else:
            message = f"{error['msg'].rstrip('.').lower()}, got {_describe(error.get('input'))}"
            issues.append(Issue(path, "InvalidField", rule, message))
    return issues
