"""A Project's Dagster job for one partition against `dobo run` of the same Project and Period.

    .venv/bin/python -m benchmarks.dagster_vs_cli --rows 100000 --repeats 5
    .venv/bin/python -m benchmarks.dagster_vs_cli --rows 1000000 --repeats 5 --project prj-budget-vs-actual

Target (issue #13): the Dagster job run for one partition takes at most the
matching `dobo run` + 3 s.

Set-up (untimed), in a scratch folder: DOBO_HOME (SQLite metadata store;
outputs, trace and checkpoints under it), a DOBO_DATA_ROOT holding a copy of
``examples/finance/data`` whose ``2026/01/transactions.csv`` is replaced by N
GL lines (the example lines repeated, each copy's ``journal_id`` suffixed
with its copy number so the natural key stays unique), and a DAGSTER_HOME with
the repository's ``dagster.yaml``. The catalog is applied and the Periods are
generated with the ``dobo`` command as ``scripts/dagster_dev.py`` does; the
Dagster instance gets its partitions from one tick of the Period sync sensor.

Variants, each one process under ``/usr/bin/time -v`` (CPU seconds and peak
RSS of that process; see :mod:`benchmarks.side_by_side` for why not
``getrusage``), wall time around the process:

- A1 ``dobo run PROJECT --period P --checkpoints none``
- A2 ``dobo run PROJECT --period P --checkpoints operations``
- B  the Project's job for partition P, in-process executor, in a fresh
  process (:mod:`benchmarks.dagster_job`): interpreter start, imports, the
  code location built from the store and the instance all count, since a
  user waits for them.

A round runs A1 A2 B in that order, so the variants alternate; round 0 is a
warm-up (page cache, first imports, the instance's SQLite files) and is not
timed. Every Run overwrites the same destination files, so each variant's
outputs are copied right after its process; after every round the copies of
A1, A2 and B are compared value for value (types included), without the
columns that depend on the run id or the clock. A difference stops the
benchmark with exit status 1 and no report.

The report (stdout and ``benchmarks/results/dagster.md``, one section per N)
gives per-variant medians with min–max, B's phases as the child measured
them, and the paired differences B − A per round with the target marked.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from benchmarks.run import machine
from benchmarks.same_values import OutputsDiffer
from benchmarks.side_by_side import TIME, VariantFailed, _spread, _time_field

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks/results/dagster.md"
EXAMPLE_DATA = ROOT / "examples/finance/data"
TRANSACTIONS = "2026/01/transactions.csv"
CATALOG = "examples/finance/catalog"  # relative to ROOT, as scripts/dagster_dev.py passes it
CALENDAR = "finance"
YEARS = ("2025", "2026")
TARGET_SECONDS = 3.0
# Differ between two Runs of the same Project and Period by design (D26); as tests/dagster/helpers.py.
RUN_SPECIFIC = frozenset(
    {"_row_id", "_created_by_run_id", "_created_at", "_updated_at", "run_id", "event_id", "row_id", "recorded_at"}
)
SECTION = "<!-- dagster_vs_cli rows={rows} -->"
INHERITED = (
    "DOBO_CHECKPOINTS",
    "DOBO_METADATA_URL",
    "DOBO_OUTPUT_ROOT",
    "DOBO_SANDBOX_ROOT",
    "DOBO_TRACE_ROOT",
    "DOBO_CHECKPOINT_ROOT",
)


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    is_dagster: bool
    checkpoints: str = "none"  # `dobo run --checkpoints`; Dagster op boundaries are durable anyway


VARIANTS: tuple[Variant, ...] = (
    Variant("A1", "dobo run --checkpoints none", False, "none"),
    Variant("A2", "dobo run --checkpoints operations", False, "operations"),
    Variant("B", "Dagster job, in-process executor", True),
)


@dataclass(frozen=True)
class Scratch:
    """The isolated folders of one benchmark and the environment that points at them."""

    root: Path
    env: dict[str, str]

    @property
    def output_root(self) -> Path:
        return Path(self.env["DOBO_HOME"]) / "outputs"


@dataclass
class Sample:
    """One measured process."""

    wall: float
    cpu: float
    rss_mb: float
    load: float  # 1-minute load average when it started
    outputs: Path  # the copy of its outputs
    phases: dict[str, float] = field(default_factory=dict)  # B only: as the child measured them


@dataclass
class Outcome:
    project: str
    period: str
    rows: int
    repeats: int
    instance: str
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    compared: dict[str, int] = field(default_factory=dict)  # output file -> rows, last round
    rounds_compared: int = 0
    load_before: float = 0.0
    load_after: float = 0.0


# --- set-up ------------------------------------------------------------------------------------------


def write_transactions(template: Path, rows: int, target: Path) -> None:
    """``rows`` GL lines: the template's lines repeated, ``journal_id`` suffixed with the copy number.

    Every column is read and written as text, so amounts keep their two decimals, empty
    fields stay empty and the header is the template's own.
    """
    lines = pl.read_csv(template, infer_schema=False)
    height = lines.height
    columns = lines.columns
    index = pl.DataFrame({"n": pl.int_range(rows, eager=True)})
    copies = index.with_columns((pl.col("n") % height).alias("line"), (pl.col("n") // height).alias("copy"))
    joined = copies.join(lines.with_row_index("line").with_columns(pl.col("line").cast(pl.Int64)), on="line")
    # In order of n, each copy is the example file again (JE-001-0 lines 1, 2, JE-002-0 ..., JE-001-1 ...).
    out = joined.sort("n").with_columns(
        pl.concat_str(pl.col("journal_id"), pl.lit("-"), pl.col("copy").cast(pl.String)).alias("journal_id")
    )
    out.select(columns).write_csv(target)


def dobo(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([str(BIN / "dobo"), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise VariantFailed(f"dobo {' '.join(args)}: exit {done.returncode}\n{done.stderr.strip()[-2000:]}")


def prepare(root: Path, rows: int, progress: Callable[[str], None]) -> Scratch:
    """Data root, DOBO_HOME and DAGSTER_HOME under ``root``; catalog applied, Periods and partitions there."""
    data_root = root / "data-root"
    data = data_root / "examples/finance/data"
    shutil.copytree(EXAMPLE_DATA, data)
    progress(f"writing {rows:,} GL lines to {data / TRANSACTIONS}")
    write_transactions(EXAMPLE_DATA / TRANSACTIONS, rows, data / TRANSACTIONS)
    dagster_home = root / "dagster-home"
    dagster_home.mkdir()
    shutil.copyfile(ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {
        **os.environ,
        "DOBO_HOME": str(root / "dobo-home"),
        "DOBO_DATA_ROOT": str(data_root),
        "DAGSTER_HOME": str(dagster_home),
    }
    # Everything under DOBO_HOME, and each variant picks its own checkpoints: nothing inherited may decide.
    for name in INHERITED:
        env.pop(name, None)
    dobo(env, "apply", CATALOG)
    dobo(env, "periods", "generate", CALENDAR, "--from-year", YEARS[0], "--to-year", YEARS[1])
    synced = subprocess.run(
        [sys.executable, "-m", "benchmarks.dagster_job", "--sync-partitions"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if synced.returncode != 0:
        raise VariantFailed(f"syncing partitions failed\n{synced.stderr.strip()[-2000:]}")
    return Scratch(root, env)


# --- one measured process ----------------------------------------------------------------------------


def command_of(variant: Variant, project: str, period: str, instance: str) -> list[str]:
    if variant.is_dagster:
        extra = ["--ephemeral"] if instance == "ephemeral" else []
        return [sys.executable, "-m", "benchmarks.dagster_job", project, "--period", period, *extra]
    return [str(BIN / "dobo"), "run", project, "--period", period, "--checkpoints", variant.checkpoints]


def keep_outputs(scratch: Scratch, project: str, period: str, since: float, into: Path) -> Path:
    """Copy the Run's Parquet outputs now: the next Run of the same Project and Period overwrites them."""
    written = scratch.output_root / project / period
    files = sorted(written.rglob("*.parquet")) if written.exists() else []
    # A file older than the process is the previous variant's: this one did not write it.
    stale = [p for p in files if p.stat().st_mtime < since]
    if not files or stale:
        raise VariantFailed(f"no fresh Parquet output under {written} (stale: {[str(p) for p in stale]})")
    for path in files:
        copy = into / path.relative_to(written)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
    return into


