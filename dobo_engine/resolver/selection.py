"""Which Resolver serves a Dataset (RES-9, RES-11, D25).

Precedence: the Project's ``resolver_overrides[dataset_id]``, then the
Dataset's ``resolver_id``, then the default Resolver. None → ``ResolverNotFound``;
the chosen one disabled → ``ResolverDisabled``. A Run that recorded a
Resolver version (RES-11, resume) passes it as ``pinned`` and gets exactly
that version, disabled or not. ``dobo-registered`` is built in and is not
looked up in the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from dobo_engine.errors import ResolverDisabled, ResolverNotFound
from dobo_engine.model.dataset import Dataset
from dobo_engine.model.resolver import Resolver
from dobo_engine.resolver.catalog import CatalogReader, status_of, version_of
from dobo_engine.resolver.registered_outputs import REGISTERED_RESOLVER_ID, REGISTERED_RESOLVER_VERSION

ChoiceSource = Literal["override", "dataset", "default", "pinned"]


@dataclass(frozen=True)
class ResolverChoice:
    """The Resolver chosen for one Dataset; ``resolver`` is None for ``dobo-registered``."""

    resolver_id: str
    resolver_version: int
    source: ChoiceSource
    resolver: Resolver | None

    @property
    def registered(self) -> bool:
        return self.resolver_id == REGISTERED_RESOLVER_ID


def _registered(source: ChoiceSource) -> ResolverChoice:
    return ResolverChoice(REGISTERED_RESOLVER_ID, REGISTERED_RESOLVER_VERSION, source, None)


def choose_resolver(
    catalog: CatalogReader,
    dataset: Dataset,
    overrides: Mapping[str, str] | None = None,
    *,
    pinned: tuple[str, int] | None = None,
) -> ResolverChoice:
    """The Resolver for ``dataset`` by RES-9, or exactly the ``pinned`` (id, version) (RES-11)."""
    if pinned is not None:
        pinned_id, pinned_version = pinned
        if pinned_id == REGISTERED_RESOLVER_ID:
            return _registered("pinned")
        return ResolverChoice(pinned_id, pinned_version, "pinned", catalog.resolver(pinned_id, pinned_version))

    override = (overrides or {}).get(dataset.id)
    if override is not None:
        source: ChoiceSource = "override"
        resolver_id: str | None = override
    elif dataset.resolver_id is not None:
        source, resolver_id = "dataset", dataset.resolver_id
    else:
        source, resolver_id = "default", None

    if resolver_id == REGISTERED_RESOLVER_ID:
        return _registered(source)
    if resolver_id is None:
        resolver = catalog.default_resolver()
        if resolver is None:
            raise ResolverNotFound(
                f"Dataset {dataset.id!r} names no Resolver, no Project override applies and there is no default Resolver",
                rule="RES-9",
                payload={"dataset_id": dataset.id},
            )
    else:
        resolver = catalog.resolver(resolver_id)
    if status_of(resolver) == "disabled":
        how = {
            "override": "the Project's resolver_overrides",
            "dataset": "the Dataset's resolver_id",
            "default": "the default Resolver",
        }[source]
        raise ResolverDisabled(
            f"Resolver {resolver.id!r} (chosen for Dataset {dataset.id!r} by {how}) is disabled",
            rule="RES-9",
            payload={"dataset_id": dataset.id, "resolver_id": resolver.id, "source": source},
        )
    return ResolverChoice(resolver.id, version_of(resolver), source, resolver)
