"""Working frames between ops: the engine's checkpoints, persisted once (D36).

Every op boundary of a Dagster run is durable: the engine has already made
the step durable (its sealed checkpoint, delta-encoded: changed columns and
appended rows) when the op hands its frame on. So the IO manager writes no
second copy. It keeps a small pointer per run and step under
`$DOBO_CHECKPOINT_ROOT/dagster` (local or s3://, D24): the dobo Run and the
checkpoint that holds the frame. Loading an input reads that checkpoint, so
"re-execute from failure" continues from the succeeded ops of the parent run
without running them again. Within one process the last frame of each Run is
also kept in memory, so the next op of an in-process run does not read it
back from storage.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from dagster import InputContext, OutputContext, UPathIOManager, io_manager
from upath import UPath

from dobo_dagster.resources import current_settings, run_service
from dobo_engine.engine.working import WorkingFrame


class _LastFrames:
    """The newest frame of each Run in this process, keyed by (Run, checkpoint step)."""

    def __init__(self) -> None:
        self._frames: dict[str, tuple[int, WorkingFrame]] = {}
        self._lock = threading.Lock()

    def keep(self, run_id: str, step: int, frame: WorkingFrame) -> None:
        with self._lock:
            self._frames[run_id] = (step, frame)

    def get(self, run_id: str, step: int) -> WorkingFrame | None:
        with self._lock:
            kept = self._frames.get(run_id)
        return kept[1] if kept is not None and kept[0] == step else None

    def forget(self, run_id: str) -> None:
        with self._lock:
            self._frames.pop(run_id, None)


LAST_FRAMES = _LastFrames()


RUN_KEY = "dobo/run_id"  # output metadata of a frame: its dobo Run ...
CHECKPOINT_KEY = "dobo/checkpoint"  # ... and the step whose checkpoint holds it


class CheckpointIOManager(UPathIOManager):
    """Stores a pointer to the engine's checkpoint of the step; loads the frame from that checkpoint."""

    extension = ".json"

    def dump_to_path(self, context: OutputContext, obj: WorkingFrame, path: UPath) -> None:
        meta = context.output_metadata
        run_id, step = str(_value(meta[RUN_KEY])), int(_value(meta[CHECKPOINT_KEY]))
        LAST_FRAMES.keep(run_id, step, obj)
        path.write_text(json.dumps({"dobo_run_id": run_id, "checkpoint": step}))

    def load_from_path(self, context: InputContext, path: UPath) -> WorkingFrame:
        pointer = json.loads(path.read_text())
        run_id, step = str(pointer["dobo_run_id"]), int(pointer["checkpoint"])
        kept = LAST_FRAMES.get(run_id, step)
        return kept if kept is not None else run_service().checkpoints().load(run_id, step)


def _value(entry: Any) -> Any:
    return getattr(entry, "value", entry)


def frames_base() -> UPath:
    return UPath(current_settings().checkpoint_root) / "dagster"


@io_manager(description="dobo working frames between ops: pointers to the engine's checkpoints (one persistence)")
def checkpoint_io_manager(_init_context: Any) -> CheckpointIOManager:
    return CheckpointIOManager(base_path=frames_base())


def discard_frames(dagster_run_ids: list[str]) -> None:
    """RUN-6: a completed Run keeps no intermediate frames (the engine drops the checkpoints)."""
    base = frames_base()
    for run_id in dagster_run_ids:
        LAST_FRAMES.forget(run_id)
        folder = base / run_id
        if folder.exists():
            folder.fs.rm(folder.path, recursive=True)


__all__ = ["CHECKPOINT_KEY", "LAST_FRAMES", "RUN_KEY", "CheckpointIOManager", "checkpoint_io_manager", "discard_frames"]
