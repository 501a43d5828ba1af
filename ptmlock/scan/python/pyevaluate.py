"""Computing a leaf expression into values: literals, f-strings, ``+``, ``%``, ``.format``,
``str`` methods and ``sep.join``; ``Path``/``os.path`` calls give a local path, not a model.

Operands are followed back through ``Resolver.values_at`` first, so ``f"{ORG}/{NAME}"`` over a
constant and a collection gives one value per combination (at most ``MAX_VALUES``).
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from ptmlock.scan.python.pycollections import element_sources
from ptmlock.scan.python.valuetypes import HOW_RANK, MAX_VALUES, Value

if TYPE_CHECKING:
    from ptmlock.scan.python.pyindex import ModuleIndex
    from ptmlock.scan.python.values import Resolver

__all__ = ["evaluate"]

_STR_METHODS: dict[str, Callable[..., object]] = {
    name: getattr(str, name)
    for name in ("lower", "upper", "strip", "lstrip", "rstrip", "replace", "removeprefix",
                 "removesuffix", "title")
}  # fmt: skip
_PATH_CALLS = frozenset({
    "os.path.join", "os.path.expanduser", "os.path.expandvars", "os.path.abspath",
    "os.path.realpath", "os.path.dirname", "os.path.normpath", "os.fspath", "pathlib.Path",
    "pathlib.PurePath", "pathlib.PosixPath", "pathlib.Path.home", "pathlib.Path.cwd",
})  # fmt: skip


def evaluate(resolver: Resolver, module: ModuleIndex, expr: ast.expr, depth: int) -> list[Value]:
    """Compute a leaf expression: a literal or an operation over other values."""
    resolver.tick()
    if isinstance(expr, ast.Constant):
        return [Value(value=expr.value)]
    if isinstance(expr, ast.JoinedStr):
        return _fstring(resolver, module, expr, depth)
    if isinstance(expr, ast.BinOp):
        return _binop(resolver, module, expr, depth)
    if isinstance(expr, ast.Call):
        return _evaluate_call(resolver, module, expr, depth)
    if isinstance(expr, ast.List | ast.Tuple | ast.Set | ast.Dict | ast.ListComp):
        return [Value(reason="a collection is passed where one model is expected")]
    text = ast.unparse(expr)
    return [Value(reason=f"computed at run time: {text[:60]}")]


def _combine(parts: list[list[Value]], join: Callable[..., object]) -> list[Value]:
    """All results of ``join`` over one value from each part (bounded)."""
    options: list[list[Value]] = []
    for part in parts:
        good = [v for v in part if v.reason is None and not v.local]
        if not good:
            bad = next((v for v in part if v.reason or v.local), Value(reason="no value"))
            return [bad]
        options.append(good)
    out: list[Value] = []
    for combo in itertools.islice(itertools.product(*options), MAX_VALUES):
        try:
            joined = join(*(v.value for v in combo))
        except (TypeError, ValueError, KeyError, IndexError):
            return [Value(reason="a string operation that fails statically")]
        how = max((v.how for v in combo), key=lambda h: HOW_RANK.get(h, 0), default="literal")
        group = next((v.group for v in combo if v.group), None)
        out.append(Value(value=joined, how=how, group=group))
    return out


def _fstring(
    resolver: Resolver, module: ModuleIndex, expr: ast.JoinedStr, depth: int
) -> list[Value]:
    parts: list[list[Value]] = []
    for part in expr.values:
        if isinstance(part, ast.FormattedValue):
            spec = ast.unparse(part.format_spec)[2:-1] if part.format_spec else ""
            values = resolver.values_at(module, part.value, depth + 1)
            parts.append([_format(v, spec) for v in values])
        else:
            parts.append(evaluate(resolver, module, part, depth + 1))
    return _combine(parts, lambda *items: "".join(str(i) for i in items))


def _format(value: Value, spec: str) -> Value:
    if value.reason is not None or value.local or "{" in spec:
        return value
    try:
        return replace(value, value=format(value.value, spec))
    except (TypeError, ValueError):
        return Value(reason="a format spec that fails statically")


def _binop(resolver: Resolver, module: ModuleIndex, expr: ast.BinOp, depth: int) -> list[Value]:
    if isinstance(expr.op, ast.Div):
        return [Value(local=True)]  # pathlib's ``/``
    left = resolver.values_at(module, expr.left, depth + 1)
    if isinstance(expr.op, ast.Add):
        right = resolver.values_at(module, expr.right, depth + 1)
        return _combine([left, right], lambda a, b: a + b)
    if isinstance(expr.op, ast.Mod):
        if isinstance(expr.right, ast.Tuple):
            items = [resolver.values_at(module, e, depth + 1) for e in expr.right.elts]
            return _combine([left, *items], lambda fmt, *args: fmt % tuple(args))
        right = resolver.values_at(module, expr.right, depth + 1)
        return _combine([left, right], lambda fmt, arg: fmt % arg)
    return [Value(reason=f"computed at run time: {ast.unparse(expr)[:60]}")]


def _evaluate_call(
    resolver: Resolver, module: ModuleIndex, call: ast.Call, depth: int
) -> list[Value]:
    func = call.func
    if set(resolver.callee_names(module, func)) & _PATH_CALLS:
        return [Value(local=True)]
    if isinstance(func, ast.Attribute):
        receiver = resolver.values_at(module, func.value, depth + 1)
        args = [resolver.values_at(module, a, depth + 1) for a in call.args]
        if func.attr == "format" and not call.keywords:
            return _combine([receiver, *args], lambda fmt, *rest: fmt.format(*rest))
        if func.attr == "format":
            names = [kw.arg or "" for kw in call.keywords]
            kws = [resolver.values_at(module, kw.value, depth + 1) for kw in call.keywords]
            n = len(args)

            def keyword_format(fmt: str, *rest: object) -> str:
                return fmt.format(*rest[:n], **dict(zip(names, rest[n:], strict=True)))

            return _combine([receiver, *args, *kws], keyword_format)
        if func.attr in _STR_METHODS:
            method = _STR_METHODS[func.attr]
            return _combine([receiver, *args], lambda s, *rest: method(s, *rest))
        if func.attr == "join" and call.args:
            elems = element_sources(resolver, module, call.args[0], depth + 1, (), "join")
            items = [
                resolver.values_at(s.module, s.expr, depth + 1)
                if s.expr
                else [Value(reason=s.reason)]
                for s in elems
            ]
            return _combine([receiver, *items], lambda sep, *rest: sep.join(rest))
    return [Value(reason=f"computed at run time by {ast.unparse(func)[:60]}()")]
