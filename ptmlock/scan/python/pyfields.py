"""Class attributes as value sources: class-level assignments, dataclass/attrs/pydantic field
defaults (``field(default=...)``, ``Field(...)``, ``attr.ib(...)``; typer's ``Option(...)`` reads
the same way), ``self.x = ...`` in methods, keywords of the constructor call, and attributes
set in subclasses or inherited from project base classes.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ptmlock.scan.python.valuetypes import ClassObj, Src, keyword_arg, unresolved

if TYPE_CHECKING:
    from ptmlock.scan.python.pyindex import ModuleIndex
    from ptmlock.scan.python.values import Resolver

__all__ = ["FIELD_CALLS", "class_attr_sources", "field_sources"]

FIELD_CALLS = {  # callee name -> how its default reaches a program
    "field": "default", "Field": "default", "ib": "default", "attrib": "default",
    "Option": "argparse", "Argument": "argparse",
}  # fmt: skip


def class_attr_sources(resolver: Resolver, obj: ClassObj, attr: str, depth: int) -> list[Src]:
    """A class attribute, dataclass/pydantic/attrs field default, or ``self.x = ...``."""
    module, cls = obj.module, obj.node
    out: list[Src] = []
    if obj.call is not None:
        passed = keyword_arg(obj.call, attr)
        if passed is not None:
            out += [s.via("argument") for s in resolver.sources(module, passed, depth + 1)]
    for klass in (cls, *_subclasses(module, cls)):
        for binding in module.bindings(klass).get(attr, []):
            how = "default" if isinstance(binding.node, ast.AnnAssign) else "attribute"
            out += [s.via(how) for s in resolver.binding_sources(module, binding, attr, depth + 1)]
        for value in module.self_assigns.get((klass, attr), []):
            out += [s.via("attribute") for s in resolver.sources(module, value, depth + 1)]
    if out:
        return out
    for base in cls.bases:
        for base_obj in resolver.objects(module, base, depth + 1):
            if isinstance(base_obj, ClassObj):
                out += class_attr_sources(resolver, base_obj, attr, depth + 1)
    return out or unresolved(module, f"{cls.name}.{attr} is set at run time")


def _subclasses(module: ModuleIndex, cls: ast.ClassDef) -> list[ast.ClassDef]:
    """Classes of ``module`` that name ``cls`` as a base: they may set its attributes."""
    return [
        c
        for group in module.classes.values()
        for c in group
        if any(isinstance(b, ast.Name) and b.id == cls.name for b in c.bases)
    ]


def field_sources(
    resolver: Resolver, module: ModuleIndex, call: ast.Call, how: str, depth: int
) -> list[Src]:
    """``field(default=...)``, ``Field(...)``, ``attr.ib(...)``, typer ``Option(...)``: the
    default (``...`` means required), or what a ``lambda`` default factory returns."""
    default = keyword_arg(call, "default")
    if (
        default is None
        and call.args
        and not (isinstance(call.args[0], ast.Constant) and call.args[0].value is Ellipsis)
    ):
        default = call.args[0]
    factory = keyword_arg(call, "default_factory") or keyword_arg(call, "factory")
    if default is None and isinstance(factory, ast.Lambda):
        default = factory.body
    if default is None:
        return unresolved(module, "a field without a default")
    return [s.via(how) for s in resolver.sources(module, default, depth + 1)]
