"""Where `output` operations write (OP-OUT-1, OP-OUT-4, OP-OUT-7, OP-OUT-8, D24).

`default` goes to `$DOBO_OUTPUT_ROOT/<project>/<period>/operation=<order>.parquet`;
a DataSource destination renders its `path`/`table` from the Run's Period;
a draft (sandbox) Run sends everything to
`$DOBO_SANDBOX_ROOT/<project>/<run>/operation=<order>.parquet` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from dobo_engine.columns import column_type_of, is_system_column
from dobo_engine.errors import InvalidDestination, UnknownTemplateToken
from dobo_engine.io.protocols import Destination
from dobo_engine.io.sources import SourceWriter
from dobo_engine.model.datasource import DataSource
from dobo_engine.model.run import PeriodDetails, WriteResult
from dobo_engine.resolver.templates import render_template, template_values
from dobo_engine.settings import Settings


OUTPUTS_DATASOURCE = "dobo-outputs"  # built in: the deployment's output root, for registered outputs


def registration(order: int, dataset_id: str, frame: pl.DataFrame, temporal_mode: str,
                 location: dict[str, object]) -> dict[str, object]:
    """An output to register as a Dataset once the Run completes (OP-OUT-6, RUN-9), as plain JSON."""
    columns = [{"name": name, **column_type_of(dtype)} for name, dtype in frame.schema.items()
               if not is_system_column(name)]
    return {"operation_order": order, "dataset_id": dataset_id, "columns": columns,
            "temporal_mode": temporal_mode, "location": location}


def _join(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *parts])


@dataclass
class DestinationOutputs:
    project_id: str
    run_id: str
    period: PeriodDetails
    settings: Settings
    datasource: Callable[[str], DataSource]
    sandbox: bool = False
    writer: SourceWriter | None = None

    def __post_init__(self) -> None:
        self.writer = self.writer or SourceWriter(data_root=self.settings.data_root)
        self.would_register: list[dict[str, object]] = []  # OP-OUT-7 diagnostics of a sandbox Run
        self.registrations: list[dict[str, object]] = []  # registered when the Run completes (RUN-9)

    def resolve(self, destination: object, order: int, mode: str) -> Destination:
        file_name = f"operation={order}.parquet"
        if self.sandbox:
            return Destination(uri=_join(self.settings.sandbox_root, self.project_id, self.run_id, file_name),
                               mode=mode, period_identifier=self.period.identifier)
        if destination == "default":
            return Destination(uri=_join(self.settings.output_root, self.project_id, self.period.identifier,
                                         file_name), mode=mode, period_identifier=self.period.identifier)
        datasource = self.datasource(destination.datasource_id)  # type: ignore[attr-defined]
        values = template_values("", self.period)  # type: ignore[arg-type]
        del values["table_name"]  # OP-OUT-1: every Resolver token but {{table_name}}

        def render(text: str | None) -> str | None:
            if text is None:
                return None
            try:
                return render_template(text, values)
            except KeyError as missing:
                raise UnknownTemplateToken(f"{{{{{missing.args[0]}}}}} cannot be used in an output destination",
                                           rule="OP-OUT-1") from None

        path, table = render(destination.path), render(destination.table)  # type: ignore[attr-defined]
        if (path is None) == (table is None):
            raise InvalidDestination("an output destination needs exactly one of `path` and `table`",
                                     rule="OP-OUT-1")
        return Destination(datasource=datasource, path=path, table=table,
                           schema=destination.schema, mode=mode,  # type: ignore[attr-defined]
                           period_identifier=self.period.identifier)

    def _location(self, destination: object, target: Destination, order: int) -> dict[str, object]:
        """Where a registered output can be read again (D25): a DataSource and a relative path or table."""
        if destination == "default":
            return {"datasource_id": OUTPUTS_DATASOURCE, "strategy": "path",
                    "path": f"{self.project_id}/{self.period.identifier}/operation={order}.parquet"}
        return {"datasource_id": destination.datasource_id,  # type: ignore[attr-defined]
                "strategy": "table" if target.table else "path",
                "path": target.path, "table": target.table, "schema": target.schema}

    def write(self, frame: pl.DataFrame, *, operation_order: int, destination: object, mode: str,
              register_as: str | None, temporal_mode: str) -> WriteResult:
        target = self.resolve(destination, operation_order, mode)
        outcome = self.writer.write(frame, target)  # type: ignore[union-attr]
        if self.sandbox and register_as:
            self.would_register.append({"operation_order": operation_order, "dataset_id": register_as})
        elif register_as:
            self.registrations.append(registration(operation_order, register_as, frame, temporal_mode,
                                                   self._location(destination, target, operation_order)))
        return WriteResult(
            operation_order=operation_order,
            destination=outcome.destination,
            sandboxed=self.sandbox,
            rows_written=outcome.rows_written,
            columns=list(frame.columns),
            register_as=None if self.sandbox else register_as,
        )
