"""One measured benchmark run in its own process (started by :mod:`benchmarks.run`).

    python -m benchmarks.variant handwritten --data DIR --work DIR
    python -m benchmarks.variant dobo --data DIR --work DIR [--trace]

Prints one JSON line: in-process seconds for imports and for the run, this
process's peak RSS, the output path and, for dobo, the engine's StepReports.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("variant", choices=["handwritten", "dobo"])
    parser.add_argument("--data", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()

    steps: list[dict] = []
    if args.variant == "handwritten":
        from benchmarks import handwritten

        imported = time.perf_counter()
        out = handwritten.run(args.data, f"{args.work}/output/summary.parquet")
    else:
        from benchmarks import dobo_run

        imported = time.perf_counter()

        def record(step) -> None:  # type: ignore[no-untyped-def]
            steps.append({"order": step.order, "type": step.type, "rows_in": step.rows_in,
                          "changed": step.rows_changed, "created": step.rows_created,
                          "deleted": step.rows_deleted, "seconds": round(step.seconds, 4)})

        _, out = dobo_run.run(args.data, args.work, trace=args.trace, on_step=record)
    finished = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "variant": args.variant,
        "trace": args.trace,
        "import_seconds": round(imported - STARTED, 4),
        "run_seconds": round(finished - imported, 4),
        "maxrss_kb": usage.ru_maxrss,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "output": str(out),
        "steps": steps,
    }
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
