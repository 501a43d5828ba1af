"""Collections the walk looks into: the elements a loop or ``choices=`` runs over, and the
entry ``D[key]``/``D.get(key, default)`` selects (every entry when the key is not fixed in the
code).

Dict literals, ``dict(...)``/``OrderedDict(...)``, lists, tuples and sets are read, also joined
with ``+`` and seen through ``.items()``, ``zip``, ``enumerate``, ``sorted`` and the like.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING

from ptmlock.scan.python.valuetypes import (
    MAX_DEPTH,
    TOO_DEEP,
    Elem,
    Src,
    called_name,
    label,
    unresolved,
)

if TYPE_CHECKING:
    from ptmlock.scan.python.pyindex import ModuleIndex
    from ptmlock.scan.python.values import Resolver

__all__ = [
    "element_sources",
    "lookup_keys",
    "lookup_sources",
    "pick",
    "subscript_sources",
]

_ITERATION_WRAPPERS = frozenset({"sorted", "list", "tuple", "set", "reversed", "iter", "frozenset"})
_DICT_CALLS = frozenset({"dict", "OrderedDict"})


def element_sources(
    resolver: Resolver,
    module: ModuleIndex,
    iterable: ast.expr,
    depth: int,
    path: tuple[int, ...],
    fallback: str,
) -> list[Src]:
    """Each element of a collection a loop (or ``choices=``) runs over, as one source."""
    group = (
        label(iterable) if not isinstance(iterable, ast.List | ast.Tuple | ast.Set) else fallback
    )
    out: list[Src] = []
    for owner, elem in _elements(resolver, module, iterable, depth + 1):
        if isinstance(elem, Src):
            out.append(elem.via("collection", group))
            continue
        picked = pick(elem, path) if path else elem
        if isinstance(picked, ast.expr):
            out += [s.via("collection", group) for s in resolver.sources(owner, picked, depth + 1)]
    return out or unresolved(module, f"the elements of {group} are known only at run time")


def _elements(
    resolver: Resolver, module: ModuleIndex, expr: ast.expr, depth: int
) -> list[tuple[ModuleIndex, Elem | Src]]:
    """The elements of a collection, each with the module it is written in (or a source that
    says why they are unknown)."""
    resolver.tick()
    if depth > MAX_DEPTH:
        return [(module, Src(module, None, reason=TOO_DEEP))]
    if isinstance(expr, ast.Call):
        return _call_elements(resolver, module, expr, depth)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return [
            *_elements(resolver, module, expr.left, depth + 1),
            *_elements(resolver, module, expr.right, depth + 1),
        ]
    out: list[tuple[ModuleIndex, Elem | Src]] = []
    for src in resolver.sources(module, expr, depth + 1):
        node = src.expr
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    out += _elements(resolver, src.module, elt.value, depth + 1)
                else:
                    out.append((src.module, elt))
        elif node is not None and _as_dict(node) is not None:
            mapping = _as_dict(node)
            assert mapping is not None
            out += [(src.module, k) for k in mapping.keys if k is not None]
        elif node is not None and not isinstance(node, ast.Constant):
            out += (
                _elements(resolver, src.module, node, depth + 1)
                if isinstance(node, ast.Call | ast.BinOp)
                else []
            )
        elif src.reason is not None:
            out.append((src.module, src))
    return out


def _call_elements(
    resolver: Resolver, module: ModuleIndex, call: ast.Call, depth: int
) -> list[tuple[ModuleIndex, Elem | Src]]:
    """Elements seen through a call: dict views, ``sorted``/``list``..., ``enumerate``, ``zip``."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("items", "values", "keys"):
        return _mapping_elements(resolver, module, func.value, func.attr, depth)
    name = func.id if isinstance(func, ast.Name) else None
    if name in _ITERATION_WRAPPERS and call.args:
        return _elements(resolver, module, call.args[0], depth + 1)
    if name == "enumerate" and call.args:
        return [
            (m, (ast.Constant(value=i), e)) if not isinstance(e, Src) else (m, e)
            for i, (m, e) in enumerate(_elements(resolver, module, call.args[0], depth + 1))
        ]
    if name == "zip" and call.args:
        columns = [_elements(resolver, module, a, depth + 1) for a in call.args]
        return [
            (row[0][0], tuple(e for _, e in row if not isinstance(e, Src)))
            for row in zip(*columns, strict=False)
        ]
    return [
        (
            module,
            Src(module, None, reason=f"the elements of {label(call)} are computed at run time"),
        )
    ]


