"""Collections the walk looks into: the elements a loop or ``choices=`` runs over, and the entry
``D[key]`` / ``D.get(key, default)`` selects (every entry when the key is not fixed in the code).

Dict literals, ``dict(...)``/``OrderedDict(...)``, lists, tuples, sets and comprehensions are
read, also joined with ``+`` and seen through ``.items()``, ``zip``, ``enumerate``, ``sorted``
and the like. Tables nest: ``{"name": {"url": ...}}["name"]["url"]`` is followed to the URL.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeGuard

from ptmlock.scan.python.ir import last_name
from ptmlock.scan.python.values import MAX_DEPTH, TOO_DEEP, Ctx, Hop, Src, Symbol, Walk

if TYPE_CHECKING:
    from ptmlock.scan.python.ir import Expr
    from ptmlock.scan.python.project import Module

__all__ = [
    "as_dict",
    "element_sources",
    "is_expr",
    "label",
    "lookup_keys",
    "lookup_sources",
    "pick",
    "unresolved",
]

_ITERATION_WRAPPERS = frozenset({"sorted", "list", "tuple", "set", "reversed", "iter", "frozenset"})
_DICT_CALLS = frozenset({"dict", "OrderedDict", "defaultdict"})
_FIXED_KEYS = frozenset({"literal", "constant", "attribute"})

Elem = Any  # an IR expression, or a tuple of them (``items()`` pairs, ``zip`` rows)


def unresolved(module: Module, line: int, reason: str) -> list[Src]:
    """No source, and why: the walk reports the reason instead of guessing."""
    return [Src(module, ("u", line, "unresolved"), reason=reason)]


def label(expr: Expr) -> str:
    """A collection's name for ``Reference.group``: ``MODELS`` for ``MODELS.items()``."""
    while expr[0] == "k":
        func = expr[2]
        if func[0] == "a":
            expr = func[2]
        elif expr[3]:
            expr = expr[3][0]
        else:
            break
    return _text(expr) or "a collection"


def _text(expr: Expr) -> str:
    if expr[0] == "n":
        return str(expr[2])
    if expr[0] == "a":
        base = _text(expr[2])
        return f"{base}.{expr[3]}" if base else str(expr[3])
    if expr[0] == "s":
        return _text(expr[2])
    return ""


def element_sources(
    walk: Walk, module: Module, iterable: Expr, ctx: Ctx, depth: int, path: tuple[int, ...],
    fallback: str,
) -> list[Src]:  # fmt: skip
    """Each element of a collection a loop (or ``choices=``) runs over, as one source."""
    group = label(iterable) if iterable[0] not in ("l", "d") else fallback
    hop = Hop(module.relpath, iterable[1], f"an element of {group}")
    out: list[Src] = []
    for owner, owner_ctx, elem in _elements(walk, module, iterable, ctx, depth + 1):
        if isinstance(elem, Src):
            out.append(elem.via("collection", group))
            continue
        picked = pick(elem, path) if path else elem
        if is_expr(picked):
            found = walk.sources(owner, picked, owner_ctx, depth + 1)
            out += [s.via("collection", group, hop) for s in found]
    return out or unresolved(
        module, iterable[1], f"the elements of {group} are known only at run time"
    )


def _elements(
    walk: Walk, module: Module, expr: Expr, ctx: Ctx, depth: int
) -> list[tuple[Module, Ctx, Elem | Src]]:
    """The elements of a collection, each with the module it is written in (or a source that
    says why they are unknown)."""
    walk.tick()
    if depth > MAX_DEPTH:
        return [(module, ctx, Src(module, None, reason=TOO_DEEP))]
    if expr[0] == "k":
        return _call_elements(walk, module, expr, ctx, depth)
    if expr[0] == "b" and expr[2] == "+":
        return [
            *_elements(walk, module, expr[3], ctx, depth + 1),
            *_elements(walk, module, expr[4], ctx, depth + 1),
        ]
    out: list[tuple[Module, Ctx, Elem | Src]] = []
    for src in walk.sources(module, expr, ctx, depth + 1):
        node = src.expr
        if src.reason is not None or node is None:
            out.append((src.module, src.ctx, src))
        elif node[0] == "l":
            for elt in node[3]:
                if elt[0] == "*":
                    out += _elements(walk, src.module, elt[2], src.ctx, depth + 1)
                else:
                    out.append((src.module, src.ctx, elt))
        elif as_dict(node) is not None:
            keys, _ = as_dict(node) or ((), ())
            out += [(src.module, src.ctx, k) for k in keys if k is not None]
        elif node[0] == "g" or node[0] == "dg":
            out.append((src.module, src.ctx, node[2]))
        elif node[0] in ("k", "b"):
            out += _elements(walk, src.module, node, src.ctx, depth + 1)
    return out


