"""How a Run registers its outputs as Datasets (OP-OUT-6, RUN-9, D25).

While the Run executes, each registering ``output`` yields a plain-JSON
registration (:func:`registration`), kept beside the checkpoints; when the
Run completes, :func:`register_outputs` creates or versions each Dataset —
its main table is what was written: the user columns with their types and
the working table's temporal mode — and records the location written for
the Run's Period, which the built-in Resolver serves
(:mod:`dobo_engine.resolver.registered_outputs`).
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from dobo_engine.columns import column_type_of, is_system_column
from dobo_engine.resolver.registered_outputs import (
    REGISTERED_RESOLVER_ID,
    REGISTERED_RESOLVER_VERSION,
    registered_rule,
)
from dobo_engine.store.api import MetadataStore
from dobo_engine.store.records import RunRecord


def registration(
    order: int, dataset_id: str, frame: pl.DataFrame, temporal_mode: str, location: dict[str, object]
) -> dict[str, object]:
    """An output to register as a Dataset once the Run completes (OP-OUT-6, RUN-9), as plain JSON."""
    columns = [
        {"name": name, **column_type_of(dtype)} for name, dtype in frame.schema.items() if not is_system_column(name)
    ]
    return {
        "operation_order": order,
        "dataset_id": dataset_id,
        "columns": columns,
        "temporal_mode": temporal_mode,
        "location": location,
    }


def table_name(dataset_id: str) -> str:
    """An identifier (GEN-5) derived from the Dataset id."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", dataset_id)
    return name if name[:1].isalpha() else f"t_{name}"


def dataset_content(reg: dict[str, Any], record: RunRecord) -> dict[str, Any]:
    return {
        "id": reg["dataset_id"],
        "name": reg["dataset_id"],
        "description": f"Output of operation {reg['operation_order']} of Project {record.project_id}",
        "resolver_id": REGISTERED_RESOLVER_ID,
        "main_table": {
            "name": table_name(reg["dataset_id"]),
            "temporal_mode": reg["temporal_mode"],
            "columns": reg["columns"],
        },
    }


def register_outputs(
    store: MetadataStore, record: RunRecord, registrations: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Create or version each registered Dataset and record where this Period was written."""
    registered = []
    with store.transaction() as tx:
        for reg in registrations:
            content = dataset_content(reg, record)
            put = tx.put_entity("dataset", reg["dataset_id"], content, status="active")
            location = {
                "resolver_id": REGISTERED_RESOLVER_ID,
                "resolver_version": REGISTERED_RESOLVER_VERSION,
                "rule": registered_rule(reg["dataset_id"]),
                "table_name": content["main_table"]["name"],
                "period_identifier": record.period_identifier,
                **reg["location"],
            }
            tx.record_registered_location(
                reg["dataset_id"],
                record.calendar_id,
                record.period_identifier,
                location,
                run_id=record.id,
                dataset_version=put.version,
            )
            registered.append(
                {
                    "operation_order": reg["operation_order"],
                    "dataset_id": reg["dataset_id"],
                    "dataset_version": put.version,
                }
            )
    return registered