def measure(
    variant: Variant, scratch: Scratch, project: str, period: str, instance: str, into: Path, timeout: float
) -> Sample:
    """Run one variant under ``/usr/bin/time -v``; wall time around the whole process."""
    command = [TIME, "-v", *command_of(variant, project, period, instance)]
    load = os.getloadavg()[0]
    since = time.time()
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, env=scratch.env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise VariantFailed(f"{variant.label}: timed out after {timeout:.0f} s") from None
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-12:])
        raise VariantFailed(f"{variant.label}: exit {done.returncode} after {wall:.1f} s\n{tail}")
    cpu = _time_field(done.stderr, "User time (seconds)") + _time_field(done.stderr, "System time (seconds)")
    rss_kb = _time_field(done.stderr, "Maximum resident set size (kbytes)")
    phases: dict[str, float] = {}
    if variant.is_dagster:
        report = json.loads(done.stdout.strip().splitlines()[-1])
        phases = {k.removesuffix("_seconds"): float(v) for k, v in report.items() if k.endswith("_seconds")}
    outputs = keep_outputs(scratch, project, period, since, into)
    return Sample(wall=wall, cpu=cpu, rss_mb=rss_kb / 1024, load=load, outputs=outputs, phases=phases)


# --- same values -------------------------------------------------------------------------------------


