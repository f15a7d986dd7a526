"""Resolver selection precedence (RES-9), pinned versions (RES-11) and dobo-registered (D25)."""

from __future__ import annotations

import pytest

from dobo_engine.errors import ResolverDisabled, ResolverNotFound
from dobo_engine.model.documents import parse_text
from dobo_engine.resolver import MemoryCatalog, choose_resolver

RULE = "rules: [{ name: all, data_level: month, strategy: { type: path, datasource_id: ds-lake, path: x.parquet } }]"


def _resolver(rid: str, *, version: int = 1, default: bool = False, status: str = "active") -> str:
    return f"""
resolver:
  id: {rid}
  name: {rid}
  version: {version}
  status: {status}
  is_default: {str(default).lower()}
  {RULE}
"""


def _dataset(did: str, resolver_id: str | None = None) -> str:
    line = f"resolver_id: {resolver_id}" if resolver_id else ""
    return f"""
dataset:
  id: {did}
  name: {did}
  {line}
  main_table: {{ name: t, columns: [{{ name: a, type: string }}] }}
"""


def _catalog(*texts: str) -> MemoryCatalog:
    return MemoryCatalog.from_yaml(*texts)


def test_override_beats_dataset_beats_default():
    """RES-9: Project resolver_overrides[dataset] > Dataset resolver_id > default Resolver."""
    catalog = _catalog(
        _resolver("default-r", default=True),
        _resolver("named-r"),
        _resolver("override-r"),
        _dataset("ds-named", "named-r"),
        _dataset("ds-plain"),
    )
    named, plain = catalog.dataset("ds-named"), catalog.dataset("ds-plain")
    picks = [
        choose_resolver(catalog, named, {"ds-named": "override-r"}),
        choose_resolver(catalog, named, {"other-ds": "override-r"}),
        choose_resolver(catalog, plain),
    ]
    assert [(c.resolver_id, c.source) for c in picks] == [
        ("override-r", "override"),
        ("named-r", "dataset"),
        ("default-r", "default"),
    ]


def test_latest_version_is_chosen():
    catalog = _catalog(
        _resolver("r", version=1), _resolver("r", version=3), _resolver("r", version=2), _dataset("ds", "r")
    )
    choice = choose_resolver(catalog, catalog.dataset("ds"))
    assert (choice.resolver_id, choice.resolver_version) == ("r", 3)


def test_no_resolver_at_all():
    """RES-9: no override, no Dataset resolver_id and no default → ResolverNotFound (zero defaults is allowed, D31)."""
    catalog = _catalog(_resolver("some-r"), _dataset("ds"))
    with pytest.raises(ResolverNotFound) as info:
        choose_resolver(catalog, catalog.dataset("ds"))
    assert "'ds'" in info.value.message and info.value.rule == "RES-9"


def test_named_resolver_missing():
    catalog = _catalog(_dataset("ds", "gone-r"))
    with pytest.raises(ResolverNotFound):
        choose_resolver(catalog, catalog.dataset("ds"))


@pytest.mark.parametrize(
    ("texts", "overrides"),
    [
        ((_resolver("r", status="disabled"), _dataset("ds", "r")), None),
        ((_resolver("r", status="disabled"), _resolver("ok"), _dataset("ds", "ok")), {"ds": "r"}),
        ((_resolver("r", status="disabled", default=True), _dataset("ds")), None),
    ],
    ids=["dataset", "override", "default"],
)
def test_chosen_but_disabled(texts, overrides):
    """RES-9: the chosen Resolver is disabled → ResolverDisabled (no fallback to the next candidate)."""
    catalog = _catalog(*texts)
    with pytest.raises(ResolverDisabled) as info:
        choose_resolver(catalog, catalog.dataset("ds"), overrides)
    assert "'r'" in info.value.message


def test_recorded_version_is_used_even_when_disabled_or_superseded():
    """RES-11: a Run uses exactly the Resolver version of its snapshot; a disabled one may still resume."""
    catalog = _catalog(
        _resolver("r", version=1, status="disabled"), _resolver("r", version=2, status="disabled"), _dataset("ds", "r")
    )
    choice = choose_resolver(catalog, catalog.dataset("ds"), pinned=("r", 1))
    assert (choice.resolver_id, choice.resolver_version, choice.source) == ("r", 1, "pinned")
    assert choice.resolver is not None and choice.resolver.version == 1


def test_registered_datasets_use_the_built_in_resolver():
    """D25: `dobo-registered` is built in; it is not looked up and never disabled."""
    catalog = _catalog(_dataset("ds-out", "dobo-registered"))
    choice = choose_resolver(catalog, catalog.dataset("ds-out"))
    assert (choice.resolver_id, choice.resolver_version, choice.registered, choice.resolver) == (
        "dobo-registered",
        1,
        True,
        None,
    )


def test_parse_text_keeps_the_disabled_status():
    (resolver,) = parse_text(_resolver("r", status="disabled"))
    assert resolver.status == "disabled"
