"""dobo side by side with hand-written Polars: alternating runs, paired ratios, same values.

    .venv/bin/python -m benchmarks.side_by_side                      # N = 1M, 5 timed rounds
    .venv/bin/python -m benchmarks.side_by_side --rows 1000000 --repeats 5

The data for N rows is generated once (:mod:`benchmarks.gl_data`). Each
variant runs in its own process (:mod:`benchmarks.variant`); one round runs
every variant once, in the order of :data:`VARIANTS`, so dobo and its
references alternate (A B A B ...). Round 0 is a warm-up (page cache, first
imports) and is not timed; ``--repeats`` rounds follow.

Each dobo variant is paired with every reference whose files it also writes
(:func:`pairs`): dobo with only the summary output against the summary-only
reference; dobo with the rows output against all three references, and with the rows
output but no `_row_id` column against the two that write no `_row_id`.

Per process: wall time around the process (interpreter start and imports
included), and CPU seconds (user + system) and peak RSS as reported by
``/usr/bin/time -v`` wrapped around it. Neither ``getrusage(RUSAGE_CHILDREN)``
nor the child's own rusage will do: Linux carries the launching process's
high-water RSS into a child's ``ru_maxrss`` across fork and exec, so a child
of this harness (which holds the compared outputs in memory) would report at
least the harness's peak, and ``RUSAGE_CHILDREN`` keeps a running maximum over
all children besides. ``time`` itself is a tiny process, so the child it starts
reports only its own peak. A paired ratio divides a dobo run by the reference
run of the same round; the report gives medians with min–max.

After every round (warm-up included) each dobo output is compared value for
value with each reference's output of that round (:mod:`benchmarks.same_values`);
a difference stops the benchmark with exit status 1 and no report.

The report (``benchmarks/results/engine.md``) names the machine, the
1-minute load average before and after, and the exact command.
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

from benchmarks.run import machine
from benchmarks.same_values import OutputsDiffer, compare_files

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks/results/engine.md"
TIME = "/usr/bin/time"
SUMMARY_KEYS = ["account_code", "currency"]
# Kept GL lines are keyed by (journal_id, line_number); summary rows have no journal and are
# keyed by (account_code, currency).
ROW_KEYS = ["journal_id", "line_number", "account_code", "currency"]


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    arguments: tuple[str, ...]  # for benchmarks.variant
    is_dobo: bool
    writes_rows: bool  # writes the rows file (operation=60) besides the summary
    writes_row_ids: bool


VARIANTS: tuple[Variant, ...] = (
    Variant("ref-summary", "reference: summary only", ("handwritten",), False, False, False),
    Variant("dobo-summary", "dobo, trace off, summary output only", ("dobo",), True, False, False),
    Variant("ref-rows", "reference: detail + summary rows", ("handwritten-rows",), False, True, False),
    Variant(
        "dobo-off-no-ids",
        "dobo, trace off, rows output without _row_id",
        ("dobo", "--rows-output", "--no-row-ids"),
        True,
        True,
        False,
    ),
    Variant("dobo-off", "dobo, trace off", ("dobo", "--rows-output"), True, True, True),
    Variant(
        "dobo-durable",
        "dobo, trace off, checkpoints: operations",
        ("dobo", "--rows-output", "--checkpoints", "operations"),
        True,
        True,
        True,
    ),
    Variant(
        "ref-rows-ids",
        "reference: detail + summary rows + _row_id",
        ("handwritten-rows", "--row-ids"),
        False,
        True,
        True,
    ),
    Variant("dobo-on", "dobo, trace on", ("dobo", "--rows-output", "--trace"), True, True, True),
)


def pairs(variants: Sequence[Variant]) -> list[tuple[Variant, Variant]]:
    """(dobo, reference) pairs where dobo writes every file (and column) the reference writes."""
    return [
        (d, r)
        for d in variants
        if d.is_dobo
        for r in variants
        if not r.is_dobo and (d.writes_rows or not r.writes_rows) and (d.writes_row_ids or not r.writes_row_ids)
    ]


@dataclass
class Sample:
    """One measured process."""

    wall: float
    cpu: float
    rss_mb: float
    run: float  # in-process seconds of the computation
    imports: float
    outputs: list[Path]


@dataclass
class Comparison:
    dobo: str
    reference: str
    what: str
    rows: int


@dataclass
class Outcome:
    rows: int
    repeats: int
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)  # of the last round
    rounds_compared: int = 0
    load_before: float = 0.0
    load_after: float = 0.0
    loads: list[float] = field(default_factory=list)  # at the start of each timed process


class VariantFailed(Exception):
    """A variant's process exited non-zero or timed out."""