def comparable(path: Path) -> pl.DataFrame:
    """The file without run-specific columns, sorted by every remaining column."""
    frame = pl.read_parquet(path)
    frame = frame.drop([c for c in frame.columns if c in RUN_SPECIFIC])
    return frame.sort(frame.columns, nulls_last=True)


def compare_frames(left: pl.DataFrame, right: pl.DataFrame, what: str) -> int:
    """Raise :class:`OutputsDiffer` unless both hold the same rows with the same types; returns the rows."""
    if left.schema != right.schema:
        raise OutputsDiffer(f"{what}: schemas differ: {dict(left.schema)} vs {dict(right.schema)}")
    if left.height != right.height:
        raise OutputsDiffer(f"{what}: {left.height:,} rows vs {right.height:,} rows")
    differing = {name: int(left[name].ne_missing(right[name]).sum()) for name in left.columns}
    bad = {name: count for name, count in differing.items() if count}
    if bad:
        name = next(iter(bad))
        at = int(left[name].ne_missing(right[name]).arg_max() or 0)
        listing = ", ".join(f"{n} ({c:,} rows)" for n, c in bad.items())
        raise OutputsDiffer(
            f"{what}: values differ in {listing}; first at sorted row {at}: {left[name][at]!r} vs {right[name][at]!r}"
        )
    return left.height


def compare_outputs(produced: dict[str, Sample]) -> dict[str, int]:
    """Each variant's output files against the first variant's, file for file."""
    first, *others = produced
    reference = produced[first].outputs
    names = sorted(str(p.relative_to(reference)) for p in reference.rglob("*.parquet"))
    counted: dict[str, int] = {}
    for key in others:
        got = produced[key].outputs
        theirs = sorted(str(p.relative_to(got)) for p in got.rglob("*.parquet"))
        if theirs != names:
            raise OutputsDiffer(f"{first} wrote {names}, {key} wrote {theirs}")
        for name in names:
            what = f"{name}: {first} vs {key}"
            counted[name] = compare_frames(comparable(reference / name), comparable(got / name), what)
    return counted


# --- the benchmark -----------------------------------------------------------------------------------


