"""Rule matching, expansion and rendering: (Resolver, table, Period) → ResolvedLocations.

RES-1/2: rules are tried in order, the first whose ``when`` is true wins and
later rules are not evaluated; NULL counts as false; no ``when`` is true.
RES-3: no match is ``NoResolverRuleMatched`` naming every rule and its result.
RES-5: the winning rule's ``data_level`` decides which Periods get a location.

When the winning rule's ``data_level`` is finer than the requested Period
(a quarter read as months), each of those finer Periods is matched again on
its own, so a storage change in the middle of a quarter (January as CSV,
February onwards as Parquet) is served by the rule written for each month.
For a Period that is not split, this is exactly one match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from dobo_engine.dsl import ResolutionContext, evaluate_when
from dobo_engine.errors import DoboError, NoResolverRuleMatched
from dobo_engine.model.calendar import Period
from dobo_engine.model.resolver import CatalogStrategy, PathStrategy, ResolvedLocation, Resolver, ResolverRule
from dobo_engine.resolver.catalog import CatalogReader, version_of
from dobo_engine.resolver.periods import check_data_level, expand, is_finer
from dobo_engine.resolver.templates import render_map, render_template, template_values

RuleResult = Literal["true", "false", "null", "error"]
ResolutionStatus = Literal["resolved", "empty", "error"]


@dataclass(frozen=True)
class RuleOutcome:
    """How one rule's ``when`` evaluated for one (table, Period)."""

    rule: str
    when: str | None
    result: RuleResult
    error: str | None = None

    def render(self) -> str:
        when = "(no when)" if self.when is None else repr(self.when)
        result = f"error: {self.error}" if self.result == "error" else self.result
        return f"rule {self.rule!r}: when {when} -> {result}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "when": self.when,
            "result": self.result,
            **({"error": self.error} if self.error is not None else {}),
        }


@dataclass
class ResolutionResult:
    """What resolving one table for one Period gave (``dobo resolve``, Run diagnostics)."""

    status: ResolutionStatus
    resolver_id: str | None
    resolver_version: int | None
    table_name: str
    period_identifier: str
    rule: str | None = None
    locations: list[ResolvedLocation] = field(default_factory=list)
    diagnostics: list[RuleOutcome] = field(default_factory=list)
    error: DoboError | None = None

    def raise_for_error(self) -> list[ResolvedLocation]:
        if self.error is not None:
            raise self.error
        return self.locations

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "resolver_id": self.resolver_id,
            "resolver_version": self.resolver_version,
            "table": self.table_name,
            "period": self.period_identifier,
            "rule": self.rule,
            "locations": [loc.model_dump(mode="json", exclude_none=True) for loc in self.locations],
            "diagnostics": [d.as_dict() for d in self.diagnostics],
            **({"error": self.error.to_dict()} if self.error is not None else {}),
        }


def resolution_context(table_name: str, period: Period) -> ResolutionContext:
    return ResolutionContext(
        period_identifier=period.identifier,
        period_level=period.level,
        period_start_date=period.start_date,
        period_end_date=period.end_date,
        table_name=table_name,
    )


def _first_line(error: DoboError) -> str:
    errors = getattr(error, "errors", None) or [error]
    return "; ".join(f"{e.code}: {e.message}" for e in errors)


def match_rule(resolver: Resolver, table_name: str, period: Period) -> tuple[ResolverRule | None, list[RuleOutcome]]:
    """The first rule whose ``when`` is true (RES-1/2) and the outcome of every rule tried.

    A ``when`` that fails to evaluate does not match; its error is kept for
    the RES-3 diagnostics.
    """
    context = resolution_context(table_name, period)
    outcomes: list[RuleOutcome] = []
    for index, rule in enumerate(resolver.rules):
        if rule.when is None:
            outcomes.append(RuleOutcome(rule.name, None, "true"))
            return rule, outcomes
        try:
            value = evaluate_when(rule.when, context, path=f"resolver {resolver.id}.rules[{index}].when")
        except DoboError as exc:
            outcomes.append(RuleOutcome(rule.name, rule.when, "error", _first_line(exc)))
            continue
        if value is True:
            outcomes.append(RuleOutcome(rule.name, rule.when, "true"))
            return rule, outcomes
        outcomes.append(RuleOutcome(rule.name, rule.when, "null" if value is None else "false"))
    return None, outcomes


