"""The side-by-side engine benchmark: dobo and its hand-written references run
alternately, and every dobo output must hold the same values as each
reference's output of the same round, or the benchmark fails.

Tiny N and one timed round: this checks the harness end to end, not speed
(no timing assertions)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from benchmarks import gl_data, handwritten_rows
from benchmarks.same_values import OutputsDiffer, compare_frames
from benchmarks.side_by_side import VARIANTS, Sample, Variant, main

N = 20_000

# GNU time measures each variant's own peak RSS; CI installs it (.ci/run) when missing.
needs_gnu_time = pytest.mark.skipif(not Path("/usr/bin/time").exists(), reason="/usr/bin/time (Debian `time`) missing")


def _run(tmp_path: Path, **hooks) -> tuple[int, Path]:
    out = tmp_path / "engine.md"
    code = main(["--rows", str(N), "--repeats", "1", "--data-root", str(tmp_path / "data"), "--out", str(out)], **hooks)
    return code, out


@needs_gnu_time
def test_side_by_side_reports_every_variant_with_identical_outputs(tmp_path):
    code, out = _run(tmp_path)

    assert code == 0
    text = out.read_text()
    for variant in VARIANTS:
        assert f"| {variant.label} |" in text
    assert "1-minute load average:" in text and "command: `" in text and "Polars" in text
    # dobo with the summary output only: its summary against the summary-only reference; dobo trace
    # off (under each checkpoint policy) and on: 3 summaries + 2 rows files each; dobo trace off
    # without `_row_id` in its rows output: 2 summaries + 1 rows file. The last round is shown.
    assert text.count("| identical |") == 19
    assert "checked after each of the 2 rounds" in text
    # The rows file holds the 18,373 lines with a cost center, then the 1,813 summary rows.
    assert "| rows + _row_id | 20,186 | identical |" in text


def _perturb(key: str, column: str) -> Callable[[Variant, Sample], None]:
    """A hook that changes one value of one reference output after its process wrote it."""

    def hook(variant: Variant, sample: Sample) -> None:
        if variant.key != key:
            return
        path = sample.outputs[-1]
        frame = pl.read_parquet(path)
        changed = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == 7)
            .then(
                pl.col(column) + pl.lit(Decimal("0.01"))
                if frame.schema[column].is_decimal()
                else pl.col(column).str.replace(r"^.", "f")
            )
            .otherwise(pl.col(column))
            .cast(frame.schema[column])
            .alias(column)
        )
        changed.write_parquet(path)

    return hook


@needs_gnu_time
@pytest.mark.parametrize(
    ("key", "column"),
    [("ref-summary", "total_reporting"), ("ref-rows", "amount_reporting"), ("ref-rows-ids", "_row_id")],
)
def test_side_by_side_fails_loudly_when_a_reference_output_differs(tmp_path, capsys, key, column):
    code, out = _run(tmp_path, after_variant=_perturb(key, column))

    assert code == 1
    message = capsys.readouterr().err
    assert "different values" in message and column in message and "first at" in message
    assert not out.exists()  # no numbers are reported for outputs that differ


def test_one_millionth_of_a_decimal_is_a_difference():
    a = pl.DataFrame(
        {"k": ["x", "y"], "v": [Decimal("1.000000"), Decimal("2.000000")]},
        schema={"k": pl.Utf8, "v": pl.Decimal(38, 6)},
    )
    b = a.with_columns(
        pl.when(pl.col("k") == "y")
        .then(pl.lit(Decimal("2.000001")))
        .otherwise(pl.col("v"))
        .cast(pl.Decimal(38, 6))
        .alias("v")
    )
    assert compare_frames(a, a.reverse(), keys=["k"], what="same rows, other order") == 2
    with pytest.raises(OutputsDiffer, match=r"first at k='y': v = Decimal\('2.000000'\)"):
        compare_frames(a, b, keys=["k"], what="t")
    with pytest.raises(OutputsDiffer, match="Decimal"):
        compare_frames(a, a.with_columns(pl.col("v").cast(pl.Decimal(38, 2))), keys=["k"], what="scale")


def test_reference_row_ids_are_unique_uuids_with_summary_rows_last_d26_op_agg_3(tmp_path):
    data = gl_data.generate(2_000, tmp_path / "data")
    _, rows = handwritten_rows.run(data, tmp_path / "out", row_ids=True)
    frame = pl.read_parquet(rows)
    ids = frame["_row_id"]
    assert ids.n_unique() == frame.height and ids.str.contains(r"^[0-9a-f]{8}-[0-9a-f]{4}-7").all()
    # Summary rows (OP-AGG-3) come after the kept lines and draw their ids from another seed.
    summary = frame.filter(pl.col("journal_id").is_null())
    assert summary.height > 0 and frame.tail(summary.height)["journal_id"].is_null().all()


@needs_gnu_time
def test_peak_rss_is_the_variants_own_not_the_harnesss(tmp_path):
    """Linux carries a parent's high-water RSS into a child's ru_maxrss; the
    harness measures through /usr/bin/time so a large harness does not leak in."""
    held: list[bytes] = []
    seen: dict[str, float] = {}

    def grow_the_harness(variant: Variant, sample: Sample) -> None:
        seen[variant.key] = sample.rss_mb
        if not held:
            held.append(b"\x01" * (400 * 2**20))  # written, so resident: 400 MB in this process

    code, _ = _run(tmp_path, after_variant=grow_the_harness)

    assert code == 0
    assert seen["ref-rows"] < 300, seen
