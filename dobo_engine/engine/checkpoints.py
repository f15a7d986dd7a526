"""Run-scoped checkpoints of the working frame (RUN-4, RUN-6, RUN-7).

One Arrow IPC file per (run, operation) under `$DOBO_CHECKPOINT_ROOT` (local
or a URI) plus a small JSON file with the working column types, so a resume
rebuilds exactly the frame the Run held. IPC rather than Parquet: a
checkpoint is written after every operation and read at most once, so write
speed matters more than size. An `output` leaves the frame as it was, so its
checkpoint is the previous one (`load` finds the latest at or before a step).
Outputs to register when the Run completes are kept beside the checkpoints
(RUN-9), so a Run executed one operation per process still registers them.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import polars as pl

from dobo_engine.dsl.types import DslType
from dobo_engine.engine.working import WorkingFrame
from dobo_engine.io.storage import exists, filesystem, read_bytes, write_atomically

_FRAME = re.compile(r"operation=(\d+)\.arrow$")


def _type_dict(t: DslType) -> dict[str, Any]:
    return {"kind": t.kind, "precision": t.precision, "scale": t.scale}


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

    def save(self, run_id: str, order: int, working: WorkingFrame) -> str:
        """Types first, then the frame: a frame file on disk always has its types."""
        target = self.path(run_id, order)
        meta = json.dumps(frame_metadata(working))
        write_atomically(target.removesuffix(".arrow") + ".json", lambda out: _write_text(out, meta), self.options)
        write_atomically(target, lambda out: working.frame.write_ipc(out, compression="lz4"), self.options)
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

    def load(self, run_id: str, order: int) -> WorkingFrame:
        step = self.latest(run_id, order)
        if step is None:
            raise FileNotFoundError(f"no checkpoint at or before operation {order} of Run {run_id}")
        path = self.path(run_id, step)
        meta = json.loads(read_bytes(path.removesuffix(".arrow") + ".json", self.options))
        return working_from(pl.read_ipc(io.BytesIO(read_bytes(path, self.options))), meta)

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


def _write_text(target: Any, text: str) -> None:
    if isinstance(target, str):
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        target.write(text.encode("utf-8"))
