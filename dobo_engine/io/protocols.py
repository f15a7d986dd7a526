"""The IO boundary (architecture.md): what the engine asks of loaders and writers.

The entity models live in ``dobo_engine.model``; the IO layer reads them by
attribute only, through the Protocols below, so any object with the
entities.md field names works (pydantic models, dataclasses in tests).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import polars as pl

from dobo_engine.columns import ColumnLike

WriteMode = Literal["overwrite", "append"]


class DataSourceLike(Protocol):
    """entities.md §2 DataSource: ``type`` is database | parquet | csv | api (read-only to IO)."""

    @property
    def id(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def options(self) -> Mapping[str, Any]: ...

    @property
    def credential_ref(self) -> str | None: ...


class TableSchemaLike(Protocol):
    """entities.md §1 TableRef (read-only, so frozen models and plain objects both match)."""

    @property
    def name(self) -> str: ...

    @property
    def temporal_mode(self) -> str: ...

    @property
    def columns(self) -> Sequence[ColumnLike]: ...


class ResolvedLocationLike(Protocol):
    """entities.md §4 ResolvedLocation (only the fields IO needs, read-only)."""

    @property
    def table_name(self) -> str: ...

    @property
    def period_identifier(self) -> str | None: ...

    @property
    def strategy(self) -> str: ...  # path | table | catalog

    @property
    def datasource_id(self) -> str | None: ...  # None only for the reserved `catalog` strategy, never loaded

    @property
    def path(self) -> str | None: ...

    @property
    def table(self) -> str | None: ...

    @property
    def schema(self) -> str | None: ...


@dataclass(frozen=True)
class DataSourceView:
    """A DataSource as the IO layer reads it: ``options`` as a plain mapping."""

    id: str
    type: str
    options: Mapping[str, Any]
    credential_ref: str | None = None
    status: str = "active"


def plain_datasource(datasource: Any) -> DataSourceView:
    """``datasource`` with its ``options`` as a plain mapping.

    The catalog's DataSource holds ``options`` as a typed model (one per
    ``type``); loaders and writers read them as a mapping, so every
    DataSource crosses the IO boundary through this view.
    """
    options = datasource.options
    if hasattr(options, "model_dump"):
        options = options.model_dump(exclude_none=True)
    return DataSourceView(
        id=datasource.id,
        type=datasource.type,
        options=dict(options or {}),
        credential_ref=getattr(datasource, "credential_ref", None),
        status=getattr(datasource, "status", None) or "active",
    )


@dataclass(frozen=True)
class Destination:
    """Where one ``output`` writes (OP-OUT-1), already rendered for the Run's Period.

    Either ``datasource`` with ``path`` (parquet/csv) or ``table`` (+ ``schema``)
    (database), or ``uri``: an absolute location chosen by the deployment
    (``$DOBO_OUTPUT_ROOT/...`` or the sandbox, D24), never by a user.
    ``period_identifier`` is the Run's Period: a table ``overwrite`` replaces
    only that Period's rows (OP-OUT-4). ``run_id`` and ``operation_order``
    name the write: an ``append`` repeated for the same pair replaces its own
    rows instead of adding them again.
    """

    datasource: DataSourceLike | None = None
    path: str | None = None
    table: str | None = None
    schema: str | None = None
    uri: str | None = None
    mode: WriteMode = "overwrite"
    period_identifier: str | None = None
    file_format: Literal["parquet", "csv"] | None = None  # for ``uri``; default parquet
    run_id: str | None = None
    operation_order: int | None = None


@dataclass(frozen=True)
class WriteOutcome:
    """What a writer reports (the IO part of OP-OUT-8's WriteResult)."""

    destination: str  # as resolved; never carries a credential
    rows_written: int
    columns: list[str] = field(default_factory=list)


@runtime_checkable
class DataLoader(Protocol):
    def load(self, location: ResolvedLocationLike, table_schema: TableSchemaLike) -> pl.LazyFrame:
        """The physical rows of one location, lazily; ``DataNotFound`` if it does not exist."""
        ...


@runtime_checkable
class OutputWriter(Protocol):
    def write(self, frame: pl.LazyFrame | pl.DataFrame, destination: Destination) -> WriteOutcome:
        """Write all of ``frame`` to ``destination`` atomically; ``WriteFailure`` on failure."""
        ...
