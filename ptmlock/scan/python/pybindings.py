"""Which statements bind which names in one scope: Python's binding rules, statically.

A scope's table maps each name to every place it gets a value (assignment, parameter, loop
target, ``with ... as``, definition), in source order, and says which of them are unconditional
(directly in the scope's body, so they overwrite what came before). Value-following reads the
table; ``reaching`` picks the bindings a use on a given line can see.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

__all__ = ["Binding", "bind_block", "bind_params", "reaching", "target_path"]

Table = dict[str, list["Binding"]]


@dataclass(frozen=True, slots=True)
class Binding:
    """One place a name gets a value: ``kind`` is assign, param, loop, def or class."""

    kind: str
    node: ast.AST  # the statement, the ast.arg, or the definition
    value: ast.expr | None  # right-hand side, loop iterable, or parameter default
    path: tuple[int, ...] = ()  # position inside a tuple target
    unconditional: bool = True  # directly in the scope's body (kills earlier bindings)

    @property
    def line(self) -> int:
        return int(getattr(self.node, "lineno", 0))


def bind_params(args: ast.arguments, table: Table) -> None:
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    pairs = [
        *zip(positional, defaults, strict=True),
        *zip(args.kwonlyargs, args.kw_defaults, strict=True),
    ]
    for arg, default in pairs:
        table[arg.arg].append(Binding("param", arg, default))
    for extra in (args.vararg, args.kwarg):
        if extra is not None:
            table[extra.arg].append(Binding("param", extra, None))


def _bind_target(target: ast.expr, binding: Binding, path: tuple[int, ...], table: Table) -> None:
    if isinstance(target, ast.Name):
        table[target.id].append(
            Binding(binding.kind, binding.node, binding.value, path, binding.unconditional)
        )
    elif isinstance(target, ast.Tuple | ast.List):
        for position, element in enumerate(target.elts):
            _bind_target(element, binding, (*path, position), table)


def bind_block(body: list[ast.stmt], table: Table, unconditional: bool) -> None:
    """Record the bindings of a statement list, descending into blocks but not definitions."""
    for stmt in body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                _bind_target(
                    target, Binding("assign", stmt, stmt.value, (), unconditional), (), table
                )
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            _bind_target(
                stmt.target, Binding("assign", stmt, stmt.value, (), unconditional), (), table
            )
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            grown = ast.BinOp(
                left=ast.Name(id=stmt.target.id, ctx=ast.Load()), op=stmt.op, right=stmt.value
            )
            ast.copy_location(grown, stmt)
            ast.copy_location(grown.left, stmt)
            table[stmt.target.id].append(Binding("assign", stmt, grown, (), unconditional))
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            _bind_target(stmt.target, Binding("loop", stmt, stmt.iter, (), False), (), table)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            kind = "class" if isinstance(stmt, ast.ClassDef) else "def"
            table[stmt.name].append(Binding(kind, stmt, None, (), unconditional))
            continue
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                if item.optional_vars is not None:
                    _bind_target(
                        item.optional_vars,
                        Binding("assign", stmt, item.context_expr, (), False),
                        (),
                        table,
                    )
        for block in _sub_blocks(stmt):
            bind_block(block, table, unconditional=False)


def _sub_blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    blocks: list[list[ast.stmt]] = []
    for name in ("body", "orelse", "finalbody"):
        block = getattr(stmt, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            blocks.append(block)
    blocks.extend(handler.body for handler in getattr(stmt, "handlers", []))
    blocks.extend(case.body for case in getattr(stmt, "cases", []))
    return blocks


def target_path(target: ast.expr, name: str) -> tuple[int, ...] | None:
    """Where ``name`` sits in an assignment target: ``()`` for ``name``, ``(1,)`` for
    ``a, name``; None when the target does not bind it."""
    if isinstance(target, ast.Name):
        return () if target.id == name else None
    if isinstance(target, ast.Tuple | ast.List):
        for position, element in enumerate(target.elts):
            inner = target_path(element, name)
            if inner is not None:
                return (position, *inner)
    return None


def reaching(bindings: list[Binding], line: int) -> list[Binding]:
    """Bindings that can reach a use on ``line`` in the same scope: those written before it,
    from the last unconditional assignment on (earlier ones are overwritten)."""
    ordered = sorted(bindings, key=lambda b: b.line)
    before = [b for b in ordered if b.line < line]
    if not before:
        return ordered
    start = max(
        (i for i, b in enumerate(before) if b.unconditional and b.kind != "param"), default=0
    )
    return before[start:]
