"""Where `output` operations write (OP-OUT-1, OP-OUT-4, OP-OUT-7, OP-OUT-8, D24).

`default` goes to `$DOBO_OUTPUT_ROOT/<project>/<period>/operation=<order>.parquet`;
a DataSource destination renders its `path`/`table` from the Run's Period;
a draft (sandbox) Run sends everything to
`$DOBO_SANDBOX_ROOT/<project>/<run>/operation=<order>.parquet` instead.
Every write is named by the Run and the operation, so an `append` repeated by
a resume or a retried step replaces its own rows (see
:mod:`dobo_engine.io.file_writer` and :mod:`dobo_engine.io.pg_writer`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import polars as pl

from dobo_engine.errors import InvalidDestination, UnknownTemplateToken
from dobo_engine.io.file_writer import append_part_name
from dobo_engine.io.protocols import Destination, plain_datasource
from dobo_engine.io.sources import SourceWriter
from dobo_engine.model.datasource import DataSource
from dobo_engine.model.operations import OutputDestination, OutputMode
from dobo_engine.model.run import PeriodDetails, WriteResult
from dobo_engine.resolver.registered_outputs import OUTPUTS_DATASOURCE_ID
from dobo_engine.resolver.templates import render_template, template_values
from dobo_engine.runner.output_registration import registration
from dobo_engine.settings import Settings


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
        self._writer = self.writer or SourceWriter(data_root=self.settings.data_root)
        self.would_register: list[dict[str, object]] = []  # OP-OUT-7 diagnostics of a sandbox Run
        self.registrations: list[dict[str, object]] = []  # registered when the Run completes (RUN-9)

    def resolve(self, destination: Literal["default"] | OutputDestination, order: int, mode: OutputMode) -> Destination:
        file_name = f"operation={order}.parquet"
        named = Destination(
            mode=mode, period_identifier=self.period.identifier, run_id=self.run_id, operation_order=order
        )
        if self.sandbox:
            return replace(named, uri=_join(self.settings.sandbox_root, self.project_id, self.run_id, file_name))
        if not isinstance(destination, OutputDestination):  # "default"
            return replace(
                named, uri=_join(self.settings.output_root, self.project_id, self.period.identifier, file_name)
            )
        datasource = plain_datasource(self.datasource(destination.datasource_id))
        values = template_values("", self.period)
        del values["table_name"]  # OP-OUT-1: every Resolver token but {{table_name}}

        def render(text: str | None) -> str | None:
            if text is None:
                return None
            try:
                return render_template(text, values)
            except KeyError as missing:
                raise UnknownTemplateToken(
                    f"{{{{{missing.args[0]}}}}} cannot be used in an output destination", rule="OP-OUT-1"
                ) from None

        path, table = render(destination.path), render(destination.table)
        if (path is None) == (table is None):
            raise InvalidDestination("an output destination needs exactly one of `path` and `table`", rule="OP-OUT-1")
        return replace(named, datasource=datasource, path=path, table=table, schema=destination.schema)

    def _location(
        self, destination: Literal["default"] | OutputDestination, target: Destination, order: int
    ) -> dict[str, object]:
        """Where a registered output can be read again (D25): a DataSource and a relative path or table.

        An ``append`` to a file is read back from the part this Run wrote. The
        shapes are stable: the store recognises a location recorded again by
        its content (a re-run of the Period), so a shape change would read a
        file twice.
        """
        if not isinstance(destination, OutputDestination):  # "default": parquet under the output root
            under_root = f"{self.project_id}/{self.period.identifier}/operation={order}.parquet"
            if target.mode == "append":
                under_root = f"{under_root}/{append_part_name(self.run_id, order, 'parquet')}"
            return {"datasource_id": OUTPUTS_DATASOURCE_ID, "strategy": "path", "path": under_root}
        path: str | None = target.path
        if path is not None and target.mode == "append" and target.datasource is not None:
            path = f"{path.rstrip('/')}/{append_part_name(self.run_id, order, target.datasource.type)}"
        return {
            "datasource_id": destination.datasource_id,
            "strategy": "table" if target.table else "path",
            "path": path,
            "table": target.table,
            "schema": target.schema,
        }

    def write(
        self,
        frame: pl.DataFrame,
        *,
        operation_order: int,
        destination: Literal["default"] | OutputDestination,
        mode: OutputMode,
        register_as: str | None,
        temporal_mode: str,
    ) -> WriteResult:
        target = self.resolve(destination, operation_order, mode)
        outcome = self._writer.write(frame, target)
        if self.sandbox and register_as:
            self.would_register.append({"operation_order": operation_order, "dataset_id": register_as})
        elif register_as:
            self.registrations.append(
                registration(
                    operation_order,
                    register_as,
                    frame,
                    temporal_mode,
                    self._location(destination, target, operation_order),
                )
            )
        return WriteResult(
            operation_order=operation_order,
            destination=outcome.destination,
            sandboxed=self.sandbox,
            rows_written=outcome.rows_written,
            columns=list(frame.columns),
            register_as=None if self.sandbox else register_as,
        )
