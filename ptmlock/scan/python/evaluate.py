"""Computing a leaf expression into values: literals, f-strings, ``+``, ``%``, ``.format``,
``str`` methods and ``sep.join``; ``Path``/``os.path`` calls give a local path, not a model.

Operands are followed back through ``Walk.values_at`` first, so ``f"{ORG}/{NAME}"`` over a
constant and a collection gives one value per combination (at most ``MAX_VALUES``). A computed
value is written where the expression that computes it is.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from ptmlock.scan.python.tables import element_sources, label
from ptmlock.scan.python.values import HOW_RANK, MAX_VALUES, Ctx, Symbol, Value, Walk

if TYPE_CHECKING:
    from ptmlock.scan.python.ir import Expr
    from ptmlock.scan.python.project import Module

__all__ = ["PASS_THROUGH", "PATH_CALLS", "evaluate"]

_STR_METHODS: dict[str, Callable[..., object]] = {
    name: getattr(str, name)
    for name in ("lower", "upper", "strip", "lstrip", "rstrip", "replace", "removeprefix",
                 "removesuffix", "title")
}  # fmt: skip
# ``~`` or ``$VAR`` in a Hub id is unlikely: these leave an id as it is; torchvision's
# ``get_weight("ResNet50_Weights.IMAGENET1K_V2")`` is the enum member that string names
PASS_THROUGH = frozenset({"os.path.expanduser", "os.path.expandvars", "os.fspath", "str",
                          "torchvision.models.get_weight"})  # fmt: skip
PATH_CALLS = frozenset({
    "os.path.join", "os.path.abspath",
    "os.path.realpath", "os.path.dirname", "os.path.normpath", "pathlib.Path",
    "pathlib.PurePath", "pathlib.PosixPath", "pathlib.Path.home", "pathlib.Path.cwd",
    "os.getcwd", "tempfile.gettempdir", "tempfile.mkdtemp",
})  # fmt: skip
_COLLECTIONS = frozenset({"l", "d", "g", "dg"})


def evaluate(walk: Walk, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Value]:
    """Compute a leaf expression: a literal or an operation over other values."""
    walk.tick()
    tag, line = expr[0], expr[1]
    site = ((module.relpath, line),)
    if tag == "c":
        return [Value(value=expr[2], sites=site)]
    if tag == "f":  # an id composed in an f-string is written there
        return [replace(v, sites=site) if v.reason is None else v
                for v in _fstring(walk, module, expr, ctx, depth)]  # fmt: skip
    if tag == "b":
        return _at(_binop(walk, module, expr, ctx, depth), site)
    if tag == "k":
        return _at(_call(walk, module, expr, ctx, depth), site)
    if tag == "s" and expr[3][0] == "sl":
        return _at(_slice(walk, module, expr, ctx, depth), site)
    if tag in _COLLECTIONS:
        return [Value(reason="a collection is passed where one model is expected", sites=site)]
    return [Value(reason=f"computed at run time ({_describe(expr)})", sites=site)]


def _describe(expr: Expr) -> str:
    if expr[0] == "n":
        return str(expr[2])
    if expr[0] == "a":
        return f"{_describe(expr[2])}.{expr[3]}"
    if expr[0] == "k":
        return f"{_describe(expr[2])}()"
    return str(expr[2]) if expr[0] == "u" else "an expression"


def _at(values: list[Value], site: tuple[tuple[str, int], ...]) -> list[Value]:
    """A computed value is written where its longest part is (``str.replace(url, ...)`` is
    the URL's caller's literal), else where the computing expression is."""
    return [v if v.sites or v.reason is not None or v.local else replace(v, sites=site)
            for v in values]  # fmt: skip


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
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            return [Value(reason="a string operation that fails statically")]
        how = max((v.how for v in combo), key=lambda h: HOW_RANK.get(h, 0), default="literal")
        group = next((v.group for v in combo if v.group), None)
        main = max(combo, key=lambda v: len(str(v.value)))  # the part that carries the name
        out.append(Value(value=joined, how=how, group=group, hops=main.hops, sites=main.sites))
    return out


def _fstring(walk: Walk, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Value]:
    parts: list[list[Value]] = []
    for part in expr[2]:
        if part[0] == "v":
            values = walk.values_at(module, part[2], ctx, depth + 1)
            parts.append([_format(v, part[3]) for v in values])
        else:
            parts.append(evaluate(walk, module, part, ctx, depth + 1))
    return _combine(parts, lambda *items: "".join(_plain(i) for i in items))


def _plain(item: object) -> str:
    """An enum member formats as its name; an external table's entry is not a string."""
    if isinstance(item, Symbol) and item.key is not None:
        raise TypeError(f"{item} is known only at run time")
    return item.qualname.rsplit(".", 1)[-1] if isinstance(item, Symbol) else str(item)


