"""The dobo code location as a Dagster Component, state-backed by the metadata store.

`DoboComponent` is a `StateBackedComponent`: its state is the list of
runnable Projects and the version each job is built from
(`dobo_dagster.state.LocationState`). With the default management type
(`LEGACY_CODE_SERVER_SNAPSHOTS`) the state is read from the store when the
code server initialises and recorded in the code location's snapshot; a run
worker re-importing the location for a run rebuilds its jobs from that
recorded state (stored versions never change), not from the store's current
content, so its job is the job the run was planned against even if a Project
was edited in between.

It is declared in `dobo_dagster/defs/dobo/defs.yaml` (for `dg check defs`
and `dg dev`) and loaded by `dobo_dagster.definitions:defs` (for
`workspace.yaml` and `dagster dev`, and the Helm chart's gRPC server).
"""

# No `from __future__ import annotations` here: Resolvable reads the field types at run time.
from dataclasses import dataclass, field
from pathlib import Path

from dagster import ComponentLoadContext, Definitions, Resolvable, StateBackedComponent
from dagster.components import DefsStateConfig, DefsStateConfigArgs, ResolvedDefsStateConfig

from dobo_dagster.location import build_definitions
from dobo_dagster.state import LocationState, fetch_state

STATE_KEY = "dobo"


@dataclass
class DoboComponent(StateBackedComponent, Resolvable):
    """Every active and draft Project of the metadata store (DOBO_METADATA_URL / DOBO_HOME)."""

    defs_state: ResolvedDefsStateConfig = field(default_factory=DefsStateConfigArgs.legacy_code_server_snapshots)

    @property
    def defs_state_config(self) -> DefsStateConfig:
        return DefsStateConfig.from_args(self.defs_state, default_key=STATE_KEY)

    def write_state_to_path(self, state_path: Path) -> None:
        state_path.write_text(fetch_state().to_json())

    def build_defs_from_state(self, context: ComponentLoadContext, state_path: Path | None) -> Definitions:
        state = LocationState.from_json(state_path.read_text()) if state_path else fetch_state()
        return build_definitions(state=state)


__all__ = ["DoboComponent", "STATE_KEY"]
