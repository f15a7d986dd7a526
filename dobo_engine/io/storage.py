"""File storage access for local disk and object stores (fsspec/s3fs).

Storage options come from the DataSource's ``credential_ref`` (SRC-4) in
fsspec spelling (``key``, ``secret``, ``client_kwargs.endpoint_url``).
Polars' scanners talk to object stores through their own client, whose
options are spelled differently; :func:`polars_options` translates.
Writes are all-or-nothing: a temp file then ``os.replace`` on local disk, a
single PUT of the final key on object stores (s3fs ``mv`` is copy+delete,
operations.md §10).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

import fsspec

from dobo_engine.io.paths import is_uri


def filesystem(location: str, options: Mapping[str, Any] | None = None) -> fsspec.AbstractFileSystem:
    """The fsspec filesystem for ``location`` (local path or URI) with ``options``."""
    protocol = location.split("://", 1)[0] if is_uri(location) else "file"
    # skip_instance_cache: a filesystem is built per connection, so credentials
    # never outlive the operation that resolved them (SRC-3: never cached).
    extra = {"skip_instance_cache": True} if protocol not in ("file", "local") else {}
    return fsspec.filesystem(protocol, **dict(options or {}), **extra)


def polars_options(location: str, options: Mapping[str, Any] | None) -> dict[str, str] | None:
    """fsspec-style storage options → Polars scanner ``storage_options`` (None for local paths)."""
    if not is_uri(location):
        return None
    opts = dict(options or {})
    client = dict(opts.get("client_kwargs") or {})
    out: dict[str, str] = {}
    mapping = {"key": "aws_access_key_id", "secret": "aws_secret_access_key", "token": "aws_session_token"}
    for src, dst in mapping.items():
        if opts.get(src):
            out[dst] = str(opts[src])
    endpoint = opts.get("endpoint_url") or client.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        out["aws_endpoint_url"] = str(endpoint)
        if str(endpoint).startswith("http://"):
            out["aws_allow_http"] = "true"
    region = client.get("region_name") or opts.get("region_name")
    if region:
        out["aws_region"] = str(region)
    return out or None


def exists(location: str, options: Mapping[str, Any] | None = None) -> bool:
    return bool(filesystem(location, options).exists(location))


def size(location: str, options: Mapping[str, Any] | None = None) -> int:
    return int(filesystem(location, options).size(location) or 0)


def read_bytes(location: str, options: Mapping[str, Any] | None = None) -> bytes:
    return bytes(filesystem(location, options).cat_file(location))


def write_atomically(location: str, produce: Callable[[Any], None], options: Mapping[str, Any] | None = None) -> None:
    """Write ``location`` so that readers see the old content or the whole new one, never a part.

    ``produce(target)`` writes the data to ``target``: a local temp path on
    disk, or an in-memory buffer for object stores (then sent as one PUT).
    """
    if is_uri(location) and not location.startswith("file://"):
        import io

        buffer = io.BytesIO()
        produce(buffer)
        filesystem(location, options).pipe_file(location, buffer.getvalue())
        return
    path = Path(location.removeprefix("file://"))
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex}"
    try:
        produce(str(temp))
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()
