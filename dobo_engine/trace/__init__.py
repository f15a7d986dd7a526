"""The row-level trace of a Run (trace.md): event builders, the file store, read-back.

The names in ``__all__`` are the public surface. :class:`TraceReader` shows a
whole cycle (events built, files written, a row read back); each builder
shows its events.

>>> from dobo_engine.trace import trace_path, type_name
>>> trace_path(".dobo/trace", "run-1", 0)
'.dobo/trace/run_id=run-1/operation=0.parquet'
"""

from dobo_engine.trace.events import (
    OLD_PREFIX,
    changed_mask,
    created_events,
    deleted_events,
    updated_events,
    value_changed,
)
from dobo_engine.trace.format import schema_names, trace_path, type_name
from dobo_engine.trace.reader import TraceReader
from dobo_engine.trace.rebuild import TraceEntry
from dobo_engine.trace.replay import LoadReplay, ReplayedLoad, ReReadable
from dobo_engine.trace.runinfo import RunInfo
from dobo_engine.trace.store import TraceWriter, trace_metadata

__all__ = [
    "OLD_PREFIX",
    "LoadReplay",
    "ReReadable",
    "ReplayedLoad",
    "RunInfo",
    "TraceEntry",
    "TraceReader",
    "TraceWriter",
    "changed_mask",
    "created_events",
    "deleted_events",
    "schema_names",
    "trace_metadata",
    "trace_path",
    "type_name",
    "updated_events",
    "value_changed",
]
