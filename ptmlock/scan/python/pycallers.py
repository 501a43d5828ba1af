"""Functions as value sources: a parameter takes what this module's calls of its function pass
(else its default, or a click option's value), and a call of a helper defined here gives what
its ``return`` statements give.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ptmlock.scan.python.pybindings import Binding
from ptmlock.scan.python.pyoptions import click_option_sources
from ptmlock.scan.python.valuetypes import Src, keyword_arg, unresolved

if TYPE_CHECKING:
    from ptmlock.scan.python.pyindex import ModuleIndex
    from ptmlock.scan.python.values import Resolver

__all__ = ["call_contexts", "param_sources", "return_sources"]


def param_sources(
    resolver: Resolver, module: ModuleIndex, binding: Binding, depth: int
) -> list[Src]:
    """A parameter: what the call context (``Resolver.env``) passes; without one, a click
    option's value, the default, and what this module's calls of the function pass."""
    arg = binding.node
    assert isinstance(arg, ast.arg)
    func = module.parents.get(module.parents.get(arg, arg), arg)
    in_context = resolver.env is not None and arg in resolver.env
    passed = resolver.env.get(arg) if resolver.env is not None else None
    if passed is not None:
        return [s.via("argument") for s in resolver.sources(module, passed, depth + 1)]
    out = click_option_sources(resolver, module, func, arg.arg, depth)
    if binding.value is not None:
        out += [s.via("default") for s in resolver.sources(module, binding.value, depth + 1)]
    if not in_context:
        out += _caller_sources(resolver, module, func, arg.arg, depth)
    if out:
        return out
    owner = getattr(func, "name", "lambda")
    return unresolved(
        module,
        f"parameter {arg.arg!r} of {owner}() has no default and no "
        "caller in this file passes a value",
    )


def _caller_sources(
    resolver: Resolver, module: ModuleIndex, func: ast.AST, param: str, depth: int
) -> list[Src]:
    """Values this module's own calls of ``func`` pass for ``param``."""
    if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    out: list[Src] = []
    for call in _callers(module, func):
        passed = _argument_for(module, call, func, param)
        if passed is not None:
            out += [s.via("argument") for s in resolver.sources(module, passed, depth + 1)]
    return out


def return_sources(
    resolver: Resolver, module: ModuleIndex, func: ast.Name, depth: int
) -> list[Src] | None:
    """A call of a helper defined in this file: what its ``return`` statements give."""
    bindings = module.lookup(func)
    defs = [b.node for b in bindings or [] if b.kind == "def"]
    if not defs:
        return None
    out: list[Src] = []
    for node in defs:
        for ret in _returns(node):
            if ret.value is not None:
                out += resolver.sources(module, ret.value, depth + 1)
    return out


def call_contexts(module: ModuleIndex, node: ast.AST) -> list[dict[ast.arg, ast.expr | None]]:
    """Per caller of the function around ``node``, what it passes for each parameter.

    Resolving a loader's model and revision under one caller at a time keeps them paired
    (``load("a", revision="x")`` and ``load("b")`` do not give ``a@main``). The last
    context has every parameter at its default, for callers outside this file.
    """
    func = module.enclosing(node)
    if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    calls = _callers(module, func)
    if not calls:
        return []
    params = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
    contexts = [{p: _argument_for(module, call, func, p.arg) for p in params} for call in calls]
    return [*contexts, dict.fromkeys(params)]


def _callers(module: ModuleIndex, func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
    """Calls of ``func`` in its own module: ``f(...)``, ``self.m(...)``, ``Cls(...)`` for
    ``__init__`` (also ``cls(...)`` inside the class)."""
    owner = module.enclosing(func)
    if not isinstance(owner, ast.ClassDef):
        return [c for c in module.calls_by_name.get(func.name, []) if isinstance(c.func, ast.Name)]
    if func.name == "__init__":
        inside = [
            c for c in module.calls_by_name.get("cls", []) if module.enclosing_class(c) is owner
        ]
        named = [
            c for c in module.calls_by_name.get(owner.name, []) if isinstance(c.func, ast.Name)
        ]
        return [*named, *inside]
    return [
        c
        for c in module.calls_by_name.get(func.name, [])
        if isinstance(c.func, ast.Attribute)
        and isinstance(c.func.value, ast.Name)
        and (c.func.value.id in ("self", "cls") or c.func.value.id[:1].isupper())
    ]


def _argument_for(
    module: ModuleIndex, call: ast.Call, func: ast.FunctionDef | ast.AsyncFunctionDef, param: str
) -> ast.expr | None:
    """The argument ``call`` passes for ``param`` of ``func``, if it can be told statically."""
    passed = keyword_arg(call, param)
    if passed is not None:
        return passed
    positional = [a.arg for a in (*func.args.posonlyargs, *func.args.args)]
    if param not in positional:
        return None
    shift = 1 if isinstance(module.enclosing(func), ast.ClassDef) else 0
    index = positional.index(param) - shift
    if not 0 <= index < len(call.args):
        return None
    if any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return None
    return call.args[index]


def _returns(func: ast.AST) -> Iterable[ast.Return]:
    """``return`` statements of ``func`` itself, not of functions nested in it."""
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            yield node
        elif not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
        ):
            stack.extend(ast.iter_child_nodes(node))