def benchmark(
    scratch: Scratch,
    outcome: Outcome,
    *,
    variants: Sequence[Variant] = VARIANTS,
    timeout: float = 900,
    progress: Callable[[str], None] = print,
) -> Outcome:
    """Warm-up round, then ``outcome.repeats`` timed rounds; outputs compared after every round."""
    outcome.samples = {v.key: [] for v in variants}
    outcome.load_before = os.getloadavg()[0]
    for number in range(outcome.repeats + 1):
        name = "warm-up" if number == 0 else f"round {number}/{outcome.repeats}"
        kept = scratch.root / "kept" / f"round-{number}"
        produced: dict[str, Sample] = {}
        for v in variants:
            sample = measure(v, scratch, outcome.project, outcome.period, outcome.instance, kept / v.key, timeout)
            produced[v.key] = sample
            progress(
                f"{name}: {v.key} {v.label}: wall {sample.wall:.2f} s, CPU {sample.cpu:.2f} s, "
                f"peak RSS {sample.rss_mb:.0f} MB, load {sample.load:.2f}"
            )
        outcome.compared = compare_outputs(produced)
        outcome.rounds_compared += 1
        shutil.rmtree(kept, ignore_errors=True)
        if number > 0:
            for key, sample in produced.items():
                outcome.samples[key].append(sample)
    outcome.load_after = os.getloadavg()[0]
    return outcome


# --- the report --------------------------------------------------------------------------------------


def dagster_version() -> str:
    import dagster

    return str(dagster.__version__)


def _paired(outcome: Outcome, a: str, measure: Callable[[Sample], float]) -> tuple[list[float], list[float]]:
    """Per round: B − A and B / A of one measure."""
    runs = list(zip(outcome.samples["B"], outcome.samples[a], strict=True))
    return [measure(b) - measure(x) for b, x in runs], [measure(b) / measure(x) for b, x in runs]


def verdict(differences: Sequence[float]) -> str:
    """Met when the median paired difference is within the target; the worst round is reported beside it."""
    median, worst = statistics.median(differences), max(differences)
    if median <= TARGET_SECONDS:
        return "met" + ("" if worst <= TARGET_SECONDS else f" (worst round {worst:+.2f} s)")
    return "missed"


def phase_table(samples: Sequence[Sample]) -> list[str]:
    """B's phases as its process timed them; `start + exit` is the rest of the wall time
    (interpreter start before the first import, and interpreter shutdown)."""
    if not samples or not samples[0].phases:
        return []
    names = list(samples[0].phases)
    cells = [_spread([s.phases[n] for s in samples]) for n in names]
    cells.append(_spread([s.wall - sum(s.phases.values()) for s in samples]))
    return [
        "",
        "B's phases, seconds: median (min–max)",
        "",
        "| " + " | ".join([*names, "start + exit"]) + " |",
        "|" + "---:|" * (len(names) + 1),
        "| " + " | ".join(cells) + " |",
    ]


