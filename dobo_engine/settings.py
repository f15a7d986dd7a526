"""Deployment settings (D24, D34), read from the environment.

Each location is a local path or a URI (``s3://...``). Defaults live under
``$DOBO_HOME`` (default ``.dobo/`` in the working directory).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, get_args

from dobo_engine.errors import InvalidField

DEFAULT_RUN_LEASE_SECONDS = 30.0

# How much of a Run is made durable before its end (D36).
CheckpointPolicy = Literal["none", "operations"]
CHECKPOINT_POLICIES: tuple[CheckpointPolicy, ...] = get_args(CheckpointPolicy)
DEFAULT_CHECKPOINTS: CheckpointPolicy = "none"

# How a traced Run records what its load read (TR-15): by reference to re-readable inputs, or a copy.
TraceLoad = Literal["reference", "copy"]
TRACE_LOADS: tuple[TraceLoad, ...] = get_args(TraceLoad)


def _under_home(home: str, name: str) -> str:
    return str(Path(home) / name) if "://" not in home else f"{home.rstrip('/')}/{name}"


@dataclass(frozen=True)
class Settings:
    home: str
    metadata_url: str
    output_root: str
    sandbox_root: str
    trace_root: str
    checkpoint_root: str
    data_root: str
    # A running Run whose process has not renewed its lease for this long is failed as lost.
    run_lease_seconds: float = DEFAULT_RUN_LEASE_SECONDS
    # The durability policy of new Runs (D36); a Run keeps the one its snapshot records.
    checkpoints: CheckpointPolicy = DEFAULT_CHECKPOINTS
    # `copy` keeps every loaded row in the trace even when the input can be read again (TR-15):
    # for a trace that must outlive input files that are rotated or deleted.
    trace_load: TraceLoad = "reference"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        home = env.get("DOBO_HOME") or ".dobo"
        home = str(Path(home).absolute()) if "://" not in home else home
        sqlite_file = Path(home) / "metadata.db"
        return cls(
            home=home,
            metadata_url=env.get("DOBO_METADATA_URL") or f"sqlite:///{sqlite_file}",
            output_root=env.get("DOBO_OUTPUT_ROOT") or _under_home(home, "outputs"),
            sandbox_root=env.get("DOBO_SANDBOX_ROOT") or _under_home(home, "sandbox"),
            trace_root=env.get("DOBO_TRACE_ROOT") or _under_home(home, "trace"),
            checkpoint_root=env.get("DOBO_CHECKPOINT_ROOT") or _under_home(home, "checkpoints"),
            data_root=env.get("DOBO_DATA_ROOT") or os.getcwd(),
            run_lease_seconds=_positive_seconds(env, "DOBO_RUN_LEASE_SECONDS", DEFAULT_RUN_LEASE_SECONDS),
            checkpoints=checkpoint_policy(env.get("DOBO_CHECKPOINTS") or DEFAULT_CHECKPOINTS, "DOBO_CHECKPOINTS"),
            trace_load=_trace_load(env.get("DOBO_TRACE_LOAD") or "reference"),
        )

    def as_dict(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}


def _positive_seconds(env: dict[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise InvalidField(f"{name} must be a positive number of seconds, not {text!r}")
    return value


def _trace_load(text: str) -> TraceLoad:
    value = text.strip().lower()
    for known in TRACE_LOADS:
        if value == known:
            return known
    raise InvalidField(f"DOBO_TRACE_LOAD must be one of {', '.join(TRACE_LOADS)}, not {text!r}")


def checkpoint_policy(text: str, source: str) -> CheckpointPolicy:
    """A durability policy named by `source` (a setting, flag or tag), checked (D36)."""
    value = text.strip().lower()
    if value not in CHECKPOINT_POLICIES:
        raise InvalidField(f"{source} must be one of {', '.join(CHECKPOINT_POLICIES)}, not {text!r}", rule="D36")
    return value