def _call_elements(
    walk: Walk, module: Module, call: Expr, ctx: Ctx, depth: int
) -> list[tuple[Module, Ctx, Elem | Src]]:
    """Elements seen through a call: dict views, ``sorted``/``list``..., ``enumerate``, ``zip``."""
    func, args = call[2], call[3]
    if func[0] == "a" and func[3] in ("items", "values", "keys"):
        return _mapping_elements(walk, module, func[2], func[3], ctx, depth)
    name = func[2] if func[0] == "n" else None
    if name in _ITERATION_WRAPPERS and args:
        return _elements(walk, module, args[0], ctx, depth + 1)
    if name == "enumerate" and args:
        inner = _elements(walk, module, args[0], ctx, depth + 1)
        return [
            (m, c, (("c", call[1], i), e)) if not isinstance(e, Src) else (m, c, e)
            for i, (m, c, e) in enumerate(inner)
        ]
    if name == "zip" and args:
        columns = [_elements(walk, module, a, ctx, depth + 1) for a in args]
        rows = zip(*columns, strict=False)
        return [
            (row[0][0], row[0][1], tuple(e for _, _, e in row if not isinstance(e, Src)))
            for row in rows
        ]
    reason = f"the elements of {label(call)} are computed at run time"
    return [(module, ctx, Src(module, ("u", call[1], "call"), reason=reason))]


def _mapping_elements(
    walk: Walk, module: Module, mapping: Expr, view: str, ctx: Ctx, depth: int
) -> list[tuple[Module, Ctx, Elem | Src]]:
    """``D.items()``, ``D.values()`` or ``D.keys()`` of a dict written in the code."""
    out: list[tuple[Module, Ctx, Elem | Src]] = []
    for src in walk.sources(module, mapping, ctx, depth + 1):
        pairs = as_dict(src.expr) if src.expr is not None else None
        if pairs is None:
            continue
        for key, value in zip(*pairs, strict=True):
            if key is None:
                continue
            item: Elem = (key, value) if view == "items" else (value if view == "values" else key)
            out.append((src.module, src.ctx, item))
    return out


def lookup_keys(walk: Walk, module: Module, expr: Expr, ctx: Ctx, depth: int) -> tuple[
    list[object], list[tuple[str, int]], bool
]:  # fmt: skip
    """A lookup key's values, the sites they are written at, and whether every entry is a
    candidate too (the key is unknown, or an option or default whoever runs it can change)."""
    values = walk.values_at(module, expr, ctx, depth + 1)
    keys = [v.value for v in values if v.reason is None and not v.local]
    sites = [v.sites[0] for v in values if v.reason is None and v.sites]
    every = not keys or any(v.reason is not None or v.how not in _FIXED_KEYS for v in values)
    return keys, sites, every