def _time_field(stderr: str, label: str) -> float:
    found = re.search(rf"^\s*{re.escape(label)}: ([\d.]+)$", stderr, re.MULTILINE)
    if found is None:
        raise VariantFailed(f"{TIME} -v printed no {label!r}")
    return float(found.group(1))


def run_process(variant: Variant, data: Path, work: Path, timeout: float) -> Sample:
    """Run one variant in a child process under ``/usr/bin/time -v`` and measure it."""
    command = [
        TIME,
        "-v",
        sys.executable,
        "-m",
        "benchmarks.variant",
        *variant.arguments,
        "--data",
        str(data),
        "--work",
        str(work),
    ]
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise VariantFailed(f"{variant.label}: timed out after {timeout:.0f} s") from None
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise VariantFailed(f"{variant.label}: exit {done.returncode} after {wall:.1f} s\n{tail}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    cpu = _time_field(done.stderr, "User time (seconds)") + _time_field(done.stderr, "System time (seconds)")
    rss_kb = _time_field(done.stderr, "Maximum resident set size (kbytes)")
    return Sample(
        wall=wall,
        cpu=cpu,
        rss_mb=rss_kb / 1024,
        run=report["run_seconds"],
        imports=report["import_seconds"],
        outputs=[Path(p) for p in report["outputs"]],
    )


def compare_round(produced: dict[str, Sample], variants: Sequence[Variant]) -> list[Comparison]:
    """Each dobo output against each reference's output of the same round."""
    done: list[Comparison] = []
    for d, r in pairs(variants):
        dobo, ref = produced[d.key].outputs, produced[r.key].outputs
        what = f"summary of {d.label} vs {r.label}"
        done.append(Comparison(d.key, r.key, "summary", compare_files(dobo[0], ref[0], keys=SUMMARY_KEYS, what=what)))
        if r.writes_rows:
            what = f"rows of {d.label} vs {r.label}"
            drop = ("_row_id",) if d.writes_row_ids and not r.writes_row_ids else ()
            counted = compare_files(dobo[1], ref[1], keys=ROW_KEYS, what=what, drop=drop)
            done.append(Comparison(d.key, r.key, "rows" + (" + _row_id" if r.writes_row_ids else ""), counted))
    return done


def side_by_side(
    rows: int,
    repeats: int,
    data_root: Path,
    *,
    variants: Sequence[Variant] = VARIANTS,
    timeout: float = 540,
    progress: Callable[[str], None] = print,
    after_variant: Callable[[Variant, Sample], None] | None = None,
) -> Outcome:
    """Warm-up round, then ``repeats`` timed rounds; outputs compared after every round.

    ``after_variant`` is called with each finished process's sample before the
    round's comparison (a test uses it to alter a reference output).
    """
    if not pairs(variants):
        raise ValueError("side by side needs a dobo variant and a reference whose files it also writes")
    if not os.access(TIME, os.X_OK):
        raise VariantFailed(f"{TIME} is needed to measure each process's peak RSS (apt-get install time)")
    data = data_root / f"n={rows}"
    progress(f"generating {rows:,} rows in {data}")
    subprocess.run(
        [sys.executable, "-m", "benchmarks.gl_data", str(rows), str(data)], cwd=ROOT, check=True, timeout=timeout
    )
    outcome = Outcome(rows=rows, repeats=repeats, samples={v.key: [] for v in variants})
    outcome.load_before = os.getloadavg()[0]
    for round_number in range(repeats + 1):
        name = "warm-up" if round_number == 0 else f"round {round_number}/{repeats}"
        scratch = Path(tempfile.mkdtemp(prefix="dobo-side-by-side-"))
        try:
            produced: dict[str, Sample] = {}
            for v in variants:
                if round_number > 0:
                    outcome.loads.append(os.getloadavg()[0])
                sample = run_process(v, data, scratch / v.key, timeout)
                if after_variant is not None:
                    after_variant(v, sample)
                produced[v.key] = sample
                progress(f"{name}: {v.label}: wall {sample.wall:.2f} s, peak RSS {sample.rss_mb:.0f} MB")
            outcome.comparisons = compare_round(produced, variants)
            outcome.rounds_compared += 1
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if round_number > 0:
            for key, sample in produced.items():
                outcome.samples[key].append(sample)
    outcome.load_after = os.getloadavg()[0]
    return outcome


def _spread(values: Sequence[float], digits: int = 2) -> str:
    return f"{statistics.median(values):,.{digits}f} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


def report(outcome: Outcome, variants: Sequence[Variant], info: dict[str, str], command: str) -> str:
    lines = [
        "# dobo engine benchmark, side by side",
        "",
        f"Generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by `benchmarks/side_by_side.py`.",
        "",
        "Pipeline (`benchmarks/dobo_run.py`, with its rows output): update with an FX RuntimeJoin (closing USD",
        "rate, as-of filter) → update with IF/ABS/ROUND → delete `ISNULL(cost_center_code)` → aggregate by",
        "account_code, currency (SUM ×4, COUNT_ALL) → output of the summary rows (operation 50) → output of",
        "every visible row, kept GL lines then summary rows, user columns and `_row_id` (operation 60).",
        "References: `benchmarks/handwritten.py` (summary only) and `benchmarks/handwritten_rows.py` (both",
        "files, without or with `_row_id`, ids from dobo's `row_id_expr`). Data: `benchmarks/gl_data.py`.",
        "",
        "## Machine and method",
        "",
        f"- CPU: {info['cpu']}; cores (nproc): {info['nproc']}; RAM: {info['memory']}; {info['os']}",
        f"- Python {info['python']}, Polars {info['polars']}; engine code: {info['engine']}",
        f"- 1-minute load average: {outcome.load_before:.2f} before, {outcome.load_after:.2f} after; "
        f"{min(outcome.loads):.2f}–{max(outcome.loads):.2f} at the starts of the timed processes",
        f"- command: `{command}`",
        f"- N = {outcome.rows:,} GL lines; one warm-up round, then {outcome.repeats} timed round(s); each round",
        f"  runs every variant once in this order: {', '.join(v.key for v in variants)}.",
        "- wall = whole process (interpreter start and imports included); run = in-process time of the",
        "  computation; CPU = user + system seconds and peak RSS = maximum resident set size, both from",
        "  `/usr/bin/time -v` around each process.",
        "- A paired ratio divides a dobo run by the reference run of the same round; dobo is paired with",
        "  each reference whose files it also writes.",
        "",
        "## Per variant: median (min–max)",
        "",
        "| variant | wall s | run s | CPU s | peak RSS MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for v in variants:
        got = outcome.samples[v.key]
        lines.append(
            f"| {v.label} | {_spread([s.wall for s in got])} | {_spread([s.run for s in got])} | "
            f"{_spread([s.cpu for s in got])} | {_spread([s.rss_mb for s in got], 0)} |"
        )
    lines += [
        "",
        "## Paired ratios dobo / reference: median (min–max)",
        "",
        "| dobo | reference | wall | run | CPU | peak RSS |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for d, r in pairs(variants):
        runs = list(zip(outcome.samples[d.key], outcome.samples[r.key], strict=True))
        cells = [
            _spread([a.wall / b.wall for a, b in runs]),
            _spread([a.run / b.run for a, b in runs]),
            _spread([a.cpu / b.cpu for a, b in runs]),
            _spread([a.rss_mb / b.rss_mb for a, b in runs]),
        ]
        lines.append(f"| {d.label} | {r.label} | {' | '.join(c + '×' for c in cells)} |")
    lines += [
        "",
        f"## Same values (checked after each of the {outcome.rounds_compared} rounds; last round shown)",
        "",
        "| dobo | reference | output | rows | |",
        "|---|---|---|---:|---|",
    ]
    labels = {v.key: v.label for v in variants}
    for c in outcome.comparisons:
        lines.append(f"| {labels[c.dobo]} | {labels[c.reference]} | {c.what} | {c.rows:,} | identical |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None, *, after_variant: Callable[[Variant, Sample], None] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="GL lines to generate (N)")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds after the warm-up")
    parser.add_argument(
        "--variants",
        default=",".join(v.key for v in VARIANTS),
        help="comma-separated subset of: " + ", ".join(v.key for v in VARIANTS),
    )
    parser.add_argument(
        "--data-root",
        default=os.path.join(tempfile.gettempdir(), "dobo-bench-data"),
        help="where generated data is kept between runs",
    )
    parser.add_argument("--out", default=str(RESULTS), help="the Markdown report")
    parser.add_argument("--timeout", type=float, default=540, help="seconds allowed per process")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    known = {v.key: v for v in VARIANTS}
    wanted = [k for k in args.variants.split(",") if k]
    unknown = [k for k in wanted if k not in known]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(known)}")
    variants = [v for v in VARIANTS if v.key in wanted]
    if not pairs(variants):
        parser.error("--variants needs a dobo variant and a reference whose files it also writes")

    shown = argv if argv is not None else sys.argv[1:]
    command = " ".join([".venv/bin/python -m benchmarks.side_by_side", *map(shlex.quote, shown)])
    info = machine()
    try:
        outcome = side_by_side(
            args.rows,
            args.repeats,
            Path(args.data_root),
            variants=variants,
            timeout=args.timeout,
            after_variant=after_variant,
        )
    except OutputsDiffer as exc:
        print(f"side-by-side FAILED: dobo and its reference wrote different values: {exc}", file=sys.stderr)
        return 1
    except VariantFailed as exc:
        print(f"side-by-side FAILED: {exc}", file=sys.stderr)
        return 1
    text = report(outcome, variants, info, command)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
