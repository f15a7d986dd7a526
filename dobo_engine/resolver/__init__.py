"""Resolvers: from (Dataset table, Period) to physical locations, and loading them (entities.md §4).

Public API:

- ``CatalogReader`` (read-only entity access) and ``MemoryCatalog``.
- ``period_details``, ``expand`` (RES-4/5) in :mod:`.periods`.
- ``render_template``, ``template_values`` (RES-6) in :mod:`.templates`.
- ``match_rule``, ``resolve_locations``, ``resolve_table``, ``ResolutionResult`` (RES-1/2/3/5) in :mod:`.rules`.
- ``choose_resolver``, ``ResolverChoice`` (RES-9/11) in :mod:`.selection`.
- ``RegisteredLocations``, ``MemoryRegisteredLocations`` (D25) in :mod:`.registered`.
- ``ResolvingTableSource``: the engine's TableSource (D13, D27) in :mod:`.table_source`.
- ``explain_resolution``: the data of ``dobo resolve`` in :mod:`.explain`.
"""

from __future__ import annotations

from dobo_engine.resolver.catalog import CatalogReader, MemoryCatalog
from dobo_engine.resolver.explain import DatasetResolution, explain_resolution
from dobo_engine.resolver.periods import expand, period_details
from dobo_engine.resolver.registered_outputs import (
    REGISTERED_RESOLVER_ID,
    MemoryRegisteredLocations,
    RegisteredLocations,
)
from dobo_engine.resolver.rules import ResolutionResult, RuleOutcome, match_rule, resolve_locations, resolve_table
from dobo_engine.resolver.selection import ResolverChoice, choose_resolver
from dobo_engine.resolver.table_source import ResolvingTableSource
from dobo_engine.resolver.templates import render_template, template_values

__all__ = [
    "REGISTERED_RESOLVER_ID",
    "CatalogReader",
    "DatasetResolution",
    "MemoryCatalog",
    "MemoryRegisteredLocations",
    "RegisteredLocations",
    "ResolutionResult",
    "ResolverChoice",
    "ResolvingTableSource",
    "RuleOutcome",
    "choose_resolver",
    "expand",
    "explain_resolution",
    "match_rule",
    "period_details",
    "render_template",
    "resolve_locations",
    "resolve_table",
    "template_values",
]
