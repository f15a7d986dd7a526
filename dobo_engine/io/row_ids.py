"""Deterministic, vectorised UUID v7 row ids (D26, operations.md §10).

Layout of the 128 bits (RFC 9562): 48 bits Unix milliseconds of the Run clock,
4 bits version (7), 12 bits ``rand_a``, 2 bits variant (``10``), 62 bits
``rand_b``. The 74 "random" bits come from a splitmix64 mix of a stable seed
and the row position:

* ``h1 = splitmix64(seed + position)`` is a bijection of the position (adding
  distinct positions to one seed gives distinct inputs, and splitmix64's
  finaliser is invertible), so all 64 bits of ``h1`` are placed in the id and
  ids are unique within a frame by construction, not by probability;
* the 10 remaining bits repeat the top bits of ``h1`` (a second mix would
  add nothing to uniqueness and cost a fifth of the time).

Polars' own ``hash()`` is stable only within one Polars version, so the seed
comes from ``hashlib`` and the mix is written out in UInt64 arithmetic (which
wraps, as splitmix64 needs). Polars expressions have no shift operators:
``x // 2**k`` shifts right, ``x * 2**k`` (wrapping) shifts left.

Physical form (D37). Inside the engine (working frames, checkpoints, trace
events until their file is written) an id is one ``UInt128`` column holding
the same 128 bits, read as a big-endian number: 16 bytes a row instead of 36
characters, arithmetic to build (no text), and ordered exactly like the
canonical text (fixed-width lowercase hex), so sorting and the time order of
v7 ids are unchanged. :func:`row_id_text` turns it into the canonical text
wherever a user or another tool reads ids (outputs, trace files, expressions);
:func:`row_id_from_text` reads a stored id. :func:`row_id_expr` still builds
the text directly (hand-written references and provisioned test data use it).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import polars as pl

_GAMMA = 0x9E3779B97F4A7C15
_MUL1 = 0xBF58476D1CE4E5B9
_MUL2 = 0x94D049BB133111EB
_MASK64 = (1 << 64) - 1
ROW_ID_DTYPE = pl.UInt128()  # the engine's form of `_row_id` (D37)
# The canonical text form (RFC 9562 §4); stored ids are read case-insensitively.
_UUID_TEXT = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Hex text of every 16-bit value; ids are built by gathering from it, which is
# far faster than formatting integers one nibble at a time.
_HEX4 = pl.Series("hex4", [f"{i:04x}" for i in range(1 << 16)], dtype=pl.Utf8)


def _u64(value: int) -> pl.Expr:
    return pl.lit(value & _MASK64, dtype=pl.UInt64)


def _shr(expr: pl.Expr, bits: int) -> pl.Expr:
    return expr // _u64(1 << bits)


def _low(expr: pl.Expr, bits: int) -> pl.Expr:
    return expr & _u64((1 << bits) - 1)


def _splitmix64(z: pl.Expr) -> pl.Expr:
    z = z + _u64(_GAMMA)
    z = (z ^ _shr(z, 30)) * _u64(_MUL1)
    z = (z ^ _shr(z, 27)) * _u64(_MUL2)
    return z ^ _shr(z, 31)


def _hex16(expr: pl.Expr) -> pl.Expr:
    """4 lowercase hex digits of a value < 2**16."""
    return pl.lit(_HEX4).gather(expr.cast(pl.UInt32))


def seed_of(text: str) -> int:
    """A stable 64-bit seed of ``text`` (same on every machine and Python/Polars version)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def seed_text(*parts: object) -> str:
    """Join D26 seed parts unambiguously, e.g. ``seed_text(run_id, order)``.

    Parts are length-prefixed so ``("a", "bc")`` and ``("ab", "c")`` differ.
    """
    return "\x1f".join(f"{len(str(p))}:{p}" for p in parts)


def _clock_ms(clock: datetime) -> int:
    if clock.tzinfo is None:
        clock = clock.replace(tzinfo=UTC)  # dobo clocks are UTC (GEN-5)
    # Integer arithmetic on timedeltas: float timestamps can be off by one ms.
    ms = (clock - _EPOCH) // timedelta(milliseconds=1)
    if not 0 <= ms < (1 << 48):
        raise ValueError(f"clock {clock.isoformat()} is outside the UUID v7 time range")
    return ms


def row_id_expr(clock: datetime, seed: str, *, offset: int = 0) -> pl.Expr:
    """An expression giving one UUID v7 text id per row of the frame it runs in.

    ``seed`` is the D26 identity: (run id, operation order) for created rows,
    (dataset id, table, location) for loaded rows; build it with :func:`seed_text`.
    ``offset`` shifts the row positions (for ids of rows appended after others
    drawn from the same seed). The result is deterministic for (clock, seed,
    position), unique within a frame, and sorts by time like any v7 id.
    """
    ms = _clock_ms(clock)
    time_text = f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-"
    position = pl.int_range(pl.len(), dtype=pl.UInt64) + _u64(offset)
    h1 = _splitmix64(_u64(seed_of(seed)) + position)
    # The text is built from h1 in one eager pass over a materialised column:
    # as a single lazy expression Polars recomputed h1 for each of its uses
    # (about 10x slower). The function is whole-column Polars, not a row loop.
    return h1.map_batches(lambda h: _format_ids(h, time_text), return_dtype=pl.Utf8)


