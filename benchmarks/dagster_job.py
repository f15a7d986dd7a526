"""One Project's Dagster job for one partition, in this process (started by :mod:`benchmarks.dagster_vs_cli`).

    python -m benchmarks.dagster_job prj-budget-vs-actual --period 2026-01
    python -m benchmarks.dagster_job prj-budget-vs-actual --period 2026-01 --ephemeral
    python -m benchmarks.dagster_job --sync-partitions

What a user waits for when a run worker executes a partition: interpreter
start, imports, the code location built from the metadata store, the Dagster
instance, then the job with the in-process executor. Settings come from the
environment (DOBO_HOME, DOBO_DATA_ROOT; DAGSTER_HOME unless ``--ephemeral``).

With ``--ephemeral`` the instance lives in memory and the partition is added
to it here, since no sensor has synced one; otherwise the persistent
instance under DAGSTER_HOME must already hold the partition:
``--sync-partitions`` (run once, untimed, by the harness) applies one tick of
the ``dobo_period_sync`` sensor to it, as the daemon would.

Prints one JSON line: the dobo Run id (the Dagster run id, D21) and the
seconds spent in each phase (imports, definitions, instance, execution).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from contextlib import AbstractContextManager  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:
    from dagster import DagsterInstance, Definitions


def _instance(ephemeral: bool) -> AbstractContextManager[DagsterInstance]:
    from dagster import DagsterInstance

    return DagsterInstance.ephemeral() if ephemeral else DagsterInstance.get()


def _ensure_partition(defs: Definitions, job_name: str, period: str, instance: DagsterInstance, *, add: bool) -> None:
    """Check that the Period is a partition of the job; ``add`` adds it where no sensor has run (ephemeral)."""
    from dagster import DynamicPartitionsDefinition

    partitions = defs.resolve_job_def(job_name).partitions_def
    if not isinstance(partitions, DynamicPartitionsDefinition) or partitions.name is None:
        raise SystemExit(f"job {job_name} has no dynamic partitions")
    if instance.has_dynamic_partition(partitions.name, period):
        return
    if not add:
        raise SystemExit(f"{period} is no partition of {partitions.name} in DAGSTER_HOME (run --sync-partitions)")
    instance.add_dynamic_partitions(partitions.name, [period])


def sync_partitions() -> int:
    """One tick of the Period sync sensor applied to the DAGSTER_HOME instance; returns the keys added."""
    from dagster import AddDynamicPartitionsRequest, DagsterInstance, build_sensor_context

    from dobo_dagster.location import build_definitions
    from dobo_dagster.partitions import SYNC_SENSOR

    defs = build_definitions()
    added = 0
    with DagsterInstance.get() as instance:
        tick = defs.get_sensor_def(SYNC_SENSOR).evaluate_tick(build_sensor_context(instance=instance, definitions=defs))
        for request in tick.dynamic_partitions_requests or []:
            # A fresh instance holds no keys, so the tick only ever adds.
            if isinstance(request, AddDynamicPartitionsRequest):
                instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
                added += len(request.partition_keys)
    return added


def run(project_id: str, period: str, *, ephemeral: bool) -> dict[str, object]:
    """Build the location, execute the job for ``period``; return the run id and phase timings."""
    from dobo_dagster.location import build_definitions
    from dobo_dagster.translator import DoboTranslator

    imported = time.perf_counter()
    defs = build_definitions()
    job_name = DoboTranslator().job_name(project_id)
    job = defs.resolve_job_def(job_name)
    built = time.perf_counter()
    with _instance(ephemeral) as instance:
        _ensure_partition(defs, job_name, period, instance, add=ephemeral)
        opened = time.perf_counter()
        result = job.execute_in_process(partition_key=period, instance=instance, raise_on_error=False)
        executed = time.perf_counter()
    if not result.success:
        raise SystemExit(f"Dagster run {result.run_id} of {job_name} for {period} failed")
    return {
        "run_id": result.run_id,
        "import_seconds": round(imported - STARTED, 4),
        "definitions_seconds": round(built - imported, 4),
        "instance_seconds": round(opened - built, 4),
        "execute_seconds": round(executed - opened, 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("project_id", nargs="?")
    parser.add_argument("--period")
    parser.add_argument("--ephemeral", action="store_true", help="an in-memory instance instead of DAGSTER_HOME's")
    parser.add_argument("--sync-partitions", action="store_true", help="copy the store's Periods into DAGSTER_HOME")
    args = parser.parse_args(argv)
    if args.sync_partitions:
        report: dict[str, object] = {"partitions_added": sync_partitions()}
    elif args.project_id and args.period:
        report = run(args.project_id, args.period, ephemeral=args.ephemeral)
    else:
        parser.error("give a Project and --period, or --sync-partitions")
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
