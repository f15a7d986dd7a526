"""Working frames between ops: Parquet under `$DOBO_CHECKPOINT_ROOT/dagster` (local or s3://, D24).

Each op's output is stored per Dagster run and step, so "re-execute from
failure" reads the succeeded ops' frames from the parent run instead of
running them again. The file format is the engine's checkpoint format: the
frame plus its working column types in the Parquet key-value metadata, so a
frame read back is exactly the frame written.
"""

from __future__ import annotations

import io
import json
from typing import Any

import polars as pl
from dagster import InputContext, OutputContext, UPathIOManager, io_manager
from upath import UPath

from dobo_dagster.resources import current_settings
from dobo_engine.engine.checkpoints import frame_metadata, working_from
from dobo_engine.engine.working import WorkingFrame

METADATA_KEY = "dobo.working_frame"


def frame_to_bytes(working: WorkingFrame) -> bytes:
    out = io.BytesIO()
    working.data.write_parquet(out, metadata={METADATA_KEY: json.dumps(frame_metadata(working))})
    return out.getvalue()


def frame_from_bytes(data: bytes) -> WorkingFrame:
    meta = json.loads(pl.read_parquet_metadata(io.BytesIO(data))[METADATA_KEY])
    return working_from(pl.read_parquet(io.BytesIO(data)), meta)


class WorkingFrameIOManager(UPathIOManager):
    extension = ".parquet"

    def dump_to_path(self, context: OutputContext, obj: WorkingFrame, path: UPath) -> None:
        path.write_bytes(frame_to_bytes(obj))

    def load_from_path(self, context: InputContext, path: UPath) -> WorkingFrame:
        return frame_from_bytes(path.read_bytes())


def frames_base() -> UPath:
    return UPath(current_settings().checkpoint_root) / "dagster"


@io_manager(description="dobo working frames as Parquet under $DOBO_CHECKPOINT_ROOT/dagster")
def working_frame_io_manager(_init_context: Any) -> WorkingFrameIOManager:
    return WorkingFrameIOManager(base_path=frames_base())


def discard_frames(dagster_run_ids: list[str]) -> None:
    """RUN-6: a completed Run keeps no intermediate frames."""
    base = frames_base()
    for run_id in dagster_run_ids:
        folder = base / run_id
        if folder.exists():
            folder.fs.rm(folder.path, recursive=True)


__all__ = ["WorkingFrameIOManager", "discard_frames", "frame_from_bytes", "frame_to_bytes", "working_frame_io_manager"]
