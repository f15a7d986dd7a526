"""Run-scoped checkpoints of the working frame (RUN-4, RUN-6, RUN-7).

One Parquet file per (run, operation) under `$DOBO_CHECKPOINT_ROOT`
(local or a URI), with the working column types in its key-value metadata so
a resume rebuilds exactly the frame the Run held.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from dobo_engine.dsl.types import DslType
from dobo_engine.engine.working import WorkingFrame
from dobo_engine.io.storage import exists, filesystem, read_bytes, write_atomically

METADATA_KEY = "dobo.checkpoint"


def _type_dict(t: DslType) -> dict[str, Any]:
    return {"kind": t.kind, "precision": t.precision, "scale": t.scale}


class CheckpointStore:
    def __init__(self, root: str, storage_options: dict[str, Any] | None = None) -> None:
        self.root = root.rstrip("/")
        self.options = storage_options

    def folder(self, run_id: str) -> str:
        return f"{self.root}/run_id={run_id}"

    def path(self, run_id: str, order: int) -> str:
        return f"{self.folder(run_id)}/operation={order}.parquet"

    def save(self, run_id: str, order: int, working: WorkingFrame) -> str:
        meta = {
            "columns": {name: _type_dict(t) for name, t in working.columns.items()},
            "main_table": working.main_table,
            "temporal_mode": working.temporal_mode,
            "lookups": {a: {c: _type_dict(t) for c, t in cols.items()} for a, cols in working.lookups.items()},
        }
        target = self.path(run_id, order)
        write_atomically(
            target,
            lambda out: working.frame.write_parquet(out, metadata={METADATA_KEY: json.dumps(meta)}),
            self.options,
        )
        return target

    def has(self, run_id: str, order: int) -> bool:
        return exists(self.path(run_id, order), self.options)

    def load(self, run_id: str, order: int) -> WorkingFrame:
        import io

        data = read_bytes(self.path(run_id, order), self.options)
        meta = json.loads(pl.read_parquet_metadata(io.BytesIO(data))[METADATA_KEY])
        frame = pl.read_parquet(io.BytesIO(data))
        return WorkingFrame(
            frame=frame,
            columns={n: DslType(**t) for n, t in meta["columns"].items()},
            main_table=meta["main_table"],
            temporal_mode=meta["temporal_mode"],
            lookups={a: {c: DslType(**t) for c, t in cols.items()} for a, cols in meta["lookups"].items()},
        )

    def discard(self, run_id: str) -> None:
        folder = self.folder(run_id)
        fs = filesystem(folder, self.options)
        if fs.exists(folder):
            fs.rm(folder, recursive=True)