def lookup_sources(
    walk: Walk, module: Module, container: Expr, key: Expr | None, default: Expr | None,
    ctx: Ctx, depth: int, line: int,
) -> list[Src]:  # fmt: skip
    """``D[key]`` or ``D.get(key, default)``: the entry, or every entry for an unknown key."""
    keys, key_sites, every = (
        lookup_keys(walk, module, key, ctx, depth) if key is not None else ([], [], True)
    )
    group = label(container)
    hop = Hop(module.relpath, line, f"looked up in {group}")
    out: list[Src] = []
    for src in walk.sources(module, container, ctx, depth + 1):
        if src.symbol is not None and src.symbol.qualname == "os.environ":
            name = str(keys[0]) if keys else "?"
            walk.note("env", name)
            return unresolved(module, line, f"environment variable {name} has no default")
        if src.symbol is not None and src.symbol.key is None and _one_name(keys, every):
            # a library's own table: the model is named where the key is written
            named = Symbol(src.symbol.qualname, key=str(keys[0]))
            written = key_sites[0] if key_sites else (module.relpath, line)
            at = written[1] if written[0] == module.relpath else line
            out.append(replace(src, expr=("u", at, "symbol"), symbol=named, hops=(*src.hops, hop)))
            continue
        entries = _entries(src, keys, every)
        if entries is None:
            reason = src.reason or f"looked up in {group}, known only at run time"
            out.append(replace(src, expr=None, reason=reason))
            continue
        selectors = tuple(s for s in key_sites if s[0] != src.module.relpath)
        for entry, how in entries:
            for found in walk.sources(src.module, entry, src.ctx, depth + 1):
                found = found.via(src.how, src.group).via(
                    how, group if how == "collection" else None, hop
                )
                out.append(
                    replace(found, selectors=found.selectors + selectors)
                    if how == "constant"
                    else found
                )
    if default is not None:
        out += walk.sources(module, default, ctx, depth + 1)
    return out


def _one_name(keys: list[object], every: bool) -> bool:
    return not every and len(keys) == 1 and isinstance(keys[0], str)


def _entries(src: Src, keys: list[object], every: bool) -> list[tuple[Expr, str]] | None:
    """The entries of a dict/list literal that ``keys`` select (all of them when ``every``)."""
    node = src.expr
    if node is None:
        return None
    pairs = as_dict(node)
    if pairs is not None:
        items = [(k, v) for k, v in zip(*pairs, strict=True) if k is not None]
        chosen = [(v, "constant") for k, v in items if k[0] == "c" and k[2] in keys]
        rest = [(v, "collection") for k, v in items if not (k[0] == "c" and k[2] in keys)]
        return chosen + rest if every or not chosen else chosen
    if node[0] == "l":
        elts = [e for e in node[3] if e[0] != "*"]
        index = keys[0] if len(keys) == 1 and isinstance(keys[0], int) else None
        if index is not None and -len(elts) <= index < len(elts) and not every:
            return [(elts[index], "constant")]
        return [(e, "collection") for e in elts]
    return None


def as_dict(expr: Expr) -> tuple[tuple[Expr | None, ...], tuple[Expr, ...]] | None:
    """(keys, values) of a dict literal, or of ``dict(a=..., b=...)``/``OrderedDict([...])``."""
    if expr[0] == "d":
        return expr[2], expr[3]
    if expr[0] != "k" or last_name(expr[2]) not in _DICT_CALLS:
        return None
    keys: list[Expr | None] = []
    values: list[Expr] = []
    for arg in expr[3]:
        if arg[0] == "d":
            keys += arg[2]
            values += arg[3]
        elif arg[0] == "l":
            pairs = [e[3] for e in arg[3] if e[0] == "l" and len(e[3]) == 2]
            keys += [pair[0] for pair in pairs]
            values += [pair[1] for pair in pairs]
    for name, value in expr[4]:
        if name:
            keys.append(("c", value[1], name))
            values.append(value)
    return tuple(keys), tuple(values)


def is_expr(elem: Elem) -> TypeGuard[Expr]:
    """An IR expression (a tag first), not a tuple of them."""
    return isinstance(elem, tuple) and bool(elem) and isinstance(elem[0], str)


def pick(elem: Elem, path: tuple[int, ...]) -> Elem | None:
    """The part of a (nested) tuple or list at ``path``, as ``a, (b, c) = ...`` unpacks it."""
    for position in path:
        if is_expr(elem):
            if elem[0] != "l":
                return None
            parts = [e for e in elem[3] if e[0] != "*"]
        else:
            parts = list(elem)
        if position >= len(parts):
            return None
        elem = parts[position]
    return elem
