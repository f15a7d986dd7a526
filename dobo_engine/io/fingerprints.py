"""Fingerprints of loaded data: what tells that a location still holds the bytes a Run read.

A Run's trace may record its load by reference (the locations it read and
how many rows the load gave) instead of copying every loaded row; reading
that trace back re-reads the locations. A fingerprint is taken of each
location when the Run loads it and again when the trace is read, and the two
must be equal.

- A local file: its size and the SHA-256 of its content. A content hash is
  exact: a rewrite that keeps the size and even the modification time is
  caught, while a copy or a restore of the same bytes (new modification
  time) still reads. It costs one sequential read of a file the load reads
  anyway (about 40 ms for 12 MB).
- A file on an object store: its size and the version tag the store keeps
  (ETag, generation or modification time). Hashing it would download it
  once more; the store's tag changes with every write.
- A folder of parts (what an ``append`` output writes): one fingerprint per part.

``None`` means the location cannot be fingerprinted, so it is not re-readable.

>>> import tempfile, os
>>> folder = tempfile.TemporaryDirectory()
>>> path = os.path.join(folder.name, "rows.csv")
>>> _ = open(path, "w").write("a,b\\n1,2\\n")
>>> file_fingerprint(path)["sha256"][:16], file_fingerprint(path)["size"]
('492d5ea496056f1a', 8)
>>> folder.cleanup()
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import polars as pl

from dobo_engine.io import storage
from dobo_engine.io.paths import is_uri

# Keys an object store's `info` may hold that change with every write, most specific first.
_VERSION_TAGS = ("ETag", "etag", "generation", "md5Hash", "LastModified", "last_modified", "updated", "mtime")
_HASH_CHUNK = 1 << 20

Fingerprint = dict[str, Any]  # JSON-able: {"location": ..., "size": ..., "sha256" | "tag": ...}


def file_fingerprint(location: str, options: Mapping[str, Any] | None = None) -> Fingerprint | None:
    """The fingerprint of one file (``None``: a remote file whose store keeps no version tag)."""
    fs = storage.filesystem(location, options)
    if not is_uri(location) or location.startswith("file://"):
        digest = hashlib.sha256()
        with fs.open(location, "rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
        return {"location": location, "size": int(fs.size(location) or 0), "sha256": digest.hexdigest()}
    info = fs.info(location)
    tag = next((str(info[k]) for k in _VERSION_TAGS if info.get(k) not in (None, "")), None)
    if tag is None:
        return None
    return {"location": location, "size": int(info.get("size") or 0), "tag": tag}


def location_fingerprints(
    location: str, file_type: str, options: Mapping[str, Any] | None = None
) -> list[Fingerprint] | None:
    """Fingerprints of a file, or of each part of a folder of parts, in the order a load reads them."""
    files = storage.folder_parts(location, file_type, options) if storage.is_folder(location, options) else [location]
    found = [file_fingerprint(f, options) for f in files]
    if any(f is None for f in found):
        return None
    return [f for f in found if f is not None]


def frame_fingerprint(location: str, frame: pl.DataFrame) -> Fingerprint:
    """The fingerprint of rows held in memory: row count and a hash of every row in order (one process only).

    Polars' row hashes are stable within one Polars version, which is all an
    in-memory table needs: it lives no longer than the process.

    >>> rows = pl.DataFrame({"a": [1, 2]})
    >>> frame_fingerprint("memory:t", rows) == frame_fingerprint("memory:t", rows.clone())
    True
    >>> frame_fingerprint("memory:t", rows) == frame_fingerprint("memory:t", rows.reverse())
    False
    """
    digest = hashlib.sha256(str(frame.schema).encode())
    if frame.width:
        digest.update(frame.hash_rows(seed=0).to_frame().write_ipc(None).getvalue())
    return {"location": location, "rows": frame.height, "sha256": digest.hexdigest()}


__all__ = ["Fingerprint", "file_fingerprint", "frame_fingerprint", "location_fingerprints"]
