"""The Resolver as an input manager: how a Project's Datasets reach its first op.

Each Dataset a Project reads (its input, RuntimeJoin and append sources) is an
input of the Project's graph, mapped to the Dataset's asset, and loaded by
this input manager (resource key `dobo_datasets`). It hands the load op a
`DatasetInput`: the Dataset, the partition's Period and where its file
locations are read from. The engine then resolves and reads the tables
through the Run's snapshot (its Resolver versions and recorded locations,
D27), so a resumed Run reads the same files. A deployment points Runs at
other storage by configuring this resource (`data_root`), not by editing
catalog entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dagster import ConfigurableIOManager, InputContext, OutputContext, PythonObjectDagsterType
from pydantic import Field

from dobo_dagster.resources import current_settings

DATASETS_KEY = "dobo_datasets"
DATASET_ID = "dobo/dataset_id"  # In metadata: the Dataset an input of the load op stands for


@dataclass(frozen=True)
class DatasetInput:
    """One Dataset as the Resolver hands it to a Run: which, for which Period, read from where."""

    dataset_id: str
    period: str
    data_root: str | None


DATASET_INPUT = PythonObjectDagsterType(
    DatasetInput, name="DoboDatasetInput", description="a Dataset resolved for the partition's Period"
)


class DatasetInputManager(ConfigurableIOManager):
    """Loads a Project's Datasets for the partition's Period (the Resolver's side of a Run)."""

    data_root: str | None = Field(
        default=None,
        description="where relative file locations of the Datasets are read from (default: $DOBO_DATA_ROOT)",
    )

    def load_input(self, context: InputContext) -> DatasetInput:
        dataset_id = str(context.definition_metadata[DATASET_ID])
        period = context.partition_key if context.has_partition_key else ""
        return DatasetInput(dataset_id, period, self.data_root or current_settings().data_root)

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        raise TypeError("dobo_datasets only reads Datasets; outputs are written by dobo_outputs")


__all__ = ["DATASETS_KEY", "DATASET_ID", "DATASET_INPUT", "DatasetInput", "DatasetInputManager"]
