"""Column lineage of an output (`dagster/column_lineage`): which input columns each column comes from.

Derived from the Project's expressions, operation by operation up to the output: an
`update` assignment's target is computed from the columns its expression reads (and keeps
its earlier value where a selector leaves rows alone); an `aggregate` keeps its `group_by`
columns and computes each aggregation column from its expression; an `append` brings the
source Dataset's columns (named ones from their expressions). A column nothing assigned
comes from the Project's input Dataset. Qualified references read a RuntimeJoin's Dataset
(`alias.column`) or a lookup of the input (`qualifier.column`). System columns (`_…`) have
no lineage.
"""

from __future__ import annotations

from collections.abc import Iterable

from dagster import AssetKey, TableColumnDep, TableColumnLineage

from dobo_dagster.translator import DoboTranslator
from dobo_engine.engine.references import columns_read
from dobo_engine.model.operations import AggregateParameters, AppendParameters, Operation, UpdateParameters

Source = tuple[AssetKey, str]


class _Flow:
    def __init__(self, input_dataset_id: str, translator: DoboTranslator) -> None:
        self.translator = translator
        self.input = translator.dataset_asset_key(input_dataset_id)
        self.deps: dict[str, set[Source]] = {}
        self.appended: list[AssetKey] = []

    def of(self, column: str) -> set[Source]:
        found = self.deps.get(column)
        return set(found) if found is not None else {(self.input, column)}

    def read(self, texts: Iterable[str], joins: dict[str, AssetKey]) -> set[Source]:
        found: set[Source] = set()
        for text in texts:
            for qualifier, name in columns_read(text):
                if qualifier is None:
                    found |= self.of(name)
                elif qualifier in joins:
                    found.add((joins[qualifier], name))
                else:  # a lookup of the input Dataset
                    found.add((self.input, f"{qualifier}.{name}"))
        return found

    def apply(self, op: Operation) -> None:
        params = op.parameters
        t = self.translator
        if isinstance(params, UpdateParameters):
            joins = {j.alias: t.dataset_asset_key(j.dataset_id) for j in params.joins}
            for a in params.assignments:
                sources = self.read([a.expression], joins)
                if op.selector:  # rows the selector leaves alone keep their value
                    sources |= self.of(a.column)
                self.deps[a.column] = sources
        elif isinstance(params, AggregateParameters):
            kept = {g: self.of(g) for g in params.group_by}
            self.deps = {**kept, **{a.column: self.read([a.expression], {}) for a in params.aggregations}}
        elif isinstance(params, AppendParameters):
            source = t.dataset_asset_key(params.source.dataset_id)
            if params.columns:
                for name, text in params.columns.items():
                    self.deps[name] = self.of(name) | {(source, c) for _, c in columns_read(text)}
            elif params.aggregation:
                for g in params.aggregation.group_by:
                    self.deps[g] = self.of(g) | {(source, g)}
                for agg in params.aggregation.aggregations:
                    self.deps[agg.column] = self.of(agg.column) | {(source, c) for _, c in columns_read(agg.expression)}
            else:  # the source's columns land in columns of the same name
                self.appended.append(source)


def column_lineage(
    input_dataset_id: str,
    operations: Iterable[Operation],
    output: Operation,
    columns: Iterable[str],
    translator: DoboTranslator,
) -> TableColumnLineage:
    """The lineage of the columns an `output` operation writes (operations: the Project's, any order)."""
    flow = _Flow(input_dataset_id, translator)
    for op in sorted(operations, key=lambda o: o.order):
        if op.order >= output.order:
            break
        flow.apply(op)
    deps: dict[str, list[TableColumnDep]] = {}
    for column in columns:
        if column.startswith("_"):
            continue
        sources = flow.of(column) | {(key, column) for key in flow.appended}
        deps[column] = [
            TableColumnDep(asset_key=key, column_name=name)
            for key, name in sorted(sources, key=lambda s: (s[0].to_user_string(), s[1]))
        ]
    return TableColumnLineage(deps_by_column=deps)


__all__ = ["column_lineage"]
