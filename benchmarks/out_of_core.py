"""A Period larger than the memory it may use: dobo with trace off under a memory cap.

    python -m benchmarks.out_of_core --rows 50000000 --cap-gib 4

Generates the benchmark GL data (``benchmarks.gl_data``; reused when already
there), then runs the benchmark Project with trace off
(``benchmarks.variant dobo``) twice in child processes: once inside a memory
cgroup capped at ``--cap-gib`` (cgroup v1 ``memory.limit_in_bytes`` and
``memory.memsw.limit_in_bytes``, or v2 ``memory.max`` with swap off; the
kernel kills the process if it goes over), and once without a cap. Both
summaries are compared value for value; a difference, or a capped run that
does not finish, exits with status 1. Peak RSS comes from ``/usr/bin/time -v``
and the cgroup's own high-water mark.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import gl_data
from benchmarks.same_values import OutputsDiffer, compare_files

CGROUP_V1 = Path("/sys/fs/cgroup/memory")
CGROUP_V2 = Path("/sys/fs/cgroup")


def make_cgroup(name: str, cap_bytes: int) -> tuple[Path, str]:
    """A memory cgroup capped at ``cap_bytes`` (no swap); its folder and the kind ('v1' or 'v2')."""
    if (CGROUP_V1 / "memory.limit_in_bytes").exists():
        group = CGROUP_V1 / name
        group.mkdir(exist_ok=True)
        (group / "memory.limit_in_bytes").write_text(str(cap_bytes))
        swap = group / "memory.memsw.limit_in_bytes"
        if swap.exists():
            swap.write_text(str(cap_bytes))
        return group, "v1"
    group = CGROUP_V2 / name
    group.mkdir(exist_ok=True)
    (group / "memory.max").write_text(str(cap_bytes))
    (group / "memory.swap.max").write_text("0")
    return group, "v2"


def peak_of(group: Path, kind: str) -> int:
    name = "memory.max_usage_in_bytes" if kind == "v1" else "memory.peak"
    path = group / name
    return int(path.read_text()) if path.exists() else -1


def run_dobo(data: Path, work: Path, group: Path | None, trace: bool = False) -> dict[str, object]:
    """One `benchmarks.variant dobo` process, inside ``group`` when given."""
    command = [sys.executable, "-m", "benchmarks.variant", "dobo", "--data", str(data), "--work", str(work)]
    if trace:
        command.append("--trace")
    timed = ["/usr/bin/time", "-v", *command]
    if group is not None:  # join the cgroup, then become the measured process
        timed = ["sh", "-c", f'echo $$ > "{group}/cgroup.procs" && exec "$@"', "sh", *timed]
    started = time.perf_counter()
    done = subprocess.run(timed, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    wall = time.perf_counter() - started
    rss = next(
        (int(line.split(":")[1]) for line in done.stderr.splitlines() if "Maximum resident set size" in line), -1
    )
    result: dict[str, object] = {"exit": done.returncode, "wall_s": round(wall, 1), "peak_rss_mb": rss // 1024}
    if done.returncode == 0:
        result |= json.loads(done.stdout.strip().splitlines()[-1])
    else:
        result["stderr"] = done.stderr[-2000:]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--cap-gib", type=float, default=4.0)
    parser.add_argument("--data", type=Path, default=None, help="data folder (default: a temp folder per size)")
    parser.add_argument("--trace", action="store_true", help="trace on (default: off)")
    args = parser.parse_args(argv)
    data = args.data or Path(tempfile.gettempdir()) / f"dobo-bench-{args.rows}"
    generated = time.perf_counter()
    gl_data.generate(args.rows, data)
    size = (data / gl_data.TRANSACTIONS).stat().st_size
    print(f"data: {args.rows:,} rows, {size / 2**20:.0f} MiB ({time.perf_counter() - generated:.0f} s)", flush=True)
    cap = int(args.cap_gib * 2**30)
    group, kind = make_cgroup(f"dobo-out-of-core-{os.getpid()}", cap)
    try:
        with tempfile.TemporaryDirectory() as capped_work, tempfile.TemporaryDirectory() as free_work:
            capped = run_dobo(data, Path(capped_work), group, args.trace)
            capped["cgroup_peak_mb"] = peak_of(group, kind) // 2**20
            label = f"trace {'on' if args.trace else 'off'}, capped at {args.cap_gib} GiB (cgroup {kind})"
            print(f"{label}: {json.dumps(_brief(capped))}", flush=True)
            free = run_dobo(data, Path(free_work), None, args.trace)
            print(f"no cap: {json.dumps(_brief(free))}", flush=True)
            if capped["exit"] != 0 or free["exit"] != 0:
                print("a run failed:", capped.get("stderr") or free.get("stderr"), file=sys.stderr)
                return 1
            try:
                rows = compare_files(
                    Path(str(capped["output"])),
                    Path(str(free["output"])),
                    keys=["account_code", "currency"],
                    what="summary under the cap vs in memory",
                )
            except OutputsDiffer as err:
                print(f"summaries differ: {err}", file=sys.stderr)
                return 1
            print(f"summaries equal value for value ({rows:,} rows)", flush=True)
            return 0
    finally:
        group.rmdir()


def _brief(result: dict[str, object]) -> dict[str, object]:
    keys = ("exit", "wall_s", "run_seconds", "peak_rss_mb", "cgroup_peak_mb")
    return {k: result[k] for k in keys if k in result}


if __name__ == "__main__":
    sys.exit(main())