def _format_ids(h1: pl.Series, time_text: str) -> pl.Series:
    h = pl.col("h1")
    rand_a = _shr(h, 52)  # 12 bits
    rand_b_hi = _low(_shr(h, 38), 14)  # 14 bits after the variant
    rand_b_lo = _low(h, 38) * _u64(1 << 10) + _shr(h, 54)  # 38 + 10 = 48 bits
    frame = h1.rename("h1").to_frame().with_columns(lo=rand_b_lo)
    lo = pl.col("lo")
    text = pl.concat_str(
        [
            pl.lit(time_text),
            _hex16(rand_a + _u64(0x7000)),  # version 7 in the top nibble
            pl.lit("-"),
            _hex16(rand_b_hi + _u64(0x8000)),  # variant bits 10
            pl.lit("-"),
            _hex16(_shr(lo, 32)),
            _hex16(_low(_shr(lo, 16), 16)),
            _hex16(_low(lo, 16)),
        ]
    )
    return frame.select(text.alias(h1.name)).to_series()


def row_id_compact_expr(clock: datetime, seed: str, *, offset: int = 0) -> pl.Expr:
    """The ids of :func:`row_id_expr`, as ``UInt128`` (D37): same bits, no text.

    ``row_id_text(row_id_compact_expr(c, s))`` equals ``row_id_expr(c, s)`` row
    for row. A plan that never reads ``_row_id`` drops the column (projection
    pushdown) and so builds no ids at all.
    """
    ms = _clock_ms(clock)
    position = pl.int_range(pl.len(), dtype=pl.UInt64) + _u64(offset)
    h1 = _splitmix64(_u64(seed_of(seed)) + position)
    # One eager pass over the materialised h1, for the reason given in row_id_expr.
    return h1.map_batches(lambda h: _compact_ids(h, ms), return_dtype=ROW_ID_DTYPE)


def _compact_ids(h1: pl.Series, ms: int) -> pl.Series:
    h = pl.col("h1")
    # The layout of _format_ids as two 64-bit halves. hi: 48 bits ms, version 7, then
    # rand_a (the top 12 bits of h). lo: variant 10, then h rotated left by 10 bits
    # (h's bits 51..0, then its top 10 bits), whose top two bits the variant replaces.
    hi = _u64((ms << 16) | 0x7000) + _shr(h, 52)
    lo = _u64(0x8000 << 48) + _low(h * _u64(1 << 10), 62) + _shr(h, 54)
    wide = hi.cast(ROW_ID_DTYPE) * pl.lit(1 << 64, dtype=ROW_ID_DTYPE) + lo.cast(ROW_ID_DTYPE)
    return h1.rename("h1").to_frame().select(wide.alias(h1.name)).to_series()


def row_id_text(ids: pl.Expr) -> pl.Expr:
    """Canonical UUID text (lowercase, 8-4-4-4-12) of ``UInt128`` ids; NULL stays NULL.

    Ids that are text already (frames built outside the engine) pass unchanged.
    """
    return ids.map_batches(_text_of_ids, return_dtype=pl.Utf8)


def _text_of_ids(ids: pl.Series) -> pl.Series:
    if ids.dtype != ROW_ID_DTYPE:
        return ids.cast(pl.Utf8)
    # Eager, halves materialised once: as one lazy expression each 16-bit group
    # would recompute its half from the 128-bit column.
    wide = pl.col("id")
    halves = (
        ids.rename("id")
        .to_frame()
        .select(
            hi=(wide // pl.lit(1 << 64, dtype=ROW_ID_DTYPE)).cast(pl.UInt64),
            lo=(wide & pl.lit(_MASK64, dtype=ROW_ID_DTYPE)).cast(pl.UInt64),
        )
    )

    def group(half: str, index: int) -> pl.Expr:  # 16-bit group `index` of a half, 0 = most significant
        shifted = _shr(pl.col(half), 48 - 16 * index)
        return _hex16(_low(shifted, 16) if index else shifted)

    text = pl.concat_str(
        [
            group("hi", 0),
            group("hi", 1),
            pl.lit("-"),
            group("hi", 2),
            pl.lit("-"),
            group("hi", 3),
            pl.lit("-"),
            group("lo", 0),
            pl.lit("-"),
            group("lo", 1),
            group("lo", 2),
            group("lo", 3),
        ]
    )
    return halves.select(text.alias(ids.name)).to_series()


def row_id_from_text(text: pl.Expr) -> pl.Expr:
    """``UInt128`` of UUID text (either case); NULL where the text is no UUID (see :func:`is_row_id_text`)."""
    digits = text.str.replace_all("-", "", literal=True)
    return pl.when(is_row_id_text(text)).then(digits.str.to_integer(base=16, dtype=ROW_ID_DTYPE, strict=False))


def is_row_id_text(text: pl.Expr) -> pl.Expr:
    """True where ``text`` is a UUID in its 8-4-4-4-12 hex form (what a stored ``_row_id`` must be)."""
    return text.str.contains(_UUID_TEXT)


def readable_row_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with a ``UInt128`` ``_row_id`` column as its text, the form users read (D37)."""
    if frame.schema.get("_row_id") != ROW_ID_DTYPE:
        return frame
    return frame.with_columns(row_id_text(pl.col("_row_id")).alias("_row_id"))
