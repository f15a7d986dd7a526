"""Reading a Run's trace back (trace.md §4, TR-14).

Each trace file is scanned lazily with the ``row_id`` filter pushed into the
scan, so only the row groups that can hold the row are read (TR-10). Files
of different operations have different struct fields, so they are scanned
side by side rather than concatenated.

A load file that records its rows by reference (TR-15) is read by doing the
Run's load again through the reader's ``replay`` (given by the caller that
owns IO), after checking that every location it read is unchanged; a row is
picked out of the re-read rows by its id before any event is built.
"""

from __future__ import annotations

import json
from typing import Any

import fsspec
import polars as pl

from dobo_engine.errors import DataNotFound, Location, RowNotFound, TraceInputChanged
from dobo_engine.io.row_ids import ROW_ID_DTYPE, row_id_from_text
from dobo_engine.trace.events import created_events
from dobo_engine.trace.format import (
    AFTER,
    BEFORE,
    CHANGE_TYPE,
    CHANGED_COLUMNS,
    LOAD,
    METADATA_KEY,
    OPERATION_ORDER,
    OPERATION_TYPE,
    OUTPUT,
    ROW_ID,
    ROW_ID_COLUMN,
    ROW_ID_HI,
    ROW_ID_LO,
    empty_events_schema,
    file_rows,
    is_remote,
    pair_of,
    paired_ids,
    readable_pair,
    trace_path,
)
from dobo_engine.trace.rebuild import RowEvent, TraceEntry, conform, replay
from dobo_engine.trace.replay import REPLAY_KEY, LoadReplay, check_fingerprints
from dobo_engine.trace.runinfo import RunInfo


