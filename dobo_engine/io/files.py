"""Loading Parquet and CSV locations from local disk or object stores.

Frames are scanned lazily; a location that does not exist is ``DataNotFound``
(RES-8) and an existing empty (0-byte) file, Parquet or CSV, gives zero rows.
CSV is read as text so that DS-6 converts every value exactly (no inferred
floats for decimals).

Because scans are lazy, a bad file would otherwise fail only when the Run
collects it, far from where it was named. So each file is checked up front,
cheaply, and refused with its DataSource, path, table and Period: a Parquet
file must have a readable footer (``UnreadableData``); a CSV file must be
UTF-8 (``UnreadableData``) and every row must carry every field
(``SchemaMismatch``, DS-6: a short row would otherwise load with NULLs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from dobo_engine.columns import system_columns_for
from dobo_engine.errors import DataNotFound, SchemaMismatch, UnreadableData, UnsupportedSourceType
from dobo_engine.io import storage
from dobo_engine.io.credentials import resolve_credential, storage_options
from dobo_engine.io.paths import join_under_prefix
from dobo_engine.io.protocols import DataSourceLike, ResolvedLocationLike, TableSchemaLike

FILE_TYPES = ("parquet", "csv")
_LINE_SEPARATOR = "\x1f"  # a byte no CSV uses, so each physical line reads as one field
_EXAMPLE_LINES = 3


def csv_options(datasource: DataSourceLike) -> tuple[str, bool]:
    """(delimiter, has_header) of a csv DataSource (SRC table of options)."""
    options = datasource.options or {}
    delimiter = str(options.get("delimiter", ","))
    if len(delimiter) != 1:
        raise UnsupportedSourceType(f"DataSource {datasource.id!r}: delimiter must be one character")
    return delimiter, bool(options.get("has_header", True))


def _physical_names(table_schema: TableSchemaLike, count: int) -> list[str]:
    # A headerless CSV holds the declared columns in order, then the table's
    # system columns in convention order (what dobo writes without a header).
    names = [c.name for c in table_schema.columns] + system_columns_for(table_schema.temporal_mode)
    if table_schema.temporal_mode == "bitemporal":
        names += ["_valid_from", "_valid_to"]
    return names[:count] + [f"column_{i + 1}" for i in range(len(names), count)]


class FileLoader:
    """``DataLoader`` for ``parquet`` and ``csv`` DataSources."""

    def __init__(self, datasource: DataSourceLike, *, data_root: str | None = None) -> None:
        if datasource.type not in FILE_TYPES:
            raise UnsupportedSourceType(f"DataSource {datasource.id!r} of type {datasource.type!r} holds no files")
        self.datasource = datasource
        self.data_root = data_root

    def _options(self) -> dict[str, Any]:
        # Resolved on every load, never kept (SRC-3).
        return storage_options(resolve_credential(self.datasource.credential_ref))

    def location_uri(self, relative: str) -> str:
        return join_under_prefix(str(self.datasource.options["path_prefix"]), relative, data_root=self.data_root)

    def load(
        self,
        location: ResolvedLocationLike | Sequence[ResolvedLocationLike],
        table_schema: TableSchemaLike,
    ) -> pl.LazyFrame:
        """The physical rows of one location, or of several concatenated in order."""
        if isinstance(location, Sequence):
            frames = [self.load(one, table_schema) for one in location]
            if not frames:
                raise ValueError("no locations to load")
            return frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
        if not location.path:
            raise DataNotFound(
                f"table {location.table_name!r}, Period {location.period_identifier!r}: the location has no path",
                rule="RES-8",
            )
        uri = self.location_uri(location.path)
        options = self._options()
        if not storage.exists(uri, options):
            raise DataNotFound(
                f"table {location.table_name!r}, Period {location.period_identifier!r}: "
                f"{location.path!r} does not exist in DataSource {self.datasource.id!r}",
                rule="RES-8",
                payload={"table": location.table_name, "period": location.period_identifier, "location": uri},
            )
        where = (
            f"DataSource {self.datasource.id!r}, file {location.path!r} "
            f"(table {location.table_name!r}, Period {location.period_identifier!r})"
        )
        if storage.is_folder(uri, options):
            return self._scan_parts(uri, table_schema, options, where)
        return self.scan(uri, table_schema, options, where=where)

    def _scan_parts(
        self, folder: str, table_schema: TableSchemaLike, options: Mapping[str, Any], where: str
    ) -> pl.LazyFrame:
        """A folder of parts (what an ``append`` output writes), read in name order; no part is zero rows."""
        parts = storage.folder_parts(folder, self.datasource.type, options)
        if not parts:
            return _empty(table_schema)
        frames = [
            self.scan(part, table_schema, options, where=f"{where}, part {part.rsplit('/', 1)[-1]!r}") for part in parts
        ]
        return frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")

    def scan(
        self,
        uri: str,
        table_schema: TableSchemaLike,
        options: Mapping[str, Any] | None = None,
        *,
        where: str | None = None,
    ) -> pl.LazyFrame:
        """Scan an existing file at ``uri`` (absolute) as this DataSource's format.

        ``where`` names the location in error messages (default: the URI).
        """
        where = where or f"DataSource {self.datasource.id!r}, file {uri!r}"
        if self.datasource.type == "parquet":
            return scan_parquet(uri, table_schema, options=options, where=where)
        return scan_csv(uri, table_schema, *csv_options(self.datasource), options=options, where=where)


def _empty(table_schema: TableSchemaLike) -> pl.LazyFrame:
    return pl.LazyFrame(schema={c.name: pl.Utf8 for c in table_schema.columns})


def _reason(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def scan_parquet(
    uri: str, table_schema: TableSchemaLike, *, options: Mapping[str, Any] | None = None, where: str | None = None
) -> pl.LazyFrame:
    """A Parquet file, its footer read now (corrupt or truncated: ``UnreadableData``); 0 bytes is zero rows (RES-8)."""
    where = where or f"file {uri!r}"
    if storage.size(uri, options) == 0:
        return _empty(table_schema)
    frame = pl.scan_parquet(uri, storage_options=storage.polars_options(uri, options), glob=False)
    try:
        frame.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise UnreadableData(
            f"{where}: not a readable Parquet file (corrupt or truncated): {_reason(exc)}",
            rule="RES-8",
            payload={"location": uri},
        ) from None
    return frame


def scan_csv(
    uri: str,
    table_schema: TableSchemaLike,
    delimiter: str = ",",
    has_header: bool = True,
    *,
    options: Mapping[str, Any] | None = None,
    where: str | None = None,
) -> pl.LazyFrame:
    """A CSV file as text columns (DS-6 converts them); an empty file is zero rows.

    The file is checked now (UTF-8, every row complete), see :func:`check_csv_lines`.
    """
    where = where or f"file {uri!r}"
    if storage.size(uri, options) == 0:
        return _empty(table_schema)
    popts = storage.polars_options(uri, options)
    frame = pl.scan_csv(
        uri, separator=delimiter, has_header=has_header, infer_schema=False, storage_options=popts, glob=False
    )
    try:
        current = frame.collect_schema().names()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise UnreadableData(
            f"{where}: not a readable CSV file: {_reason(exc)}", rule="RES-8", payload={"location": uri}
        ) from None
    check_csv_lines(uri, len(current), delimiter, options=options, where=where)
    if not has_header:
        frame = frame.rename(dict(zip(current, _physical_names(table_schema, len(current)), strict=True)))
    return frame


def check_csv_lines(
    uri: str,
    field_count: int,
    delimiter: str = ",",
    *,
    options: Mapping[str, Any] | None = None,
    where: str | None = None,
) -> None:
    """Refuse a CSV file that is not UTF-8 (``UnreadableData``) or whose rows miss or add fields (``SchemaMismatch``, DS-6).

    One Polars pass reads every physical line as text (invalid bytes become
    U+FFFD) and counts separators per line. Lines holding a quote are left to
    the CSV reader (a quoted field may hold separators or line breaks).
    """
    where = where or f"file {uri!r}"
    text = pl.col("line")
    lines = pl.scan_csv(
        uri,
        has_header=False,
        separator=_LINE_SEPARATOR,
        quote_char=None,
        new_columns=["line"],
        encoding="utf8-lossy",
        infer_schema=False,
        truncate_ragged_lines=True,
        storage_options=storage.polars_options(uri, options),
        glob=False,
    ).with_row_index("line_no", offset=1)
    plain = text.is_not_null() & ~text.str.contains('"', literal=True) & (text.str.strip_chars("\r") != "")
    short = plain & (text.str.count_matches(delimiter, literal=True) != field_count - 1)
    replaced = text.str.contains("\ufffd", literal=True).fill_null(False)
    found = (
        lines.select(
            short.sum().alias("short"),
            pl.col("line_no").filter(short).head(_EXAMPLE_LINES).implode().alias("short_lines"),
            pl.col("line_no").filter(replaced).first().alias("bad_line"),
        )
        .collect()
        .row(0, named=True)
    )
    if found["bad_line"] is not None and not _is_utf8(uri, options):
        raise UnreadableData(
            f"{where}: line {found['bad_line']} is not valid UTF-8 (CSV files must be UTF-8)",
            rule="RES-8",
            payload={"location": uri, "line": found["bad_line"]},
        )
    if found["short"]:
        shown = ", ".join(str(n) for n in found["short_lines"])
        raise SchemaMismatch(
            f"{where}: {found['short']} row(s) do not have the {field_count} fields of the first row (e.g. line {shown}); "
            f"a missing field is not read as NULL",
            rule="DS-6",
            payload={"location": uri, "rows": found["short"], "lines": list(found["short_lines"])},
        )


def _is_utf8(uri: str, options: Mapping[str, Any] | None) -> bool:
    # Only reached when the lossy read met U+FFFD: the file may hold that character legitimately.
    try:
        storage.read_bytes(uri, options).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