def report(outcome: Outcome, variants: Sequence[Variant], info: dict[str, str], command: str) -> str:
    loads = [s.load for v in variants for s in outcome.samples[v.key]]
    lines = [
        SECTION.format(rows=outcome.rows),
        f"## N = {outcome.rows:,} GL lines: `{outcome.project}`, Period {outcome.period}",
        "",
        f"Generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by `benchmarks/dagster_vs_cli.py`.",
        "",
        f"- CPU: {info['cpu']}; cores (nproc): {info['nproc']}; RAM: {info['memory']}; {info['os']}",
        f"- Python {info['python']}, Polars {info['polars']}, dagster {dagster_version()}; code: {info['engine']}",
        f"- 1-minute load average: {outcome.load_before:.2f} before, {outcome.load_after:.2f} after; "
        f"{min(loads):.2f}–{max(loads):.2f} at the starts of the timed processes",
        f"- command: `{command}`",
        f"- one warm-up round, then {outcome.repeats} timed round(s) of {' '.join(v.key for v in variants)}; "
        f"Dagster instance: {outcome.instance}",
        "- wall = whole process (interpreter start, imports, definitions included); CPU = user + system",
        "  seconds and peak RSS from `/usr/bin/time -v` around each process.",
        "",
        "| variant | | wall s | CPU s | peak RSS MB |",
        "|---|---|---:|---:|---:|",
    ]
    for v in variants:
        got = outcome.samples[v.key]
        lines.append(
            f"| {v.key} | {v.label} | {_spread([s.wall for s in got])} | {_spread([s.cpu for s in got])} | "
            f"{_spread([s.rss_mb for s in got], 0)} |"
        )
    lines += phase_table(outcome.samples.get("B", []))
    lines += [
        "",
        f"Paired per round, target B ≤ A + {TARGET_SECONDS:g} s on the median wall difference. On a shared",
        "machine wall time follows the load; the CPU difference is the steadier measure of B's extra work.",
        "",
        "| pair | B − A wall s | B / A wall | target (wall) | B − A CPU s | B / A CPU |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for a in (v.key for v in variants if not v.is_dagster):
        walls, wall_ratios = _paired(outcome, a, lambda s: s.wall)
        cpus, cpu_ratios = _paired(outcome, a, lambda s: s.cpu)
        lines.append(
            f"| B − {a} | {_spread(walls)} | {_spread(wall_ratios)}× | {verdict(walls)} | "
            f"{_spread(cpus)} | {_spread(cpu_ratios)}× |"
        )
    files = ", ".join(f"`{name}` ({rows:,} rows)" for name, rows in outcome.compared.items())
    lines += [
        "",
        f"Same values: {files} identical in A1, A2 and B after each of the {outcome.rounds_compared} rounds",
        f"(sorted by every column, types included, without {', '.join(sorted(RUN_SPECIFIC))}).",
        "",
    ]
    return "\n".join(lines)


def write_report(section: str, rows: int, out: Path) -> None:
    """Replace this N's section of ``out`` (or add it), keeping the other N's, in order of N."""
    header = "# dobo: a Dagster job run against `dobo run`\n\nTarget (issue #13): B ≤ A + 3 s. One section per N.\n\n"
    sections: dict[int, str] = {}
    if out.exists():
        for found in re.finditer(
            r"<!-- dagster_vs_cli rows=(\d+) -->\n.*?(?=<!-- dagster_vs_cli|\Z)", out.read_text(), re.S
        ):
            sections[int(found.group(1))] = found.group(0).rstrip("\n") + "\n"
    sections[rows] = section
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + "\n".join(sections[n] for n in sorted(sections)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="GL lines in the Period's transactions (N)")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds after the warm-up")
    parser.add_argument("--project", default="prj-budget-vs-actual")
    parser.add_argument("--period", default="2026-01")
    parser.add_argument(
        "--instance",
        choices=["persistent", "ephemeral"],
        default="persistent",
        help="B's Dagster instance: SQLite under a DAGSTER_HOME with dagster.yaml, or in memory",
    )
    parser.add_argument("--work", help="scratch folder (default: a new temporary one, removed afterwards)")
    parser.add_argument("--out", default=str(RESULTS), help="the Markdown report (one section per N)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per process")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.rows < 1:
        parser.error("--rows and --repeats must be at least 1")
    if not os.access(TIME, os.X_OK):
        parser.error(f"{TIME} is needed to measure each process's peak RSS (apt-get install time)")

    shown = argv if argv is not None else sys.argv[1:]
    command = " ".join([".venv/bin/python -m benchmarks.dagster_vs_cli", *map(shlex.quote, shown)])
    info = machine()
    root = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="dobo-dagster-vs-cli-"))
    outcome = Outcome(args.project, args.period, args.rows, args.repeats, args.instance)
    try:
        scratch = prepare(root, args.rows, print)
        benchmark(scratch, outcome, timeout=args.timeout)
    except OutputsDiffer as exc:
        print(f"dagster-vs-cli FAILED: the variants wrote different values: {exc}", file=sys.stderr)
        return 1
    except VariantFailed as exc:
        print(f"dagster-vs-cli FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.work:
            shutil.rmtree(root, ignore_errors=True)
    text = report(outcome, VARIANTS, info, command)
    write_report(text, args.rows, Path(args.out))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
