"""Run-scoped checkpoints of the working frame (RUN-4, RUN-6, RUN-7).

One Arrow IPC file per (run, operation) under `$DOBO_CHECKPOINT_ROOT` (local
or a URI) plus a small JSON file with the working column types, so a resume
rebuilds exactly the frame the Run held. IPC rather than Parquet: a
checkpoint is written after every operation and read at most once, so write
speed matters more than size. The load (operation 0) is saved whole; later
steps save only what changed — the columns whose values differ on the rows
that existed before, and the rows added after them (rows never leave the
frame and keep their order) — and a load replays them onto the whole frame.
An `output` leaves the frame as it was, so its checkpoint is the previous one
(`load` finds the latest at or before a step).
Outputs to register when the Run completes are kept beside the checkpoints
(RUN-9), so a Run executed one operation per process still registers them.

The frame file is written first, then its JSON, which records the step, the
row count and the SHA-256 of the frame file: the JSON is the checkpoint's
seal. Reading a checkpoint checks the seal, so a missing, truncated or
altered checkpoint is refused with `InvalidResumePoint` (RUN-7) instead of
resuming from the wrong frame.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterable
from typing import Any

import polars as pl

from dobo_engine.dsl.types import DslType
from dobo_engine.engine.working import WorkingFrame
from dobo_engine.errors import InvalidResumePoint, Location
from dobo_engine.io.row_ids import row_id_from_text
from dobo_engine.io.storage import exists, filesystem, read_bytes, write_atomically
from dobo_engine.model.operations import Operation

_FRAME = re.compile(r"operation=(\d+)\.arrow$")


def _type_dict(t: DslType) -> dict[str, Any]:
    return {"kind": t.kind, "precision": t.precision, "scale": t.scale}


def step_holding(operations: Iterable[Operation], after: int) -> int:
    """The step whose checkpoint holds the frame after operation `after`: an `output` keeps the one before."""
    return max([0, *(op.order for op in operations if op.type != "output" and op.order <= after)])


def frame_metadata(working: WorkingFrame) -> dict[str, Any]:
    return {
        "columns": {name: _type_dict(t) for name, t in working.columns.items()},
        "main_table": working.main_table,
        "temporal_mode": working.temporal_mode,
        "lookups": {a: {c: _type_dict(t) for c, t in cols.items()} for a, cols in working.lookups.items()},
    }


def working_from(frame: pl.DataFrame, meta: dict[str, Any]) -> WorkingFrame:
    return WorkingFrame(
        frame=frame,
        columns={n: DslType(**t) for n, t in meta["columns"].items()},
        main_table=meta["main_table"],
        temporal_mode=meta["temporal_mode"],
        lookups={a: {c: DslType(**t) for c, t in cols.items()} for a, cols in meta["lookups"].items()},
    )


class CheckpointStore:
    def __init__(self, root: str, storage_options: dict[str, Any] | None = None) -> None:
        self.root = root.rstrip("/")
        self.options = storage_options

    def folder(self, run_id: str) -> str:
        return f"{self.root}/run_id={run_id}"

    def path(self, run_id: str, order: int) -> str:
        return f"{self.folder(run_id)}/operation={order}.arrow"

    def save(
        self,
        run_id: str,
        order: int,
        working: WorkingFrame,
        previous: WorkingFrame | None = None,
        changed: frozenset[str] | None = None,
    ) -> str:
        """The frame after `order`; with `previous` (the frame the step started from) only the change.

        `changed` names the columns the step may have changed on existing rows, when the step knows.

        The frame first, then the JSON that seals it (types, step, rows, SHA-256 of the frame file).
        """
        target = self.path(run_id, order)
        meta = frame_metadata(working)
        frame = working.data
        base = self.latest(run_id, order - 1) if previous is not None else None
        if previous is not None and base is not None:
            frame, delta = _delta(previous.data, working.data, changed)
            meta["delta"] = {"base": base, **delta}
        digest: dict[str, str] = {}

        def produce(out: str) -> None:
            frame.write_ipc(out, compression="lz4")
            digest["sha256"] = _sha256_of_file(out)

        write_atomically(target, produce, self.options)
        text = json.dumps({**meta, "order": order, "rows": frame.height, "sha256": digest["sha256"]})
        write_atomically(_meta_path(target), lambda out: _write_text(out, text), self.options)
        return target

    def saved_orders(self, run_id: str) -> list[int]:
        fs = filesystem(self.folder(run_id), self.options)
        if not fs.exists(self.folder(run_id)):
            return []
        found = (_FRAME.search(str(p)) for p in fs.ls(self.folder(run_id), detail=False))
        return sorted(int(m.group(1)) for m in found if m)

    def latest(self, run_id: str, order: int) -> int | None:
        """The step whose checkpoint holds the frame after `order` (an output reuses the one before)."""
        earlier = [o for o in self.saved_orders(run_id) if o <= order]
        return earlier[-1] if earlier else None

    def has(self, run_id: str, order: int) -> bool:
        return self.latest(run_id, order) is not None

    def load(self, run_id: str, order: int, *, expect_step: int | None = None) -> WorkingFrame:
        """The frame after `order`; with `expect_step`, only from that step's own checkpoint (RUN-7)."""
        step = self.latest(run_id, order)
        if step is None or (expect_step is not None and step != expect_step):
            wanted = order if expect_step is None else expect_step
            raise InvalidResumePoint(
                f"the checkpoint after operation {wanted} of Run {run_id} is missing ({self.path(run_id, wanted)})",
                rule="RUN-7",
            )
        return self._load_step(run_id, step)

    def verify(self, run_id: str, step: int) -> None:
        """`InvalidResumePoint` unless the checkpoint of `step` and every one it builds on is whole (RUN-7)."""
        if step not in self.saved_orders(run_id):
            raise InvalidResumePoint(
                f"the checkpoint after operation {step} of Run {run_id} is missing ({self.path(run_id, step)})",
                rule="RUN-7",
            )
        meta, _ = self._read_sealed(run_id, step)
        if meta.get("delta") is not None:
            self.verify(run_id, int(meta["delta"]["base"]))

    def _load_step(self, run_id: str, step: int) -> WorkingFrame:
        meta, frame = self._read_sealed(run_id, step)
        frame = _compact_row_ids(frame)
        delta = meta.get("delta")
        if delta is not None:
            frame = _replay(self._load_step(run_id, int(delta["base"])).data, frame, delta, meta["columns"])
        return working_from(frame, meta)

    def _read_sealed(self, run_id: str, step: int) -> tuple[dict[str, Any], pl.DataFrame]:
        """One checkpoint's JSON and frame, checked against each other; `InvalidResumePoint` if they differ."""
        path = self.path(run_id, step)

        def damaged(why: str) -> InvalidResumePoint:
            return InvalidResumePoint(
                f"the checkpoint after operation {step} of Run {run_id} is damaged: {why}",
                detail=path,
                location=Location(file=path),
                rule="RUN-7",
            )

        try:
            meta = json.loads(read_bytes(_meta_path(path), self.options))
            data = read_bytes(path, self.options)
        except FileNotFoundError as err:
            raise damaged(f"{err.filename or 'a file'} is missing") from None
        except (OSError, ValueError) as err:
            raise damaged(f"it cannot be read ({type(err).__name__})") from None
        if not isinstance(meta, dict) or meta.get("order", step) != step:
            raise damaged("its metadata describes another step")
        if "sha256" in meta and hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise damaged("its frame file does not match the fingerprint recorded when it was saved")
        try:
            frame = pl.read_ipc(io.BytesIO(data))
        except Exception as err:  # noqa: BLE001 - any unreadable frame file is a damaged checkpoint
            raise damaged(f"its frame file cannot be read ({type(err).__name__})") from None
        if "rows" in meta and frame.height != meta["rows"]:
            raise damaged(f"it holds {frame.height} rows, {meta['rows']} were saved")
        return meta, frame

    def save_registrations(self, run_id: str, registrations: list[dict[str, Any]]) -> None:
        text = json.dumps(registrations)
        write_atomically(f"{self.folder(run_id)}/registrations.json", lambda out: _write_text(out, text), self.options)

    def registrations(self, run_id: str) -> list[dict[str, Any]]:
        path = f"{self.folder(run_id)}/registrations.json"
        return json.loads(read_bytes(path, self.options)) if exists(path, self.options) else []

    def discard(self, run_id: str) -> None:
        folder = self.folder(run_id)
        fs = filesystem(folder, self.options)
        if fs.exists(folder):
            fs.rm(folder, recursive=True)


