"""One measured benchmark run in its own process (started by :mod:`benchmarks.side_by_side` and
:mod:`benchmarks.run`).

    python -m benchmarks.variant handwritten --data DIR --work DIR
    python -m benchmarks.variant handwritten-rows --data DIR --work DIR [--row-ids]
    python -m benchmarks.variant dobo --data DIR --work DIR [--trace] [--rows-output] [--checkpoints POLICY]

Prints one JSON line: in-process seconds for imports and for the run, this
process's peak RSS, the output paths (``outputs``: summary, then rows when
written; ``output`` is the summary) and, for dobo, the engine's StepReports.
The peak RSS printed here includes the launching process's high-water RSS
(Linux carries it across fork and exec); the harnesses measure through
``/usr/bin/time -v`` instead.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("variant", choices=["handwritten", "handwritten-rows", "dobo"])
    parser.add_argument("--data", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--row-ids", action="store_true", help="handwritten-rows: also write _row_id")
    parser.add_argument("--rows-output", action="store_true", help="dobo: also write every visible working row")
    parser.add_argument("--no-row-ids", action="store_true", help="dobo: the rows output without _row_id")
    parser.add_argument("--checkpoints", choices=["none", "operations"], help="dobo: the durability policy (D36)")
    args = parser.parse_args()
    if args.checkpoints:  # read by Settings.from_env() when the Run's snapshot is made
        os.environ["DOBO_CHECKPOINTS"] = args.checkpoints

    steps: list[dict] = []
    if args.variant == "handwritten":
        from benchmarks import handwritten

        imported = time.perf_counter()
        outputs = [handwritten.run(args.data, f"{args.work}/output/summary.parquet")]
    elif args.variant == "handwritten-rows":
        from benchmarks import handwritten_rows

        imported = time.perf_counter()
        outputs = list(handwritten_rows.run(args.data, f"{args.work}/output", row_ids=args.row_ids))
    else:
        from benchmarks import dobo_run

        imported = time.perf_counter()

        def record(step) -> None:  # type: ignore[no-untyped-def]
            steps.append(
                {
                    "order": step.order,
                    "type": step.type,
                    "rows_in": step.rows_in,
                    "changed": step.rows_changed,
                    "created": step.rows_created,
                    "deleted": step.rows_deleted,
                    "seconds": round(step.seconds, 4),
                }
            )

        _, summary = dobo_run.run(
            args.data,
            args.work,
            trace=args.trace,
            on_step=record,
            rows_output=args.rows_output,
            row_ids=not args.no_row_ids,
        )
        outputs = [summary]
        if args.rows_output:
            outputs.append(summary.with_name(f"operation={dobo_run.ROWS_OUTPUT_ORDER}.parquet"))
    finished = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "variant": args.variant,
        "trace": args.trace,
        "import_seconds": round(imported - STARTED, 4),
        "run_seconds": round(finished - imported, 4),
        "maxrss_kb": usage.ru_maxrss,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "output": str(outputs[0]),
        "outputs": [str(o) for o in outputs],
        "steps": steps,
    }
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
