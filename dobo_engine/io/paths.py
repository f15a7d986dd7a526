"""Safe locations: relative paths under a DataSource prefix (SRC-5) and SQL identifiers.

A path produced by a Resolver or an ``output`` destination is always relative
and must stay under its DataSource's ``path_prefix``; a table or schema name
is always a plain identifier, quoted when put into SQL. Anything else is
refused before any IO happens.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote

from dobo_engine.errors import InvalidIdentifier, UnsafePath
from dobo_engine.settings import Settings

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_IDENTIFIER_LENGTH = 63  # PostgreSQL truncates longer names silently
_GLOB_CHARS = set("*?[")  # readers would expand them into other files


def is_uri(path: str) -> bool:
    """True for ``s3://...``-style locations (a scheme followed by ``://``)."""
    return bool(_SCHEME.match(path)) and "://" in path


def _unsafe(relative: str, why: str) -> UnsafePath:
    return UnsafePath(f"path {relative!r} is not a safe relative path: {why}", rule="SRC-5")


def check_relative_path(relative: str) -> str:
    """``relative`` if it is a plain relative path; otherwise ``UnsafePath`` saying why."""
    if not isinstance(relative, str) or relative.strip() == "":
        raise _unsafe(str(relative), "it is empty")
    if "\x00" in relative or any(ord(ch) < 0x20 for ch in relative):
        raise _unsafe(relative, "it contains a NUL or control character")
    if "\\" in relative:
        raise _unsafe(relative, "it contains a backslash")
    if relative.startswith("/"):
        raise _unsafe(relative, "it starts with '/' (absolute paths are not allowed)")
    if relative.startswith("~"):
        raise _unsafe(relative, "it starts with '~'")
    if _SCHEME.match(relative):
        raise _unsafe(relative, "it carries a URI scheme or drive letter")
    if _GLOB_CHARS & set(relative):
        raise _unsafe(relative, "it contains a glob character (* ? [)")
    segments = relative.split("/")
    for segment in segments[:-1] if relative.endswith("/") else segments:
        decoded = unquote(segment)
        if segment == "":
            raise _unsafe(relative, "it has an empty segment ('//')")
        if decoded in (".", ".."):
            raise _unsafe(relative, f"it has a {segment!r} segment")
    return relative


def resolve_prefix(prefix: str, data_root: str | None = None) -> str:
    """A DataSource ``path_prefix`` as an absolute path or URI.

    A relative prefix is taken under ``DOBO_DATA_ROOT`` (D34; default: the
    current working directory).
    """
    if not prefix:
        raise UnsafePath("a DataSource path_prefix is empty", rule="SRC-5")
    if is_uri(prefix) or prefix.startswith("/"):
        return prefix
    root = data_root if data_root is not None else Settings.from_env().data_root
    if is_uri(root):
        return f"{root.rstrip('/')}/{prefix}"
    return str(Path(root) / prefix)


def join_under_prefix(prefix: str, relative: str, *, data_root: str | None = None) -> str:
    """``relative`` joined to ``prefix`` with exactly one ``/`` (SRC-5).

    ``relative`` must be a plain relative path: no leading ``/``, no URI
    scheme, no ``..``/``.`` or empty segments, no backslash, NUL or glob
    character; otherwise ``UnsafePath``.
    """
    check_relative_path(relative)
    base = resolve_prefix(prefix, data_root)
    joined = f"{base.rstrip('/')}/{relative}"
    _check_links_stay_under(base, joined, relative)
    return joined


def _check_links_stay_under(base: str, joined: str, relative: str) -> None:
    """SRC-5 on local disk: symbolic links met on the way must not lead outside the prefix.

    Both sides are resolved (the prefix may itself be a link, e.g. a mounted
    volume); a path that does not exist yet resolves as far as it exists, so
    a write through a linked folder is caught as well as a read.
    """
    if is_uri(base) and not base.startswith("file://"):
        return  # object stores have no links
    root = os.path.realpath(base.removeprefix("file://"))
    target = os.path.realpath(joined.removeprefix("file://"))
    if target != root and not target.startswith(root.rstrip("/") + "/"):
        raise UnsafePath(
            f"path {relative!r} leads outside its DataSource's path_prefix through a symbolic link "
            f"(it resolves to {target!r}, not under {root!r})",
            rule="SRC-5",
        )


def identifier_problem(name: object, what: str = "identifier") -> str | None:
    """Why ``name`` is not a plain SQL identifier, or ``None`` when it is.

    The one identifier rule of dobo: checked on apply (DataSource, Resolver and
    output models) and again before any SQL is written or read.
    """
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        return f"{what} {name!r} is not a plain identifier (letters, digits and '_', not starting with a digit)"
    if len(name) > MAX_IDENTIFIER_LENGTH:
        return f"{what} {name!r} is longer than {MAX_IDENTIFIER_LENGTH} characters"
    return None


def check_identifier(name: str, what: str = "identifier") -> str:
    """``name`` if it is a plain SQL identifier (``[A-Za-z_][A-Za-z0-9_]*``, ≤ 63 chars)."""
    problem = identifier_problem(name, what)
    if problem is not None:
        raise InvalidIdentifier(problem)
    return name


def quote_identifier(name: str, what: str = "identifier") -> str:
    """``name`` checked and double-quoted for SQL (so case and reserved words are kept)."""
    return f'"{check_identifier(name, what)}"'


def qualified_table(table: str, schema: str | None = None) -> str:
    """``"schema"."table"`` (or ``"table"``), both parts checked."""
    quoted = quote_identifier(table, "table name")
    return f"{quote_identifier(schema, 'schema name')}.{quoted}" if schema else quoted
