"""Shared CLI plumbing: error handling, exit codes, JSON output.

Exit codes (cli.md): 0 ok, 1 the check or run failed, 2 bad input. Data goes
to stdout, messages to stderr; no traceback unless ``--debug`` (or ``DOBO_DEBUG=1``).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NoReturn, TypeVar, cast

import click

from dobo_engine.errors import DoboError, InternalError

F = TypeVar("F", bound=Callable[..., Any])


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, default=_default, indent=2, ensure_ascii=False))


def note(message: str) -> None:
    """A message for the user: stderr, never stdout."""
    click.echo(message, err=True)


def handle_errors(fn: F) -> F:
    """Turn DoboErrors into a readable message and the right exit code.

    Anything else that escapes a command is a bug in dobo: it is reported as
    ``InternalError`` (exit 1) with a request to file a bug; the traceback is
    shown only with ``--debug`` or ``DOBO_DEBUG=1``.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool(ctx.find_root().params.get("debug"))
        if debug:  # the engine attaches tracebacks to internal errors it records (a failed Run)
            os.environ["DOBO_DEBUG"] = "1"
        try:
            return fn(*args, **kwargs)
        except DoboError as err:
            if debug:
                raise
            _report(ctx, err)
        except (OSError, ValueError) as err:  # unreadable input that escaped the typed errors
            if debug:
                raise
            click.echo(f"error: {err}", err=True)
            sys.exit(2)
        except (click.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except Exception as err:  # noqa: BLE001 - a bug in dobo: one readable message, never a bare traceback
            if debug:
                raise
            _report(ctx, InternalError.from_exception(err))

    return cast(F, wrapper)


def _report(ctx: click.Context, err: DoboError) -> NoReturn:
    if ctx.params.get("as_json"):
        echo_json({"ok": False, **err.to_dict()})
    click.echo(err.render(), err=True)
    sys.exit(err.exit_code)


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")