def _mapping_elements(
    resolver: Resolver, module: ModuleIndex, mapping_expr: ast.expr, view: str, depth: int
) -> list[tuple[ModuleIndex, Elem | Src]]:
    """``D.items()``, ``D.values()`` or ``D.keys()`` (``view``) of a dict written in the code."""
    out: list[tuple[ModuleIndex, Elem | Src]] = []
    for src in resolver.sources(module, mapping_expr, depth + 1):
        mapping = _as_dict(src.expr) if src.expr is not None else None
        if mapping is not None:
            for key, value in zip(mapping.keys, mapping.values, strict=True):
                if key is None:
                    continue
                item: Elem = (
                    (key, value) if view == "items" else (value if view == "values" else key)
                )
                out.append((src.module, item))
    return out


def subscript_sources(
    resolver: Resolver, module: ModuleIndex, node: ast.Subscript, depth: int
) -> list[Src]:
    """``D[key]``: the entry for a key fixed in the code, else every entry."""
    return lookup_sources(
        resolver, module, node.value, lookup_keys(resolver, module, node.slice, depth), None, depth
    )


def lookup_keys(
    resolver: Resolver, module: ModuleIndex, expr: ast.expr, depth: int
) -> list[object]:
    """A lookup key, when it is fixed in the code; a default, option or argument can be
    changed by whoever runs it, so then every entry is a candidate."""
    values = resolver.values_at(module, expr, depth + 1)
    if any(v.reason is not None or v.how not in ("literal", "constant") for v in values):
        return []
    return [v.value for v in values]


def lookup_sources(
    resolver: Resolver,
    module: ModuleIndex,
    container: ast.expr,
    keys: list[object],
    default: ast.expr | None,
    depth: int,
) -> list[Src]:
    """``D[key]`` or ``D.get(key, default)``: the entry, or every entry for an unknown key."""
    group = label(container)
    out: list[Src] = []
    for src in resolver.sources(module, container, depth + 1):
        if src.symbol is not None and src.symbol.qualname == "os.environ":
            key = keys[0] if keys else "?"
            return unresolved(module, f"environment variable {key} has no default")
        entries = _entries(src, keys)
        if entries is None:
            out.append(
                src
                if src.reason is not None
                else replace(src, expr=None, reason=f"looked up in {group}, known only at run time")
            )
            continue
        chosen, how = entries
        out += [
            s.via(src.how, src.group).via(how, group if how == "collection" else None)
            for e in chosen
            for s in resolver.sources(src.module, e, depth + 1)
        ]
    if default is not None:
        out += resolver.sources(module, default, depth + 1)
    return out


def _entries(src: Src, keys: list[object]) -> tuple[list[ast.expr], str] | None:
    """The entries of a dict/list literal that ``keys`` select (all of them if none)."""
    mapping = _as_dict(src.expr) if src.expr is not None else None
    if mapping is not None:
        pairs = [(k, v) for k, v in zip(mapping.keys, mapping.values, strict=True) if k]
        chosen = [v for k, v in pairs if isinstance(k, ast.Constant) and k.value in keys]
        return (chosen, "constant") if chosen else ([v for _, v in pairs], "collection")
    if isinstance(src.expr, ast.List | ast.Tuple):
        elts = src.expr.elts
        index = keys[0] if len(keys) == 1 and isinstance(keys[0], int) else None
        if index is not None and -len(elts) <= index < len(elts):
            return [elts[index]], "constant"
        return list(elts), "collection"
    return None


def _as_dict(expr: ast.expr) -> ast.Dict | None:
    """A dict literal, or ``dict(a=..., b=...)``/``OrderedDict(...)`` seen as one."""
    if isinstance(expr, ast.Dict):
        return expr
    if not (isinstance(expr, ast.Call) and called_name(expr.func) in _DICT_CALLS):
        return None
    keys: list[ast.expr | None] = []
    values: list[ast.expr] = []
    for arg in expr.args:
        if isinstance(arg, ast.Dict):
            keys += arg.keys
            values += arg.values
        elif isinstance(arg, ast.List | ast.Tuple):
            pairs = [e.elts for e in arg.elts if isinstance(e, ast.Tuple) and len(e.elts) == 2]
            keys += [pair[0] for pair in pairs]
            values += [pair[1] for pair in pairs]
    for kw in expr.keywords:
        if kw.arg:
            keys.append(ast.copy_location(ast.Constant(value=kw.arg), kw.value))
            values.append(kw.value)
    return ast.Dict(keys=keys, values=values)


def pick(elem: Elem, path: tuple[int, ...]) -> Elem | None:
    """The part of a (nested) tuple or list at ``path``, as ``a, (b, c) = ...`` unpacks it."""
    for position in path:
        if isinstance(elem, ast.Tuple | ast.List):
            elem = elem.elts[position] if position < len(elem.elts) else None  # type: ignore[assignment]
        elif isinstance(elem, tuple):
            elem = elem[position] if position < len(elem) else None  # type: ignore[assignment]
        else:
            return None
        if elem is None:
            return None
    return elem
