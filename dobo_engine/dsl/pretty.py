"""AST → canonical source text. ``parse(pretty(n)) == n`` for every parsed tree.

Operators print with single spaces and only the parentheses that precedence
needs; keywords and function names in upper case; strings double-quoted.
"""

from __future__ import annotations

from dobo_engine.dsl import ast

# Binding strength (dsl.md §2): higher binds tighter.
_LEVEL = {"OR": 1, "AND": 2, "NOT": 3, "CMP": 4, "+": 5, "-": 5, "*": 6, "/": 6, "NEG": 7, "ATOM": 8}
_ESCAPE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _level(node: ast.Node) -> int:
    if isinstance(node, ast.Binary):
        return _LEVEL["CMP"] if node.op in ast.COMPARISON else _LEVEL[node.op]
    if isinstance(node, ast.Not):
        return _LEVEL["ATOM"]  # printed in its function form NOT(x)
    if isinstance(node, ast.Negate):
        return _LEVEL["NEG"]
    return _LEVEL["ATOM"]


def _wrap(node: ast.Node, minimum: int) -> str:
    text = pretty(node)
    return f"({text})" if _level(node) < minimum else text


def string_literal(value: str) -> str:
    return '"' + "".join(_ESCAPE.get(ch, ch) for ch in value) + '"'


def pretty(node: ast.Node) -> str:
    """Canonical text of ``node``; a substituted selector prints as ``(body)``."""
    if isinstance(node, ast.IntegerLit):
        return str(node.value)
    if isinstance(node, ast.DecimalLit):
        return f"{node.value:.{node.scale}f}"
    if isinstance(node, ast.StringLit):
        return string_literal(node.value)
    if isinstance(node, ast.BoolLit):
        return "TRUE" if node.value else "FALSE"
    if isinstance(node, ast.NullLit):
        return "NULL"
    if isinstance(node, ast.DateLit):
        return f'DATE("{node.value.isoformat()}")'
    if isinstance(node, ast.Column):
        return node.reference
    if isinstance(node, ast.SelectorRef):
        return f"{{{{{node.name}}}}}"
    if isinstance(node, ast.Selector):
        return f"({pretty(node.body)})"
    if isinstance(node, ast.Invalid):
        return "NULL"
    if isinstance(node, ast.Negate):
        # `- -x` needs the space: `--x` would read the same, but keep it explicit.
        return (
            f"-{_wrap(node.operand, _LEVEL['NEG'])}"
            if not isinstance(node.operand, ast.Negate)
            else f"- {pretty(node.operand)}"
        )
    if isinstance(node, ast.Not):
        # Function form: an atom, so it never regroups with what follows it.
        return f"NOT({pretty(node.operand)})"
    if isinstance(node, ast.Binary):
        level = _level(node)
        if node.op in ast.COMPARISON:
            # Comparisons do not chain: both sides must bind tighter.
            return f"{_wrap(node.left, level + 1)} {node.op} {_wrap(node.right, level + 1)}"
        # Left-associative: the right side needs strictly tighter binding.
        return f"{_wrap(node.left, level)} {node.op} {_wrap(node.right, level + 1)}"
    if isinstance(node, ast.Call):
        return f"{node.name}({', '.join(pretty(a) for a in node.args)})"
    raise TypeError(f"cannot print {type(node).__name__}")
