"""Command-line options as value sources: argparse ``add_argument``/``set_defaults`` read through
``args.name``, and click decorators on the function whose parameter they fill. An option's value
is its default or, with ``choices=``/``click.Choice``, any of the choices.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING

from ptmlock.scan.python.pycollections import element_sources
from ptmlock.scan.python.pyfields import class_attr_sources
from ptmlock.scan.python.valuetypes import ClassObj, Src, called_name, keyword_arg, unresolved

if TYPE_CHECKING:
    from ptmlock.scan.python.pyindex import ModuleIndex
    from ptmlock.scan.python.values import Resolver

__all__ = ["click_option_sources", "namespace_sources", "option_values"]


def click_option_sources(
    resolver: Resolver, module: ModuleIndex, func: ast.AST, param: str, depth: int
) -> list[Src]:
    """click's ``@click.option("--model", default=..., type=click.Choice([...]))``."""
    out: list[Src] = []
    for decorator in getattr(func, "decorator_list", []):
        if not (
            isinstance(decorator, ast.Call)
            and called_name(decorator.func) in ("option", "argument")
        ):
            continue
        decls = [
            a.value
            for a in decorator.args
            if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        if not decls or _click_param(decls) != param:
            continue
        flag = next((d for d in decls if d.startswith("--")), decls[0])
        out.extend(option_values(resolver, module, decorator, flag, depth))
    return out


def option_values(
    resolver: Resolver, module: ModuleIndex, call: ast.Call, flag: str, depth: int
) -> list[Src]:
    """An option's default and its choices (argparse ``choices=``, click ``Choice``)."""
    choices = keyword_arg(call, "choices")
    kind = keyword_arg(call, "type")
    if choices is None and isinstance(kind, ast.Call) and called_name(kind.func) == "Choice":
        choices = kind.args[0] if kind.args else None
    group = flag if choices is not None else None
    out: list[Src] = []
    default = keyword_arg(call, "default")
    if default is not None:
        out += [s.via("argparse", group) for s in resolver.sources(module, default, depth + 1)]
    if choices is not None:
        elements = element_sources(resolver, module, choices, depth + 1, (), flag)
        out += [replace(s, how="argparse", group=group) for s in elements]
    if not out:
        return unresolved(module, f"command-line option {flag} has no default")
    return out


def namespace_sources(
    resolver: Resolver, module: ModuleIndex, attr: str, depth: int, guess: bool = False
) -> list[Src]:
    """``args.model``: the argparse option stored as ``model`` (or, when the namespace's
    origin is unknown, a class field of that name in this module)."""
    calls = module.options.get(attr, [])
    out: list[Src] = []
    for call in calls:
        if called_name(call.func) == "set_defaults":
            value = keyword_arg(call, attr)
            if value is not None:
                out += [s.via("argparse") for s in resolver.sources(module, value, depth + 1)]
            continue
        flags = [a.value for a in call.args if isinstance(a, ast.Constant)]
        flag = str(next((f for f in flags if str(f).startswith("--")), flags[0] if flags else attr))
        out += option_values(resolver, module, call, flag, depth)
    if out or not guess:
        return out or unresolved(module, f"command-line option {attr} is not declared here")
    owners = [c for group in module.classes.values() for c in group if attr in module.bindings(c)]
    if len(owners) == 1:
        return class_attr_sources(resolver, ClassObj(module, owners[0]), attr, depth + 1)
    return unresolved(module, f"the object holding .{attr} is only known at run time")


def _click_param(decls: list[str]) -> str:
    """The Python parameter a click option fills: an explicit name, else the long flag."""
    explicit = [d for d in decls if d.isidentifier()]
    if explicit:
        return explicit[0]
    longs = sorted((d for d in decls if d.startswith("--")), key=len, reverse=True)
    chosen = longs[0] if longs else decls[0]
    return chosen.lstrip("-").replace("-", "_").lower()
