"""Parsing Python source in tests that read the project's own code."""

from __future__ import annotations

import ast
import gc


def parse_source(text: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse` with the garbage collector held off while it runs.

    CPython 3.11's AST converter checks its recursion depth before and after
    a conversion; a collection in between that runs a finalizer (an
    SQLAlchemy pool resetting a connection an earlier test left behind)
    changes that depth, and `ast.parse` raises `SystemError: AST constructor
    recursion depth mismatch`.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(text, filename=filename)
    finally:
        if was_enabled:
            gc.enable()
