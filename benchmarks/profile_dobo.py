"""Where a dobo benchmark Run spends its time and memory.

    python -m benchmarks.profile_dobo 1000000 [--trace] [--breakdown] [--cprofile 30]

Generates (or reuses) the data, runs the benchmark Project once and prints,
per step, the StepReport seconds with the process's current and peak RSS
after the step. ``--breakdown`` also times the engine's main parts (load and
schema check, row ids, each operation's own work, joins, trace writes,
checkpoint saves) by wrapping them, with the peak-RSS growth seen inside
each; ``--cprofile K`` prints the K engine functions with the largest
cumulative time (Polars work is attributed to the Python call that started it).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks import dobo_run, gl_data

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Breakdown:
    """Wall seconds, calls and peak-RSS growth of wrapped engine functions."""

    def __init__(self) -> None:
        self.rows: dict[str, list[float]] = {}
        self.depth = 0

    def wrap(self, owner, name: str, label: str) -> None:  # type: ignore[no-untyped-def]
        original = owner[name] if isinstance(owner, dict) else getattr(owner, name)

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            before, started, cpu = peak_mb(), time.perf_counter(), cpu_seconds()
            try:
                return original(*args, **kwargs)
            finally:
                row = self.rows.setdefault(label, [0.0, 0, 0.0, 0.0])
                row[0] += time.perf_counter() - started
                row[1] += 1
                row[2] = max(row[2], peak_mb() - before)
                row[3] += cpu_seconds() - cpu

        if isinstance(owner, dict):
            owner[name] = timed
        else:
            setattr(owner, name, timed)

    def install(self) -> None:
        from dobo_engine.engine import checkpoints, joins, pipeline, runtime_joins
        from dobo_engine.engine.operations import update
        from dobo_engine.io import row_ids
        from dobo_engine.trace import store

        self.wrap(pipeline, "assemble", "load: assemble (scan, check, collect, row ids)")
        self.wrap(dobo_run, "conform", "load: conform (schema check query)")
        self.wrap(row_ids, "_format_ids", "load: row id text (_format_ids)")
        for op in ("update", "delete", "aggregate", "output"):
            self.wrap(pipeline.APPLY, op, f"operation: apply_{op}")
        self.wrap(update, "prepare_join", "update: prepare_join (load fx)")
        self.wrap(runtime_joins, "left_join_unique", "update: left_join_unique (incl. check)")
        self.wrap(joins, "_check_unique", "update: join uniqueness check")
        self.wrap(store.TraceWriter, "write", "trace: TraceWriter.write (events, sort, sink)")
        self.wrap(checkpoints.CheckpointStore, "save", "checkpoint: CheckpointStore.save")

    def print(self) -> None:
        print(
            f"{'part (nested parts are included in their callers)':<52} {'calls':>5} {'wall s':>7} {'CPU s':>7} "
            f"{'peak growth MB':>15}"
        )
        for label, (seconds, calls, growth, cpu) in self.rows.items():
            print(f"{label:<52} {int(calls):>5} {seconds:7.2f} {cpu:7.2f} {growth:15.0f}")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--rows-output", action="store_true", help="also write every visible working row")
    parser.add_argument("--load-copy", action="store_true", help="copy the loaded rows into the trace (no TR-15)")
    parser.add_argument("--cprofile", type=int, default=0, metavar="K")
    parser.add_argument("--data-root", default=os.path.join(tempfile.gettempdir(), "dobo-bench-data"))
    args = parser.parse_args()

    data = gl_data.generate(args.rows, Path(args.data_root) / f"n={args.rows}")
    work = Path(tempfile.mkdtemp(prefix="dobo-profile-"))
    print(f"before run: rss {rss_mb():.0f} MB, peak {peak_mb():.0f} MB")

    last = [cpu_seconds()]

    def report(step) -> None:  # type: ignore[no-untyped-def]
        now = cpu_seconds()
        print(
            f"{step.order:>3} {step.type:<10} {step.seconds:7.2f} s  CPU {now - last[0]:6.2f} s  "
            f"rows_in {step.rows_in:>9,}  rss {rss_mb():6.0f} MB  peak {peak_mb():6.0f} MB",
            flush=True,
        )
        last[0] = now

    breakdown = Breakdown() if args.breakdown else None
    if breakdown:
        breakdown.install()
    profiler = cProfile.Profile() if args.cprofile else None
    started = time.perf_counter()
    try:
        if profiler:
            profiler.enable()
        dobo_run.run(
            data,
            work,
            trace=args.trace,
            on_step=report,
            rows_output=args.rows_output,
            load_by_reference=not args.load_copy,
        )
        if profiler:
            profiler.disable()
    finally:
        sizes = {
            p.name: sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) / 2**20
            for p in work.iterdir()
            if p.is_dir()
        }
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"total {time.perf_counter() - started:.2f} s, CPU {cpu_seconds():.2f} s; files written (MB): "
        + ", ".join(f"{k} {v:.0f}" for k, v in sorted(sizes.items()))
    )
    if breakdown:
        breakdown.print()
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(r"dobo_engine|benchmarks|polars/(lazyframe|dataframe)/frame", args.cprofile)
        print(out.getvalue())


if __name__ == "__main__":
    main()
