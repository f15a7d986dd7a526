"""Registering outputs as Datasets when a Run completes (RUN-9, OP-OUT-6, D25).

The registered Dataset's main table is what was written — its user columns
with their types and the working table's temporal mode — and it uses the
built-in Resolver `dobo-registered`, which serves exactly the locations
recorded per Period.
"""

from __future__ import annotations

import re
from typing import Any

from dobo_engine.model.datasource import DataSource
from dobo_engine.resolver.registered import REGISTERED_RESOLVER_ID, REGISTERED_RESOLVER_VERSION
from dobo_engine.runner.outputs import OUTPUTS_DATASOURCE
from dobo_engine.settings import Settings
from dobo_engine.store.api import MetadataStore
from dobo_engine.store.records import RunRecord


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
        "main_table": {"name": table_name(reg["dataset_id"]), "temporal_mode": reg["temporal_mode"],
                       "columns": reg["columns"]},
    }


def register_outputs(store: MetadataStore, record: RunRecord, registrations: list[dict[str, Any]]) -> list[dict]:
    """Create or version each registered Dataset and record where this Period was written."""
    registered = []
    with store.transaction() as tx:
        for reg in registrations:
            content = dataset_content(reg, record)
            put = tx.put_entity("dataset", reg["dataset_id"], content, status="active")
            location = {
                "resolver_id": REGISTERED_RESOLVER_ID, "resolver_version": REGISTERED_RESOLVER_VERSION,
                "rule": f"registered:{reg['dataset_id']}", "table_name": content["main_table"]["name"],
                "period_identifier": record.period_identifier, **reg["location"],
            }
            tx.record_registered_location(reg["dataset_id"], record.calendar_id, record.period_identifier,
                                          location, run_id=record.id, dataset_version=put.version)
            registered.append({"operation_order": reg["operation_order"], "dataset_id": reg["dataset_id"],
                               "dataset_version": put.version})
    return registered


def outputs_datasource(settings: Settings) -> DataSource:
    """The built-in DataSource over `$DOBO_OUTPUT_ROOT` that registered default outputs are read from."""
    return DataSource.model_validate({
        "id": OUTPUTS_DATASOURCE, "name": "dobo outputs", "type": "parquet", "status": "active",
        "options": {"path_prefix": settings.output_root},
    })
