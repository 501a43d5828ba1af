"""Following a value back to where it is written, without running anything.

A loader call rarely holds a literal: the model id comes from a constant, a constant imported
from another module, a default, an argparse option, an environment default, a dict of
interchangeable models. ``Resolver.values`` walks those bindings and returns every value an
expression can take, each saying how it got there. The walk is bounded in depth and in total
work, so a pathological file ends in an unresolved value, never a hang.

Two passes share the walk: ``Resolver.sources`` follows names, attributes, subscripts and loops
to the expressions they stand for; ``pyevaluate`` computes those (literals, f-strings, ``+``,
``%``, ``.format``) into values. This module holds the walk's core (names, bindings, imports,
attributes, pass-through calls); each other kind of source has a module of its own:
``pyobjects`` (what a name refers to), ``pycollections`` (elements and lookups), ``pyfields``
(class attributes and field defaults), ``pyoptions`` (command-line options) and ``pycallers``
(parameters and helper returns).
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING

from ptmlock.scan.python.pybindings import Binding
from ptmlock.scan.python.pycallers import call_contexts, param_sources, return_sources
from ptmlock.scan.python.pycollections import (
    element_sources,
    lookup_keys,
    lookup_sources,
    pick,
    subscript_sources,
)
from ptmlock.scan.python.pyevaluate import evaluate
from ptmlock.scan.python.pyfields import FIELD_CALLS, class_attr_sources, field_sources
from ptmlock.scan.python.pyobjects import base_symbols, objects
from ptmlock.scan.python.pyoptions import namespace_sources
from ptmlock.scan.python.valuetypes import (
    MAX_DEPTH,
    MAX_STEPS,
    MAX_VALUES,
    TOO_DEEP,
    ArgsObj,
    ClassObj,
    ModuleObj,
    Obj,
    Src,
    Symbol,
    Value,
    called_name,
    keyword_arg,
    unresolved,
)

if TYPE_CHECKING:
    from ptmlock.scan.python.pyindex import ModuleIndex, Project

__all__ = ["MAX_DEPTH", "MAX_STEPS", "Resolver", "Symbol", "Value"]

_ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
_TOO_MUCH = "the value depends on too many alternatives to follow"


class _OutOfBudget(Exception):
    """The walk for one argument did more than MAX_STEPS steps."""


class Resolver:
    """Every value an expression in a project module can take, found statically.

    The parts of the walk in other modules take the resolver as their first argument and call
    back into ``sources``, ``values_at``, ``objects`` and ``binding_sources``; ``tick`` counts
    their work against the budget and ``active`` guards against cycles.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self._steps = 0
        self.active: set[tuple[int, str]] = set()  # (binding, name) pairs being followed
        # one call site's arguments for the enclosing function's parameters (None: default)
        self.env: dict[ast.arg, ast.expr | None] | None = None

    # --- public ---------------------------------------------------------------------------

    def values(self, module: ModuleIndex, expr: ast.expr) -> list[Value]:
        """The values ``expr`` can take; unresolvable ones carry a reason."""
        self._steps = 0
        try:
            found = self.values_at(module, expr, 0)
        except _OutOfBudget:
            return [Value(reason=_TOO_MUCH)]
        except RecursionError:
            return [Value(reason=TOO_DEEP)]
        return list(dict.fromkeys(found))

    def callees(self, module: ModuleIndex, func: ast.expr) -> list[str]:
        """Dotted names the callee ``func`` can be, through imports and local subclasses."""
        self._steps = 0
        try:
            return self.callee_names(module, func)
        except (_OutOfBudget, RecursionError):
            return []

    def callee_names(self, module: ModuleIndex, func: ast.expr) -> list[str]:
        """``callees`` inside a walk: its steps count against that walk's budget (resetting
        the budget here would let a walk that meets many calls run without bound)."""
        found = self.objects(module, func, 0)
        names: list[str] = []
        for obj in found:
            if isinstance(obj, Symbol):
                names.append(obj.qualname)
            elif isinstance(obj, ClassObj):
                names.extend(s.qualname for s in base_symbols(self, obj, 0))
        return list(dict.fromkeys(names))

    def call_contexts(
        self, module: ModuleIndex, node: ast.AST
    ) -> list[dict[ast.arg, ast.expr | None]]:
        """Per caller of the function around ``node``, what it passes for each parameter: set
        one as ``env`` to resolve a loader's model and revision as that caller pairs them."""
        return call_contexts(module, node)

    # --- the walk, as its parts call it ---------------------------------------------------

    def tick(self) -> None:
        """Count one step of the walk; past ``MAX_STEPS`` the argument is given up."""
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise _OutOfBudget

    def values_at(self, module: ModuleIndex, expr: ast.expr, depth: int) -> list[Value]:
        """``values`` inside the walk, ``depth`` steps from the loader argument."""
        out: list[Value] = []
        for src in self.sources(module, expr, depth):
            if src.reason is not None:
                out.append(Value(reason=src.reason, how=src.how, group=src.group))
            elif src.symbol is not None:
                out.append(Value(value=src.symbol, how=src.how, group=src.group))
            elif src.expr is not None:
                evaluated = evaluate(self, src.module, src.expr, depth + 1)
                out.extend(v.via(src.how, src.group) for v in evaluated)
            if len(out) > MAX_VALUES:
                break
        return out[:MAX_VALUES]

    def objects(self, module: ModuleIndex, expr: ast.expr, depth: int) -> list[Obj]:
        """What ``expr`` refers to: project modules, classes, instances, external symbols."""
        return objects(self, module, expr, depth)

    def sources(self, module: ModuleIndex, expr: ast.expr, depth: int) -> list[Src]:
        """The expressions ``expr`` stands for, followed through names, attributes, subscripts,
        conditionals and pass-through calls."""
        self.tick()
        if depth > MAX_DEPTH:
            return unresolved(module, TOO_DEEP)
        if isinstance(expr, ast.Name):
            return self._name_sources(module, expr, depth)
        if isinstance(expr, ast.Attribute):
            return self._attribute_sources(module, expr, depth)
        if isinstance(expr, ast.Subscript):
            return subscript_sources(self, module, expr, depth)
        if isinstance(expr, ast.IfExp):
            return [
                *self.sources(module, expr.body, depth + 1),
                *self.sources(module, expr.orelse, depth + 1),
            ]
        if isinstance(expr, ast.BoolOp):
            return self._boolop_sources(module, expr, depth)
        if isinstance(expr, ast.NamedExpr):
            return self.sources(module, expr.value, depth + 1)
        if isinstance(expr, ast.Call):
            return self._call_sources(module, expr, depth)
        return [Src(module, expr)]

    def binding_sources(
        self, module: ModuleIndex, binding: Binding, name: str, depth: int
    ) -> list[Src]:
        """What ``name`` gets from ``binding``; a binding already being followed adds nothing."""
        key = (id(binding.node), name)
        if key in self.active:
            return []  # a cycle adds nothing new
        self.active.add(key)
        try:
            return self._binding_sources_inner(module, binding, name, depth)
        finally:
            self.active.discard(key)

    # --- names, bindings and imports ------------------------------------------------------

    def _name_sources(self, module: ModuleIndex, node: ast.Name, depth: int) -> list[Src]:
        """A name: every binding that can reach this use, else what it is imported as."""
        bindings = module.lookup(node)
        if bindings is None:
            return self._import_sources(module, node.id, depth)
        out: list[Src] = []
        for binding in bindings:
            out.extend(self.binding_sources(module, binding, node.id, depth))
        return out

    def _binding_sources_inner(
        self, module: ModuleIndex, binding: Binding, name: str, depth: int
    ) -> list[Src]:
        if binding.kind == "param":
            return param_sources(self, module, binding, depth)
        if binding.kind == "loop" and binding.value is not None:
            return element_sources(self, module, binding.value, depth + 1, binding.path, name)
        if binding.kind != "assign" or binding.value is None:
            return unresolved(module, f"{name} is a {binding.kind}, not a value")
        srcs = self.sources(module, binding.value, depth + 1)
        if binding.path:
            srcs = self._unpack(srcs, binding.path, depth)
        return [s.via("constant") for s in srcs]

    def _unpack(self, srcs: list[Src], path: tuple[int, ...], depth: int) -> list[Src]:
        """The element at ``path`` of each tuple a tuple target is assigned from."""
        out: list[Src] = []
        for src in srcs:
            picked = pick(src.expr, path) if src.expr is not None else None
            if isinstance(picked, ast.expr):
                out.extend(self.sources(src.module, picked, depth + 1))
            else:
                out.append(replace(src, expr=None, reason=src.reason or "unpacked at run time"))
        return out

    def _import_sources(self, module: ModuleIndex, name: str, depth: int) -> list[Src]:
        """A name this module does not bind: imported from a project module (followed there,
        through re-exports and star imports), or an external symbol."""
        qualname = module.imports.get(name)
        if qualname is None:
            for star in module.star_imports:
                other = self.project.module(star)
                if other is not None and other is not module:
                    found = self._module_name_sources(other, name, depth + 1)
                    if found and not found[0].reason:
                        return found
            return unresolved(module, f"{name} is not defined in this file")
        split = self.project.split(qualname)
        if split is None:
            return [Src(module, None, symbol=Symbol(qualname))]
        other, rest = split
        if not rest:
            return unresolved(module, f"{name} is a module, not a value")
        srcs = self._module_name_sources(other, rest[0], depth + 1)
        for attr in rest[1:]:
            srcs = [
                s
                for src in srcs
                if src.expr is not None
                for s in self.sources(
                    src.module, ast.Attribute(value=src.expr, attr=attr, ctx=ast.Load()), depth + 1
                )
            ]
        return [s.via("constant") for s in srcs]

    def _module_name_sources(self, module: ModuleIndex, name: str, depth: int) -> list[Src]:
        """A module-level name of ``module`` (a constant imported from another file)."""
        table = module.bindings(module.tree)
        if name in table:
            out: list[Src] = []
            for binding in table[name]:
                out.extend(self.binding_sources(module, binding, name, depth + 1))
            return out
        return self._import_sources(module, name, depth + 1)

    # --- operators, attributes and pass-through calls -------------------------------------

    def _boolop_sources(self, module: ModuleIndex, expr: ast.BoolOp, depth: int) -> list[Src]:
        """``x or "default"``: every operand may be the result (falsy literals never are); an
        operand after an unset environment variable or option is that setting's default."""
        operands = expr.values if isinstance(expr.op, ast.Or) else expr.values[-1:]
        out: list[Src] = []
        fallback: str | None = None
        for operand in operands:
            found = self.sources(module, operand, depth + 1)
            for src in found:
                if isinstance(src.expr, ast.Constant) and not src.expr.value:
                    continue
                out.append(src.via(fallback) if fallback else src)
            if any((s.reason or "").startswith("environment variable") for s in found):
                fallback = "env-default"
            elif fallback is None and any(s.reason for s in found):
                fallback = "default"
        return out

    def _attribute_sources(self, module: ModuleIndex, node: ast.Attribute, depth: int) -> list[Src]:
        """``x.attr``: a name of a module, an attribute of a class or instance, an option of the
        argparse namespace, or a name under an external symbol."""
        base, attr = node.value, node.attr
        if isinstance(base, ast.Name) and base.id in ("self", "cls"):
            cls = module.enclosing_class(node)
            if cls is not None:
                return class_attr_sources(self, ClassObj(module, cls), attr, depth + 1)
        out: list[Src] = []
        found = self.objects(module, base, depth + 1)
        for obj in found:
            if isinstance(obj, ModuleObj):
                out += self._module_name_sources(obj.module, attr, depth + 1)
            elif isinstance(obj, ClassObj):
                out += class_attr_sources(self, obj, attr, depth + 1)
            elif isinstance(obj, ArgsObj):
                out += namespace_sources(self, obj.module, attr, depth + 1)
            else:
                out.append(Src(module, None, symbol=Symbol(f"{obj.qualname}.{attr}")))
        if found:
            return out
        return namespace_sources(self, module, attr, depth + 1, guess=True)

    def _call_sources(self, module: ModuleIndex, call: ast.Call, depth: int) -> list[Src]:
        """Calls that pass a value through: env getters, field defaults, ``d.get``, helpers."""
        func = call.func
        callees = set(self.callee_names(module, func)) if depth < MAX_DEPTH else set()
        arg0 = call.args[0] if call.args else None
        if callees & _ENV_GETTERS:
            default = call.args[1] if len(call.args) > 1 else keyword_arg(call, "default")
            if default is None:
                key = str(arg0.value) if isinstance(arg0, ast.Constant) else "?"
                return unresolved(module, f"environment variable {key} has no default")
            return [s.via("env-default") for s in self.sources(module, default, depth + 1)]
        name = called_name(func)
        if name in FIELD_CALLS:
            return field_sources(self, module, call, FIELD_CALLS[name], depth)
        if name == "get" and isinstance(func, ast.Attribute) and arg0 is not None:
            keys = lookup_keys(self, module, arg0, depth)
            default = call.args[1] if len(call.args) > 1 else None
            return lookup_sources(self, module, func.value, keys, default, depth)
        if isinstance(func, ast.Name) and func.id == "str" and arg0 is not None:
            return self.sources(module, arg0, depth + 1)
        if isinstance(func, ast.Name):
            returns = return_sources(self, module, func, depth)
            if returns is not None:
                return returns
        return [Src(module, call)]
