"""The dobo code location `dobo`: `defs` built from the metadata store (DOBO_METADATA_URL / DOBO_HOME).

`defs` loads the project's defs folder (`dobo_dagster/defs/dobo/defs.yaml`,
one `DoboComponent`), so `dg check defs`, `dg dev`, `workspace.yaml`
(`dagster dev`) and the Helm chart's gRPC server all load the same
component. Where the package is installed without its `pyproject.toml`
(no dg project around it), `defs` builds the same component directly.
Dagster calls `defs` inside its own load context; in code, call
`build_definitions()` (location.py) to get the Definitions object.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from dagster import Definitions, build_defs_for_component, definitions, load_from_defs_folder

from dobo_dagster.component import DoboComponent
from dobo_dagster.location import build_definitions


def _dg_project_root() -> Path | None:
    """The checkout's root when this package sits in it (a `pyproject.toml` with a `[tool.dg]` table)."""
    for parent in Path(__file__).resolve().parents:
        pyproject = parent / "pyproject.toml"
        if pyproject.is_file():
            return parent if "dg" in tomllib.loads(pyproject.read_text()).get("tool", {}) else None
    return None


@definitions
def defs() -> Definitions:
    root = _dg_project_root()
    if root is not None:
        return load_from_defs_folder(path_within_project=root)
    return build_defs_for_component(DoboComponent())


__all__ = ["build_definitions", "defs"]