def no_match_error(
    resolver: Resolver, table_name: str, period: Period, outcomes: list[RuleOutcome]
) -> NoResolverRuleMatched:
    """RES-3 with diagnostics: resolver id/version, table, Period, every rule and its result."""
    version = version_of(resolver)
    return NoResolverRuleMatched(
        f"no rule of Resolver {resolver.id!r} v{version} matched table {table_name!r} for Period {period.identifier!r}",
        rule="RES-3",
        detail="\n  ".join(o.render() for o in outcomes),
        payload={
            "resolver_id": resolver.id,
            "resolver_version": version,
            "table": table_name,
            "period": period.identifier,
            "rules": [o.as_dict() for o in outcomes],
        },
    )


def render_location(resolver: Resolver, rule: ResolverRule, table_name: str, period: Period) -> ResolvedLocation:
    """One ResolvedLocation of ``rule`` for one (expanded) Period (entities.md §4)."""
    values = template_values(table_name, period)
    strategy = rule.strategy
    common: dict[str, Any] = {
        "resolver_id": resolver.id,
        "resolver_version": version_of(resolver),
        "rule": rule.name,
        "table_name": table_name,
        "period_identifier": period.identifier,
        "strategy": strategy.type,
    }
    if isinstance(strategy, PathStrategy):
        return ResolvedLocation(
            **common, datasource_id=strategy.datasource_id, path=render_template(strategy.path, values)
        )
    if isinstance(strategy, CatalogStrategy):
        return ResolvedLocation(
            **common,
            endpoint=render_template(strategy.endpoint, values),
            method=strategy.method,
            params=render_map(strategy.params, values),
        )
    schema = render_template(strategy.schema, values) if strategy.schema is not None else None
    return ResolvedLocation(
        **common, datasource_id=strategy.datasource_id, table=render_template(strategy.table, values), schema=schema
    )


def _unique(locations: list[ResolvedLocation]) -> list[ResolvedLocation]:
    # Months under a year-level rule all render the same year: load it once.
    seen: set[str] = set()
    unique: list[ResolvedLocation] = []
    for location in locations:
        key = location.model_dump_json()
        if key not in seen:
            seen.add(key)
            unique.append(location)
    return unique


def locations_for_rule(
    catalog: CatalogReader, calendar_id: str, resolver: Resolver, rule: ResolverRule, table_name: str, period: Period
) -> list[ResolvedLocation]:
    """Expand ``rule`` from the requested Period and render its locations (RES-4/5/6)."""
    calendar = catalog.calendar(calendar_id)
    check_data_level(calendar, rule.data_level, rule_name=rule.name)
    targets = expand(catalog, calendar_id, period, rule.data_level)
    if not is_finer(calendar, rule.data_level, period.level):
        return [render_location(resolver, rule, table_name, target) for target in targets]
    found: list[ResolvedLocation] = []
    for target in targets:  # each finer Period is matched on its own (module docstring)
        found += resolve_locations(catalog, calendar_id, resolver, table_name, target)
    return _unique(found)


def resolve_locations(
    catalog: CatalogReader, calendar_id: str, resolver: Resolver, table_name: str, period: Period
) -> list[ResolvedLocation]:
    """Every location of one table for one Period, in ``start_date`` order; raises on failure."""
    rule, outcomes = match_rule(resolver, table_name, period)
    if rule is None:
        raise no_match_error(resolver, table_name, period, outcomes)
    return locations_for_rule(catalog, calendar_id, resolver, rule, table_name, period)


def resolve_table(
    catalog: CatalogReader, calendar_id: str, resolver: Resolver, table_name: str, period: Period
) -> ResolutionResult:
    """Like :func:`resolve_locations`, but every failure is reported in the result instead of raised."""
    result = ResolutionResult("resolved", resolver.id, version_of(resolver), table_name, period.identifier)
    rule, result.diagnostics = match_rule(resolver, table_name, period)
    try:
        if rule is None:
            raise no_match_error(resolver, table_name, period, result.diagnostics)
        result.rule = rule.name
        result.locations = locations_for_rule(catalog, calendar_id, resolver, rule, table_name, period)
    except DoboError as exc:
        result.status, result.error = "error", exc
    return result