class TraceReader:
    """Reads trace files under ``root`` (local path or URI, D24).

    A Run's trace, written here by hand for two steps: the load (operation 0)
    creates rows ``r1`` and ``r2``; operation 1, an ``update``, sets ``vat``
    on ``r1`` only; operation 2 is an ``output`` and has no file (TR-7).

    >>> import tempfile
    >>> from datetime import datetime, timezone
    >>> import polars as pl
    >>> from dobo_engine.trace import RunInfo, TraceReader, TraceWriter, created_events, updated_events
    >>> home = tempfile.TemporaryDirectory()
    >>> root = home.name
    >>> loaded = pl.DataFrame({"_row_id": ["r1", "r2"], "invoice": ["A", "B"], "amount": [250, 80]})
    >>> updated = loaded.with_columns(vat=pl.when(pl.col("amount") > 100).then(pl.col("amount") // 5))
    >>> writer = TraceWriter(root)
    >>> load_events = created_events(loaded, run_id="run-1", operation_order=0, operation_type="load")
    >>> update_events = updated_events(loaded, updated, ["vat"], run_id="run-1", operation_order=1)
    >>> writer.write("run-1", 0, "load", load_events, loaded.schema)  # doctest: +ELLIPSIS
    '.../run_id=run-1/operation=0.parquet'
    >>> writer.write("run-1", 1, "update", update_events, updated.schema)  # doctest: +ELLIPSIS
    '.../run_id=run-1/operation=1.parquet'

    Reading it back needs what the Run record says about the Run:

    >>> clock = datetime(2026, 2, 1, tzinfo=timezone.utc)
    >>> run = RunInfo("run-1", "completed", clock, {1: "update", 2: "output"})
    >>> reader = TraceReader(root)

    Every change one operation made (``dobo trace <run> --operation 1``):

    >>> changes = reader.operation_changes(run, 1)
    >>> changes.select("row_id", "change_type", "changed_columns", "before", "after").rows()
    [('r1', 'updated', ['vat'], {'vat': None}, {'vat': 50})]
    >>> reader.operation_changes(run, 2).height  # an output changes nothing
    0

    One row's history, and the full row after any step (``--row r1
    --at-step N``); a change moves ``_updated_at`` to the Run clock:

    >>> [(e.operation_order, e.change_type, e.after) for e in reader.row_history(run, "r1")][1:]
    [(1, 'updated', {'vat': 50})]
    >>> reader.row_state(run, "r1", 0)
    {'_row_id': 'r1', 'invoice': 'A', 'amount': 250}
    >>> reader.row_state(run, "r1", 2)  # an output step repeats the step before it
    {'_row_id': 'r1', 'invoice': 'A', 'amount': 250, 'vat': 50,
     '_updated_at': datetime.datetime(2026, 2, 1, 0, 0, tzinfo=datetime.timezone.utc)}
    >>> reader.row_state(run, "r2", 1)  # not selected by the update: no event, no change
    {'_row_id': 'r2', 'invoice': 'B', 'amount': 80, 'vat': None}

    The working columns after a step, from the file's metadata (TR-9):

    >>> reader.operation_schema(run, 1)
    {'_row_id': 'string', 'invoice': 'string', 'amount': 'integer', 'vat': 'integer'}
    >>> reader.metadata(run, 1)["operation_type"]
    'update'
    >>> home.cleanup()
    """

    def __init__(
        self, root: str, storage_options: dict[str, Any] | None = None, *, replay: LoadReplay | None = None
    ) -> None:
        self.root = root
        self.storage_options = dict(storage_options or {})
        self._remote = is_remote(root)
        self.replay = replay  # re-does a Run's load, for load files that record it by reference (TR-15)

    # -- public API -----------------------------------------------------------------

    def row_history(self, run: RunInfo, row_id: str) -> list[TraceEntry]:
        """Every event of the row, in ascending order, each with the full row after it.

        Raises ``RowNotFound`` for a row the Run never traced (example: the class docstring).
        """

        run.check_readable()
        steps = run.traced_steps()
        events = self._row_events(run, row_id, steps)
        if not events:
            raise self._no_row(run, row_id, None)
        schemas = {e.operation_order: self._columns(run, e.operation_order) for e in events}
        return replay(events, schemas, run.clock)

    def row_state(self, run: RunInfo, row_id: str, step: int) -> dict[str, Any]:
        """The full row after step ``step`` (0 = load; an ``output`` step repeats the step before).

        Raises ``StepOutOfRange`` for a step the Run does not have, ``RowNotFound``
        for a row created after ``step`` (example: the class docstring).
        """

        run.check_readable()
        run.check_step(step)
        steps = run.traced_steps(upto=step)
        events = self._row_events(run, row_id, steps)
        if not events:
            raise self._no_row(run, row_id, step)
        schemas = {e.operation_order: self._columns(run, e.operation_order) for e in events}
        state = replay(events, schemas, run.clock)[-1].state
        # Step 2 of §4 against the step-N schema: columns added after the row's last event.
        return conform(state, self._columns(run, steps[-1]))

    def operation_changes(self, run: RunInfo, order: int) -> pl.DataFrame:
        """Every event of one operation, sorted by row id; empty for an ``output``."""

        run.check_readable()
        run.check_step(order)
        if run.operation_type(order) == OUTPUT:
            return pl.DataFrame(schema=empty_events_schema(pl.Struct([]), pl.Struct([])))
        return self._events(run, order, None).collect()

    def operation_schema(self, run: RunInfo, order: int) -> dict[str, str]:
        """The working columns and their types after a traced operation (TR-9)."""

        return dict(self._metadata(run, order)["schema"])

    def metadata(self, run: RunInfo, order: int) -> dict[str, Any]:
        """The decoded ``dobo.trace`` metadata of one operation's file (TR-9)."""

        return self._metadata(run, order)

    # -- files ----------------------------------------------------------------------

    def _path(self, run: RunInfo, order: int) -> str:
        return trace_path(self.root, run.run_id, order)

    def _fs(self, path: str) -> tuple[fsspec.AbstractFileSystem, str]:
        fs, stripped = fsspec.core.url_to_fs(path, **self.storage_options)
        return fs, stripped

    def _missing(self, run: RunInfo, order: int, exc: BaseException) -> DataNotFound:
        return DataNotFound(
            f"the trace file of operation {order} of Run {run.run_id} is missing",
            detail=f"{self._path(run, order)}: {type(exc).__name__}: {exc}",
            location=Location(operation_order=order),
            rule="TR-7",
        )

    def _scan(self, run: RunInfo, order: int) -> pl.LazyFrame:
        path = self._path(run, order)
        try:
            if not self._remote:
                return pl.scan_parquet(path, hive_partitioning=False)
            import pyarrow.dataset as pads  # here: the engine imports this module, and only reads need pyarrow
            from pyarrow.fs import FSSpecHandler, PyFileSystem

            fs, stripped = self._fs(path)
            dataset = pads.dataset(stripped, format="parquet", filesystem=PyFileSystem(FSSpecHandler(fs)))
            return pl.scan_pyarrow_dataset(dataset)
        except (FileNotFoundError, OSError) as exc:
            raise self._missing(run, order, exc) from exc

    def _metadata(self, run: RunInfo, order: int) -> dict[str, Any]:
        import pyarrow.parquet as pq

        path = self._path(run, order)
        try:
            if self._remote:
                fs, stripped = self._fs(path)
                with fs.open(stripped, "rb") as handle:
                    raw = pq.read_metadata(handle).metadata or {}
            else:
                raw = pq.read_metadata(path).metadata or {}
        except (FileNotFoundError, OSError) as exc:
            raise self._missing(run, order, exc) from exc
        text = raw.get(METADATA_KEY.encode())
        if text is None:
            raise DataNotFound(f"{path} is not a dobo trace file (no {METADATA_KEY} metadata)", rule="TR-9")
        decoded: dict[str, Any] = json.loads(text)
        return decoded

    def _columns(self, run: RunInfo, order: int) -> list[str]:
        return list(self._metadata(run, order)["schema"])

    # -- the load by reference (TR-15) -------------------------------------------------

    def _events(self, run: RunInfo, order: int, row_id: str | None) -> pl.LazyFrame:
        """One operation's events, those of ``row_id`` only when given, as its file holds them."""
        record = self._by_reference(run) if order == 0 else None
        if record is not None:
            return self._reloaded(run, record, row_id).lazy()
        scan = self._scan(run, order)
        try:
            paired = paired_ids(scan.collect_schema())
        except (FileNotFoundError, OSError, pl.exceptions.PolarsError) as exc:
            raise self._missing(run, order, exc) from exc
        if not paired:
            return scan if row_id is None else scan.filter(pl.col(ROW_ID) == row_id)
        if row_id is not None:  # compared as the file holds it, so row-group statistics skip groups (TR-10)
            pair = pair_of(row_id)
            found = pl.lit(False) if pair is None else (pl.col(ROW_ID_HI) == pair[0]) & (pl.col(ROW_ID_LO) == pair[1])
            scan = scan.filter(found)
        return readable_pair(scan)

    def _by_reference(self, run: RunInfo) -> dict[str, Any] | None:
        """The load's record by reference, if its file has one; a missing file is reported by the scan as ever."""
        try:
            record: dict[str, Any] | None = self._metadata(run, 0).get(REPLAY_KEY)
        except DataNotFound:
            return None
        return record

    def _reloaded(self, run: RunInfo, record: dict[str, Any], row_id: str | None) -> pl.DataFrame:
        """The load's ``created`` events rebuilt by doing the load again, once its input is known unchanged."""
        recorded = list(record.get("fingerprints") or [])
        if self.replay is None:
            places = ", ".join(repr(f.get("location")) for f in recorded) or "its input"
            raise TraceInputChanged(
                f"the load of Run {run.run_id} is traced by reference to its input ({record.get('rows')} rows "
                f"read from {places}); reading it needs that input read again, and this reader cannot read it",
                detail="read the trace through `dobo trace`, or give TraceReader a load replay",
                location=Location(operation_order=0),
                rule="TR-15",
            )
        replayed = self.replay(run)
        check_fingerprints(run, recorded, replayed.fingerprints)
        loaded = replayed.frame.cache()  # one pass over the input serves the row filter and the count
        rows = loaded if row_id is None else loaded.filter(_is_row(loaded, row_id))
        events = created_events(rows, run_id=run.run_id, operation_order=0, operation_type=LOAD)
        found, count = pl.collect_all([events, loaded.select(pl.len())])
        if int(count.item()) != int(record.get("rows", -1)):
            raise TraceInputChanged(
                f"the load of Run {run.run_id} now gives {count.item()} rows; the Run loaded {record.get('rows')}",
                detail="its input reads the same bytes, so the way it is loaded changed",
                location=Location(operation_order=0),
                rule="TR-15",
            )
        return file_rows(found)

    # -- events of one row ------------------------------------------------------------

    def _row_events(self, run: RunInfo, row_id: str, steps: list[int]) -> list[RowEvent]:
        if not steps:
            return []
        wanted = [OPERATION_ORDER, OPERATION_TYPE, CHANGE_TYPE, CHANGED_COLUMNS, BEFORE, AFTER]
        plans = [self._events(run, s, row_id).select(wanted) for s in steps]
        try:
            frames = pl.collect_all(plans)
        except (FileNotFoundError, OSError) as exc:
            raise DataNotFound(
                f"a trace file of Run {run.run_id} cannot be read", detail=f"{type(exc).__name__}: {exc}"
            ) from exc
        events: list[RowEvent] = []
        for frame in frames:
            # Read path, one row's handful of events: Python values are fine here.
            for record in frame.to_dicts():
                events.append(
                    RowEvent(
                        operation_order=int(record[OPERATION_ORDER]),
                        operation_type=record[OPERATION_TYPE],
                        change_type=record[CHANGE_TYPE],
                        changed_columns=list(record[CHANGED_COLUMNS] or []),
                        before=record[BEFORE],
                        after=record[AFTER] or {},
                    )
                )
        return sorted(events, key=lambda e: e.operation_order)

    def _no_row(self, run: RunInfo, row_id: str, step: int | None) -> RowNotFound:
        if step is not None:
            later = self._row_events(run, row_id, [s for s in run.traced_steps() if s > step])
            if later:
                created = later[0].operation_order
                return RowNotFound(
                    f"row {row_id} did not exist yet at step {step} of Run {run.run_id}",
                    detail=f"created by operation {created}, after step {step}",
                    location=Location(operation_order=step),
                    rule="trace.md §4",
                )
        return RowNotFound(
            f"row {row_id} has no trace event in Run {run.run_id}",
            detail="no event for this row_id in any trace file of the Run",
            rule="trace.md §4",
        )


def _is_row(frame: pl.LazyFrame, row_id: str) -> pl.Expr:
    """True on the row whose id reads as ``row_id``, compared in the frame's own form of ids (D37)."""
    if frame.collect_schema()[ROW_ID_COLUMN] != ROW_ID_DTYPE:
        return pl.col(ROW_ID_COLUMN) == row_id
    wanted = pl.select(row_id_from_text(pl.lit(row_id, dtype=pl.Utf8))).item()
    if wanted is None or row_id != row_id.lower():  # files hold canonical (lowercase) text: no other text matches
        return pl.lit(False)
    return pl.col(ROW_ID_COLUMN) == pl.lit(wanted, dtype=ROW_ID_DTYPE)
