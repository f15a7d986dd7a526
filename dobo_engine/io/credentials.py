"""Credential references, resolved only at connect time (SRC-3, SRC-4, D19).

A ``credential_ref`` names where a secret lives, never the secret:
``env://NAME`` reads environment variable ``NAME``; ``file:///path`` reads a
file (how Kubernetes mounts secrets). Nothing here caches, logs or stores a
secret, and no error message carries one: messages name the reference only,
and connection strings are shown through :func:`redact_url`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from dobo_engine.errors import CredentialNotFound, UnsupportedCredentialScheme

SCHEMES: tuple[str, ...] = ("env", "file")
# Names of keys that hold a secret (SRC-2): refused in DataSource options, masked in printed settings.
SECRET_KEY_RE = re.compile(r"password|passwd|secret|token|api_key|access_key", re.IGNORECASE)
MASK = "***"


def resolve_credential(ref: str | None) -> str | None:
    """The secret ``ref`` points to, or ``None`` when there is no reference.

    Missing variable or file → ``CredentialNotFound``; another scheme →
    ``UnsupportedCredentialScheme``. Both name the reference, never a value.
    """
    if ref is None or ref == "":
        return None
    scheme, sep, rest = ref.partition("://")
    if not sep or scheme not in SCHEMES:
        raise UnsupportedCredentialScheme(
            f"credential_ref {ref!r} uses an unsupported scheme; supported: env://NAME, file:///path",
            rule="SRC-3",
        )
    if scheme == "env":
        if not rest:
            raise CredentialNotFound(f"credential_ref {ref!r} names no environment variable", rule="SRC-3")
        value = os.environ.get(rest)
        if value is None:
            raise CredentialNotFound(f"credential_ref {ref!r}: environment variable {rest} is not set", rule="SRC-3")
        return value
    # file:///abs/path -> "/abs/path"; a relative file ref is refused so a
    # secret is never read from wherever the process happens to run.
    if not rest.startswith("/"):
        raise CredentialNotFound(f"credential_ref {ref!r} must be an absolute path (file:///...)", rule="SRC-3")
    path = Path(rest)
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError):
        raise CredentialNotFound(f"credential_ref {ref!r}: no readable file at {rest}", rule="SRC-3") from None


def _user_password(secret: str) -> tuple[str, str]:
    text = secret.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise CredentialNotFound("the database secret is not valid JSON", rule="SRC-4") from None
        if not isinstance(data, dict) or "user" not in data or "password" not in data:
            raise CredentialNotFound("the database secret must be a JSON object with user and password", rule="SRC-4")
        return str(data["user"]), str(data["password"])
    user, sep, password = secret.partition(":")
    if not sep or not user:
        raise CredentialNotFound("the database secret must be user:password or JSON {user, password}", rule="SRC-4")
    return user, password


def database_url_with_credentials(connection_string: str, secret: str | None) -> str:
    """``connection_string`` with the secret's user and password merged in (SRC-4).

    The result holds a password: pass it straight to the driver, never to a
    message or log (use :func:`redact_url`).
    """
    if secret is None:
        return connection_string
    user, password = _user_password(secret)
    parts = urlsplit(connection_string)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def storage_options(secret: str | None) -> dict[str, Any]:
    """fsspec/s3fs storage options from a JSON-object secret (SRC-4).

    A top-level ``endpoint_url`` is moved into ``client_kwargs`` where s3fs
    expects it, so either spelling works.
    """
    if secret is None:
        return {}
    try:
        data = json.loads(secret)
    except json.JSONDecodeError:
        raise CredentialNotFound("the storage secret is not a JSON object of storage options", rule="SRC-4") from None
    if not isinstance(data, dict):
        raise CredentialNotFound("the storage secret is not a JSON object of storage options", rule="SRC-4")
    options = dict(data)
    endpoint = options.pop("endpoint_url", None)
    if endpoint is not None:
        client_kwargs = dict(options.get("client_kwargs") or {})
        client_kwargs.setdefault("endpoint_url", endpoint)
        options["client_kwargs"] = client_kwargs
    return options


_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^@/\s]*)@")


def redact_url(text: str) -> str:
    """``text`` with any ``user:password@`` of a URL replaced by ``***@``."""
    return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)


_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:@/\s]*):(?P<password>[^/\s]*)@")


def mask_url_password(text: str) -> str:
    """``text`` with the password of any ``user:password@`` URL replaced by ``***`` (the user stays)."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}:{MASK}@", text)


def mask_secrets(values: dict[str, Any]) -> dict[str, Any]:
    """A printable copy of ``values``: secret-named keys masked, URL passwords masked (SRC-3, GEN-6)."""
    masked: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            masked[key] = mask_secrets(value)
        elif SECRET_KEY_RE.search(str(key)) and value not in (None, ""):
            masked[key] = MASK
        elif isinstance(value, str):
            masked[key] = mask_url_password(value)
        else:
            masked[key] = value
    return masked


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with URL credentials and each given secret (and its parts) masked.

    Used on driver error messages before they become part of a dobo error.
    """
    out = redact_url(text)
    for secret in secrets:
        if not secret:
            continue
        pieces = {secret}
        try:
            user, password = _user_password(secret)
            if password:
                pieces.update({password, quote(password, safe="")})
        except CredentialNotFound:
            pass
        pieces.update(_json_strings(secret))
        for piece in sorted(pieces, key=len, reverse=True):
            if len(piece) >= 3:  # very short strings would mask ordinary words
                out = out.replace(piece, "***")
    return out


def _json_strings(secret: str) -> set[str]:
    """Every string value inside a JSON secret (storage options hold keys in several places)."""
    try:
        data = json.loads(secret)
    except (json.JSONDecodeError, ValueError):
        return set()
    found: set[str] = set()
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            found.add(item)
    return found
