"""The engine benchmark, sequential: dobo against hand-written Polars on synthetic GL data.

Speed claims come from :mod:`benchmarks.side_by_side` (alternating runs,
paired ratios, outputs compared value for value); this script runs each
variant once, one after the other, and is kept for the 1M-to-5M scaling check
and the per-step times.

    .venv/bin/python -m benchmarks.run                          # N = 1M and 5M
    .venv/bin/python -m benchmarks.run --sizes 1000000,5000000
    .venv/bin/python -m benchmarks.run --quick                  # N = 100k smoke run

For each N the data is generated once (:mod:`benchmarks.gl_data`), then each
variant runs in its own process, one after the other: hand-written Polars,
dobo with trace off, dobo with trace on. Wall time is measured around the
process (interpreter start and imports included); peak RSS comes from
``/usr/bin/time -v`` when present, else from the process's own
``getrusage(RUSAGE_SELF)`` at its end. Results go to ``benchmarks/results/engine-sequential.md``.

Targets (judged at 5M rows, process wall time):
trace off <= 1.3x hand-written time and <= 1.5x its peak RSS; trace on <=
2.5x hand-written time; 5M rows take <= 6x the time of 1M (1.2x linear).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks/results/engine-sequential.md"
TIME = "/usr/bin/time"

TIME_RATIO_OFF = 1.3
RSS_RATIO_OFF = 1.5
TIME_RATIO_ON = 2.5
SCALING_SLACK = 1.2  # 5x the rows may take 6x the time
TARGET_N = 5_000_000

VARIANTS = (("handwritten", "hand-written Polars"), ("dobo-off", "dobo, trace off"), ("dobo-on", "dobo, trace on"))


@dataclass
class Measure:
    key: str
    label: str
    n: int
    wall: float | None = None  # process wall seconds; None when it failed
    run: float | None = None  # in-process seconds of the computation
    imports: float | None = None
    rss_mb: float | None = None
    cpu: float | None = None  # user + system CPU seconds of the process
    load: float = 0.0  # 1-minute load average when it started
    steps: list[dict] = field(default_factory=list)
    error: str | None = None


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    import polars

    engine = "unknown"
    try:  # read-only: which engine code was measured
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "dobo_engine"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        engine = f"commit {head}" + (" + local changes in dobo_engine/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        pass
    return {
        "engine": engine,
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "polars": polars.__version__,
    }


def _rss_from_time(stderr: str) -> float | None:
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(found.group(1)) / 1024 if found else None


def _cpu_from_time(stderr: str) -> float | None:
    user = re.search(r"User time \(seconds\): ([\d.]+)", stderr)
    system = re.search(r"System time \(seconds\): ([\d.]+)", stderr)
    return float(user.group(1)) + float(system.group(1)) if user and system else None


def measure(key: str, label: str, n: int, data: Path, work: Path, timeout: float) -> Measure:
    command = [sys.executable, "-m", "benchmarks.variant"]
    command += ["handwritten"] if key == "handwritten" else ["dobo"]
    command += ["--data", str(data), "--work", str(work)]
    if key == "dobo-on":
        command.append("--trace")
    use_time = os.access(TIME, os.X_OK)
    if use_time:
        command = [TIME, "-v", *command]
    result = Measure(key, label, n, load=os.getloadavg()[0])
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        result.error = f"timed out after {timeout:.0f} s"
        return result
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        result.error = f"exit {done.returncode}: {tail}"
        return result
    report = json.loads(done.stdout.strip().splitlines()[-1])
    result.wall = wall
    result.run = report["run_seconds"]
    result.imports = report["import_seconds"]
    result.steps = report["steps"]
    result.rss_mb = _rss_from_time(done.stderr) if use_time else None
    result.cpu = _cpu_from_time(done.stderr) if use_time else None
    if result.rss_mb is None:
        result.rss_mb = report["maxrss_kb"] / 1024
    if result.cpu is None:
        result.cpu = report["cpu_seconds"]
    return result


def generate(n: int, folder: Path, timeout: float) -> None:
    subprocess.run(
        [sys.executable, "-m", "benchmarks.gl_data", str(n), str(folder)], cwd=ROOT, check=True, timeout=timeout
    )


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "MISS (no result)"
    return f"{value:.2f}x — {'PASS' if value <= limit else 'MISS'} (≤ {limit}x)"


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def report(results: dict[int, dict[str, Measure]], info: dict[str, str], command: str, path: Path) -> str:
    sizes = sorted(results)
    lines = [
        "# dobo engine benchmark (sequential runs)",
        "",
        f"Generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by `benchmarks/run.py`.",
        "",
        "Pipeline: update with an FX RuntimeJoin (closing USD rate, as-of filter) → update with IF/ABS/ROUND →",
        "delete `ISNULL(cost_center_code)` → aggregate by account_code, currency (SUM ×4, COUNT_ALL) →",
        "output of the summary rows to Parquet. Hand-written: the same in plain Polars lazy code",
        "(`benchmarks/handwritten.py`). Data: `benchmarks/gl_data.py` (fixed seed).",
        "",
        "## Machine",
        "",
        f"- nproc: {info['nproc']}; CPU: {info['cpu']}; memory: {info['memory']}; {info['os']}",
        f"- Python {info['python']}, Polars {info['polars']}; engine code: {info['engine']}",
        f"- command: `{command}`",
        "- wall = whole process (interpreter start and imports included); run = in-process time of the",
        "  computation; CPU = user + system seconds of the process (all threads); RSS = peak resident set",
        "  size. Load = 1-minute load average at start: the machine may be shared, and a load above nproc",
        "  inflates wall times (CPU seconds are much less affected). PASS/MISS is judged on process wall.",
        "",
        "## Results",
        "",
        "| N | variant | wall s | run s | imports s | CPU s | peak RSS MB | load |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sizes:
        for m in results[n].values():
            if m.error:
                lines.append(f"| {n:,} | {m.label} | failed: {m.error.splitlines()[0]} | | | | | {m.load:.1f} |")
            else:
                lines.append(
                    f"| {n:,} | {m.label} | {_num(m.wall)} | {_num(m.run)} | {_num(m.imports)} | "
                    f"{_num(m.cpu)} | {_num(m.rss_mb, 0)} | {m.load:.1f} |"
                )
    lines += ["", "## Targets", ""]
    lines += ["| N | check | ratio (process wall) | ratio (run only) | ratio (process CPU) |", "|---:|---|---|---|---|"]
    for n in sizes:
        hw, off, on = (results[n].get(k) for k in ("handwritten", "dobo-off", "dobo-on"))
        note = "" if n == TARGET_N else " (target is set at 5M)"
        if hw and off:
            lines.append(
                f"| {n:,} | trace off time vs hand-written{note} | "
                f"{_verdict(_ratio(off.wall, hw.wall), TIME_RATIO_OFF)} | "
                f"{_verdict(_ratio(off.run, hw.run), TIME_RATIO_OFF)} | "
                f"{_verdict(_ratio(off.cpu, hw.cpu), TIME_RATIO_OFF)} |"
            )
            lines.append(
                f"| {n:,} | trace off peak RSS vs hand-written{note} | "
                f"{_verdict(_ratio(off.rss_mb, hw.rss_mb), RSS_RATIO_OFF)} | | |"
            )
        if hw and on:
            lines.append(
                f"| {n:,} | trace on time vs hand-written{note} | "
                f"{_verdict(_ratio(on.wall, hw.wall), TIME_RATIO_ON)} | "
                f"{_verdict(_ratio(on.run, hw.run), TIME_RATIO_ON)} | "
                f"{_verdict(_ratio(on.cpu, hw.cpu), TIME_RATIO_ON)} |"
            )
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        limit = SCALING_SLACK * large / small
        for key in ("handwritten", "dobo-off", "dobo-on"):
            a, b = results[small].get(key), results[large].get(key)
            if a and b:
                lines.append(
                    f"| {large:,} vs {small:,} | {a.label}: time ratio | "
                    f"{_verdict(_ratio(b.wall, a.wall), limit)} | {_verdict(_ratio(b.run, a.run), limit)} | "
                    f"{_verdict(_ratio(b.cpu, a.cpu), limit)} |"
                )
    lines += ["", "## dobo time per step (StepReport.seconds)", ""]
    for n in sizes:
        for key in ("dobo-off", "dobo-on"):
            m = results[n].get(key)
            if m and m.steps:
                cells = ", ".join(f"{s['order']} {s['type']} {s['seconds']:.2f}" for s in m.steps)
                lines.append(f"- {n:,}, {m.label}: {cells}")
    text = "\n".join(lines) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,5000000", help="comma-separated row counts")
    parser.add_argument("--quick", action="store_true", help="one small run (N = 100k)")
    parser.add_argument(
        "--data-root",
        default=os.path.join(tempfile.gettempdir(), "dobo-bench-data"),
        help="where generated data is kept between runs",
    )
    parser.add_argument("--out", default=str(RESULTS), help="the Markdown report")
    parser.add_argument("--variants", default="handwritten,dobo-off,dobo-on")
    parser.add_argument("--timeout", type=float, default=540, help="seconds allowed per process")
    args = parser.parse_args(argv)

    sizes = [100_000] if args.quick else [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    wanted = args.variants.split(",")
    info = machine()
    command = " ".join(["python -m benchmarks.run", *map(shlex.quote, argv if argv is not None else sys.argv[1:])])
    results: dict[int, dict[str, Measure]] = {}
    for n in sizes:
        data = Path(args.data_root) / f"n={n}"
        print(f"[{n:,}] generating data in {data}", flush=True)
        generate(n, data, args.timeout)
        results[n] = {}
        for key, label in VARIANTS:
            if key not in wanted:
                continue
            work = Path(tempfile.mkdtemp(prefix=f"dobo-bench-{key}-"))
            try:
                m = measure(key, label, n, data, work, args.timeout)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            results[n][key] = m
            shown = m.error or f"wall {m.wall:.2f} s, run {m.run:.2f} s, peak RSS {m.rss_mb:.0f} MB"
            print(f"[{n:,}] {label}: {shown} (load {m.load:.1f})", flush=True)
    print(report(results, info, command, Path(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