def _format(value: Value, spec: str) -> Value:
    if value.reason is not None or value.local or "{" in spec or not spec:
        return value
    try:
        return replace(value, value=format(value.value, spec))
    except (TypeError, ValueError):
        return Value(reason="a format spec that fails statically")


def _binop(walk: Walk, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Value]:
    _, _, op, left_expr, right_expr = expr
    if op == "/":
        return [Value(local=True)]  # pathlib's ``/``
    left = walk.values_at(module, left_expr, ctx, depth + 1)
    if op == "+":
        right = walk.values_at(module, right_expr, ctx, depth + 1)
        return _combine([left, right], lambda a, b: a + b)
    if op == "%":
        if right_expr[0] == "l" and right_expr[2] == "tuple":
            items = [walk.values_at(module, e, ctx, depth + 1) for e in right_expr[3]]
            return _combine([left, *items], lambda fmt, *args: fmt % tuple(args))
        right = walk.values_at(module, right_expr, ctx, depth + 1)
        return _combine([left, right], lambda fmt, arg: fmt % arg)
    return [Value(reason="computed at run time (arithmetic)")]


def _slice(walk: Walk, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Value]:
    """``text[start:stop]`` with bounds known in the code."""
    _, _, lower, upper = expr[3]
    base = walk.values_at(module, expr[2], ctx, depth + 1)
    bounds = [
        walk.values_at(module, b, ctx, depth + 1) if b is not None else [Value(value=None)]
        for b in (lower, upper)
    ]
    return _combine([base, *bounds], lambda text, start, stop: text[start:stop])


def _call(walk: Walk, module: Module, call: Expr, ctx: Ctx, depth: int) -> list[Value]:
    _, line, func, args, kwargs = call
    callees = {
        o.qualname for o in walk.objects(module, func, ctx, depth + 1) if isinstance(o, Symbol)
    }
    if callees & PATH_CALLS:
        return [Value(local=True)]
    if callees & PASS_THROUGH and args:
        return walk.values_at(module, args[0], ctx, depth + 1)
    if func[0] == "n" and func[2] == "len" and args:
        values = walk.values_at(module, args[0], ctx, depth + 1)
        return _combine([values], lambda text: len(text) if isinstance(text, str) else None)
    if func[0] == "a" and func[2][0] == "n" and func[2][2] == "str" and args:
        # ``str.replace(url, a, b)`` is ``url.replace(a, b)``
        func, args = ("a", line, args[0], func[3]), args[1:]
    if func[0] != "a":
        return [Value(reason=f"computed at run time by {_describe(func)}()")]
    method = func[3]
    if method == "join" and args:
        receiver = walk.values_at(module, func[2], ctx, depth + 1)
        elements = element_sources(walk, module, args[0], ctx, depth + 1, (), "join")
        items = [
            walk.values_at(s.module, s.expr, s.ctx, depth + 1)
            if s.expr is not None and s.reason is None
            else [Value(reason=s.reason or "unknown")]
            for s in elements
        ]
        return _combine([receiver, *items], lambda sep, *rest: sep.join(rest))
    if method not in _STR_METHODS and method != "format":
        return [Value(reason=f"computed at run time by {label(func)}()")]
    receiver = walk.values_at(module, func[2], ctx, depth + 1)
    positional = [walk.values_at(module, a, ctx, depth + 1) for a in args if a[0] != "*"]
    if method in _STR_METHODS:
        apply = _STR_METHODS[method]
        return _combine([receiver, *positional], lambda s, *rest: apply(s, *rest))
    names = [name or "" for name, _ in kwargs]
    keywords = [walk.values_at(module, value, ctx, depth + 1) for _, value in kwargs]
    count = len(positional)

    def keyword_format(fmt: str, *rest: object) -> str:
        return fmt.format(*rest[:count], **dict(zip(names, rest[count:], strict=True)))

    return _combine([receiver, *positional, *keywords], keyword_format)