_ADDED = "__dobo_added_rows"


def _delta(
    before: pl.DataFrame, after: pl.DataFrame, known: frozenset[str] | None
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """What changed from `before` to `after`: changed columns of the old rows, then the new rows.

    Stored as one frame: the first `height` rows hold the changed columns, the
    rest (flagged) are the added rows with every column. A new column that is
    NULL on every old row (what an `aggregate` adds) is not stored for them:
    it is listed as `unset` and the replay makes it NULL there.
    """
    height = before.height
    old_rows = after.slice(0, height)
    fresh = [c for c in after.columns if c not in before.columns]
    unset = [c for c in fresh if old_rows[c].null_count() == height]  # null counts are known: no pass
    changed = [
        c
        for c in after.columns
        if c not in unset
        and (
            c in fresh
            or (
                c in known
                if known is not None
                else not old_rows[c].equals(before[c], check_dtypes=True, null_equal=True)
            )
        )
    ]
    added = after.slice(height)
    parts = [old_rows.select(changed).with_columns(pl.lit(False).alias(_ADDED))] if changed else []
    if added.height:
        parts.append(added.with_columns(pl.lit(True).alias(_ADDED)))
    frame = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame(schema={_ADDED: pl.Boolean})
    return frame, {"height": height, "changed": changed, "unset": unset, "columns": after.columns}


def _replay(before: pl.DataFrame, stored: pl.DataFrame, delta: dict[str, Any], types: dict[str, Any]) -> pl.DataFrame:
    """`before` with a stored delta applied: the frame the step left (`types`: the working column types)."""
    changed = delta["changed"]
    head = stored.filter(~pl.col(_ADDED))
    old_rows = before.with_columns([head[c] for c in changed]) if changed else before
    unset = delta.get("unset", [])
    if unset:
        old_rows = old_rows.with_columns(pl.lit(None, dtype=DslType(**types[c]).to_polars()).alias(c) for c in unset)
    columns = delta["columns"]
    old_rows = old_rows.select([c for c in columns if c in old_rows.columns])
    added = stored.filter(pl.col(_ADDED)).drop(_ADDED)
    if added.height == 0:
        return old_rows.select(columns)
    added = added.select(
        [
            pl.col(c).cast(old_rows.schema[c])
            if c in added.columns
            else pl.lit(None, dtype=old_rows.schema[c]).alias(c)
            for c in columns
        ]
    )
    return pl.concat([old_rows.select(columns), added], how="vertical")


def _meta_path(frame_path: str) -> str:
    return frame_path.removesuffix(".arrow") + ".json"


def _sha256_of_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_text(target: Any, text: str) -> None:
    if isinstance(target, str):
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        target.write(text.encode("utf-8"))


def _compact_row_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """Row ids in the engine's form (D37), also from a checkpoint saved while ids were held as text.

    A Run resumed after an upgrade must go on with the ids it started with (D14, D26).
    """
    if frame.schema.get("_row_id") != pl.Utf8:
        return frame
    return frame.with_columns(row_id_from_text(pl.col("_row_id")).alias("_row_id"))
