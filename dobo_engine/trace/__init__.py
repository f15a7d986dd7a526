"""The row-level trace of a Run (trace.md): event builders, the file store, read-back."""

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
from dobo_engine.trace.runinfo import RunInfo
from dobo_engine.trace.store import TraceWriter, trace_metadata

__all__ = [
    "OLD_PREFIX",
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
