"""File storage access for local disk and object stores (fsspec/s3fs).

Storage options come from the DataSource's ``credential_ref`` (SRC-4) in
fsspec spelling (``key``, ``secret``, ``client_kwargs.endpoint_url``).
Polars' scanners talk to object stores through their own client, whose
options are spelled differently; :func:`polars_options` translates.
:func:`write_atomically` is the one way dobo writes a file it owns (outputs,
trace files, checkpoints): readers see the old content or the whole new one,
never a part. On local disk the data goes to a hidden temporary file in the
target's folder, is fsynced, renamed over the target, and the folder is
fsynced so the rename survives a power cut. On object stores the data is
staged in a local temporary file and sent with one PUT of the final key (s3fs
``mv`` is copy+delete, operations.md §10).

A process killed mid-write (SIGKILL, OOM) leaves its temporary file behind.
Temporary files are named ``.<target>.dobo-tmp.<host>.<pid>.<random>`` so the
next write to the same folder can recognise and remove them: those of a dead
process on this host at once, any other once older than
:data:`STALE_TEMP_AGE_SECONDS` (a writer on another host may still be busy).
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import fsspec

from dobo_engine.io.paths import is_uri


def filesystem(location: str, options: Mapping[str, Any] | None = None) -> fsspec.AbstractFileSystem:
    """The fsspec filesystem for ``location`` (local path or URI) with ``options``."""
    protocol = location.split("://", 1)[0] if is_uri(location) else "file"
    # skip_instance_cache: a filesystem is built per connection, so credentials
    # never outlive the operation that resolved them (SRC-3: never cached).
    extra = {"skip_instance_cache": True} if protocol not in ("file", "local") else {}
    return fsspec.filesystem(protocol, **{**extra, **dict(options or {})})


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


def is_folder(location: str, options: Mapping[str, Any] | None = None) -> bool:
    return bool(filesystem(location, options).isdir(location))


def folder_parts(folder: str, extension: str, options: Mapping[str, Any] | None = None) -> list[str]:
    """The part files of a folder (an ``append`` output), in name order.

    Hidden files are not parts: they are temporary files of writes in progress.
    """
    fs = filesystem(folder, options)
    root = folder.rstrip("/")
    names = (str(p).rsplit("/", 1)[-1] for p in fs.ls(root, detail=False))
    return [f"{root}/{n}" for n in sorted(names) if n.endswith(f".{extension}") and not n.startswith(".")]


TEMP_MARK = ".dobo-tmp."
STALE_TEMP_AGE_SECONDS = 6 * 3600  # far beyond any single write; a live writer is never swept
_TEMP_NAME = re.compile(r"^\..+\.dobo-tmp\.(?P<host>[A-Za-z0-9_-]+)\.(?P<pid>\d+)\.[0-9a-f]{32}$")
# Names of earlier releases (no writer recorded): swept by age only.
_LEGACY_TEMP_NAME = re.compile(r"^\..+(\.tmp-[0-9a-f]{32}|\.[0-9a-f]{32}\.tmp)$")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname()) or "host"


def temp_name(target_name: str) -> str:
    """The hidden temporary name a write of ``target_name`` uses (recognisable by :func:`sweep_stale_temps`)."""
    return f".{target_name}{TEMP_MARK}{_host()}.{os.getpid()}.{uuid.uuid4().hex}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _is_stale(entry: os.DirEntry[str], now: float, max_age: float) -> bool:
    match = _TEMP_NAME.match(entry.name)
    if match is None and not _LEGACY_TEMP_NAME.match(entry.name):
        return False
    try:
        age = now - entry.stat(follow_symlinks=False).st_mtime
    except FileNotFoundError:
        return False
    if age > max_age:
        return True
    if match is None or match["host"] != _host():
        return False
    pid = int(match["pid"])
    return pid != os.getpid() and not _process_alive(pid)


def sweep_stale_temps(folder: str | Path, *, max_age: float = STALE_TEMP_AGE_SECONDS) -> list[str]:
    """Remove the temporary files that killed writers left in ``folder``; the names removed.

    A temporary file is stale when its writer (host and pid in its name) is
    this host's and no longer runs, or when it is older than ``max_age``.
    The current process's own files are left to their writers.
    """
    removed: list[str] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return removed
    for entry in entries:
        if entry.is_file(follow_symlinks=False) and _is_stale(entry, now, max_age):
            try:
                os.remove(entry.path)
            except FileNotFoundError:
                continue  # another writer swept it first
            removed.append(entry.name)
    return removed


def fsync_file(path: str | Path) -> None:
    """Flush a written file's data to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: str | Path) -> None:
    """Make a rename in ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: str | Path) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def local_path(location: str) -> Path | None:
    """The local path of ``location``; None for an object-store URI."""
    if is_uri(location) and not location.startswith("file://"):
        return None
    return Path(location.removeprefix("file://"))


def write_atomically(location: str, produce: Callable[[str], None], options: Mapping[str, Any] | None = None) -> None:
    """Write ``location`` so that readers see the old content or the whole new one, never a part.

    ``produce(path)`` writes the data to a local temporary file ``path``. On
    local disk that file is fsynced and renamed over ``location`` and the
    folder fsynced; first, stale temporary files of killed writers in the
    same folder are swept. On object stores the file is sent as one PUT.
    """
    path = local_path(location)
    if path is None:
        handle, staged = tempfile.mkstemp(prefix="dobo-upload-")
        os.close(handle)
        try:
            produce(staged)
            filesystem(location, options).put_file(staged, location)
        finally:
            _remove_quietly(staged)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temps(path.parent)
    temp = path.parent / temp_name(path.name)
    try:
        produce(str(temp))
        fsync_file(temp)
        os.replace(temp, path)
    except BaseException:
        _remove_quietly(temp)
        raise
    fsync_folder(path.parent)
