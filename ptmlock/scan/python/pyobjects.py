"""What a name refers to when it is not a value: a project module, class or instance, the
argparse namespace, or a symbol outside the project. Attributes and callees resolve through
these (``self.cfg.model``, ``tf.AutoModel.from_pretrained``, ``class M(BertModel)``).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ptmlock.scan.python.pybindings import Binding
from ptmlock.scan.python.pycallers import return_sources
from ptmlock.scan.python.pyfields import class_attr_sources
from ptmlock.scan.python.valuetypes import (
    MAX_DEPTH,
    ArgsObj,
    ClassObj,
    ModuleObj,
    Obj,
    Symbol,
    called_name,
)

if TYPE_CHECKING:
    from ptmlock.scan.python.pyindex import ModuleIndex
    from ptmlock.scan.python.values import Resolver

__all__ = ["base_symbols", "objects"]


def objects(resolver: Resolver, module: ModuleIndex, expr: ast.expr, depth: int) -> list[Obj]:
    """What ``expr`` refers to, through names, attributes, calls and ``x or y``."""
    resolver.tick()
    if depth > MAX_DEPTH:
        return []
    if isinstance(expr, ast.Name):
        return _name_objects(resolver, module, expr, depth)
    if isinstance(expr, ast.Attribute):
        out: list[Obj] = []
        for obj in objects(resolver, module, expr.value, depth + 1):
            out += _attribute_objects(resolver, obj, expr.attr, depth + 1)
        return out
    if isinstance(expr, ast.Call):
        return _call_objects(resolver, module, expr, depth)
    if isinstance(expr, ast.Subscript):
        return [
            o for o in objects(resolver, module, expr.value, depth + 1) if isinstance(o, ArgsObj)
        ]
    if isinstance(expr, ast.BoolOp | ast.IfExp):
        parts = expr.values if isinstance(expr, ast.BoolOp) else [expr.body, expr.orelse]
        return [o for part in parts for o in objects(resolver, module, part, depth + 1)]
    return []


def _call_objects(resolver: Resolver, module: ModuleIndex, call: ast.Call, depth: int) -> list[Obj]:
    """``parse_args()`` gives the namespace, ``Cls(...)`` an instance, ``helper()`` what it
    returns."""
    if called_name(call.func) in ("parse_args", "parse_known_args"):
        return [ArgsObj(module)]
    out: list[Obj] = []
    for obj in objects(resolver, module, call.func, depth + 1):
        if isinstance(obj, ClassObj):
            out.append(ClassObj(obj.module, obj.node, call))
        elif isinstance(obj, Symbol):
            out.append(Symbol(f"{obj.qualname}()"))
    if not out and isinstance(call.func, ast.Name):
        for src in return_sources(resolver, module, call.func, depth) or []:
            if src.expr is not None:
                out += objects(resolver, src.module, src.expr, depth + 1)
    return out


def _name_objects(resolver: Resolver, module: ModuleIndex, node: ast.Name, depth: int) -> list[Obj]:
    if node.id in ("self", "cls"):
        cls = module.enclosing_class(node)
        if cls is not None:
            return [ClassObj(module, cls)]
    bindings = module.lookup(node)
    if bindings is None:
        return _import_objects(resolver, module, node.id, depth)
    out: list[Obj] = []
    for binding in bindings:
        key = (id(binding.node), f"object:{node.id}")
        if key in resolver.active:
            continue
        resolver.active.add(key)
        try:
            out += _binding_objects(resolver, module, binding, depth)
        finally:
            resolver.active.discard(key)
    return out


def _binding_objects(
    resolver: Resolver, module: ModuleIndex, binding: Binding, depth: int
) -> list[Obj]:
    if binding.kind == "class":
        assert isinstance(binding.node, ast.ClassDef)
        return [ClassObj(module, binding.node)]
    if binding.kind == "assign" and binding.value is not None and not binding.path:
        return objects(resolver, module, binding.value, depth + 1)
    if binding.kind == "param" and isinstance(binding.node, ast.arg):
        # an annotated parameter (``cfg: Config | None``) holds an instance of that class
        annotation = binding.node.annotation
        names = [n for n in ast.walk(annotation) if isinstance(n, ast.Name)] if annotation else []
        return [
            o
            for n in names
            for o in objects(resolver, module, n, depth + 1)
            if isinstance(o, ClassObj)
        ]
    return []


def _import_objects(resolver: Resolver, module: ModuleIndex, name: str, depth: int) -> list[Obj]:
    qualname = module.imports.get(name)
    if qualname is None:
        return _star_objects(resolver, module, name, depth)
    split = resolver.project.split(qualname)
    if split is None:
        return [Symbol(qualname)]
    other, rest = split
    objs: list[Obj] = [ModuleObj(other)]
    for attr in rest:
        objs = [o for obj in objs for o in _attribute_objects(resolver, obj, attr, depth + 1)]
    return objs


def _star_objects(resolver: Resolver, module: ModuleIndex, name: str, depth: int) -> list[Obj]:
    """``from x import *``: a project module's name, else (best effort) the first
    external star module's."""
    for star in module.star_imports:
        other = resolver.project.module(star)
        if other is None:
            return [Symbol(f"{star}.{name}")]
        if other is not module and name in other.bindings(other.tree):
            return _attribute_objects(resolver, ModuleObj(other), name, depth + 1)
    return []


def _attribute_objects(resolver: Resolver, obj: Obj, attr: str, depth: int) -> list[Obj]:
    """``obj.attr``: a module's name, a class attribute, or a name under an external symbol."""
    if isinstance(obj, Symbol):
        return [Symbol(f"{obj.qualname}.{attr}")]
    if isinstance(obj, ModuleObj):
        table = obj.module.bindings(obj.module.tree)
        if attr not in table:
            return _import_objects(resolver, obj.module, attr, depth + 1)
        return [
            o for b in table[attr] for o in _binding_objects(resolver, obj.module, b, depth + 1)
        ]
    if isinstance(obj, ClassObj):
        out: list[Obj] = []
        for src in class_attr_sources(resolver, obj, attr, depth + 1):
            if src.expr is not None:
                out += objects(resolver, src.module, src.expr, depth + 1)
        if not out:
            out = [Symbol(f"{s.qualname}.{attr}") for s in base_symbols(resolver, obj, depth)]
        return out
    return []


def base_symbols(resolver: Resolver, obj: ClassObj, depth: int) -> list[Symbol]:
    """External classes a project class derives from (``class M(BertModel)``)."""
    if depth > MAX_DEPTH:
        return []
    out: list[Symbol] = []
    for base in obj.node.bases:
        for base_obj in objects(resolver, obj.module, base, depth + 1):
            if isinstance(base_obj, Symbol):
                out.append(base_obj)
            elif isinstance(base_obj, ClassObj) and base_obj.node is not obj.node:
                out += base_symbols(resolver, base_obj, depth + 1)
    return out
