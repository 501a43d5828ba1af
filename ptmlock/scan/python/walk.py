"""Following a value back to where it is written, across the whole project, without running it.

A loader call rarely holds a literal: the model id comes from a constant (maybe imported), a
default, an argparse option, an environment default, a table of interchangeable models, a class
attribute, or what the function's callers pass, in any module. ``Walker.values`` walks those
bindings and returns every value an expression can take, each saying how it got there, where
it is written and the hops that led to the call. The walk is bounded in depth and in total work,
so pathological code ends in an unresolved value, never a hang; a parameter's values over all
callers are computed once per scan.

This module holds the walk's core (names, bindings, imports, attributes, calls, parameters);
``objects`` (what a name refers to), ``tables`` (elements and lookups), ``members`` (class
attributes, fields, options), ``callers`` and ``evaluate`` (literals and string operations) hold
the rest and call back through ``values.Walk``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from ptmlock.scan.python import objects as objects_module
from ptmlock.scan.python.callers import UNKNOWN, Caller, argument_for, find_callers
from ptmlock.scan.python.evaluate import evaluate
from ptmlock.scan.python.members import (
    FIELD_CALLS,
    class_attr_sources,
    click_option_sources,
    field_sources,
    find_subclasses,
    namespace_sources,
)
from ptmlock.scan.python.project import Reads
from ptmlock.scan.python.tables import (
    element_sources,
    is_expr,
    lookup_sources,
    pick,
    unresolved,
)
from ptmlock.scan.python.values import (
    MAX_DEPTH,
    MAX_STEPS,
    MAX_VALUES,
    TOO_DEEP,
    ArgsObj,
    ClassObj,
    Ctx,
    FuncObj,
    Hop,
    ModuleObj,
    Obj,
    OutOfBudget,
    Src,
    Symbol,
    Value,
)

if TYPE_CHECKING:
    from ptmlock.scan.python.ir import Expr
    from ptmlock.scan.python.project import Module, PythonProject

__all__ = ["Walker"]

_ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
_TOO_MUCH = "the value depends on too many alternatives to follow"


K = TypeVar("K")
V = TypeVar("V")


class Walker:
    """Every value an expression in a project module can take, found statically.

    ``notes`` collects what the walks passed through on their way to a loader (environment
    variables, command-line options), which tells the other file kinds' detectors which of
    their settings reach a model.
    """

    def __init__(self, project: PythonProject) -> None:
        self.project = project
        self.active: set[object] = set()
        self.notes: dict[str, set[str]] = defaultdict(set)
        self._steps = 0
        self._callers: dict[tuple[str, int], tuple[list[Caller], Reads]] = {}
        self._params: dict[tuple[str, int, str], tuple[list[Src], Reads]] = {}
        self._subclasses: dict[tuple[str, int], tuple[list[tuple[Module, int]], Reads]] = {}

    # -- public ---------------------------------------------------------------------------
    def values(self, module: Module, expr: Expr, ctx: Ctx | None = None) -> list[Value]:
        """The values ``expr`` (written in ``module``) can take; unknown ones carry a reason."""
        self._steps = 0
        site = ((module.relpath, expr[1]),)
        try:
            found = self.values_at(module, expr, ctx or Ctx(), 0)
        except OutOfBudget:
            return [Value(reason=_TOO_MUCH, sites=site)]
        except RecursionError:
            return [Value(reason=TOO_DEEP, sites=site)]
        return list(dict.fromkeys(found))

    def callees(self, module: Module, func: Expr, ctx: Ctx | None = None) -> list[str]:
        """Dotted names the callee ``func`` can be: external symbols, through imports, aliases
        and project classes deriving from outside ones."""
        self._steps = 0
        try:
            found = self.objects(module, func, ctx or Ctx(), 0)
            names: list[str] = []
            for obj in found:
                if isinstance(obj, Symbol):
                    names.append(obj.qualname)
                elif isinstance(obj, ClassObj):
                    names += [s.qualname for s in objects_module.base_symbols(self, obj)]
            return list(dict.fromkeys(names))
        except (OutOfBudget, RecursionError):
            return []

    def callers(self, module: Module, scope: int) -> list[Caller]:
        """Every call of the function ``scope`` in the project (computed once; a recursive
        search meets no callers of its own)."""
        return self._once(
            self._callers, (module.relpath, scope), lambda: find_callers(self, module, scope)
        )

    def subclasses(self, module: Module, scope: int) -> list[tuple[Module, int]]:
        """The project's subclasses of the class ``scope`` (computed once: resolving every
        class that names a base of that name loads its module)."""
        return self._once(
            self._subclasses, (module.relpath, scope), lambda: find_subclasses(self, module, scope)
        )

    def _once(
        self,
        memo: dict[K, tuple[list[V], Reads]],
        key: K,
        compute: Callable[[], list[V]],
        reentrant: bool = False,
    ) -> list[V]:
        """``compute()`` the first time, remembered with what it read (added to the reads of
        every later use); while it runs, asking again finds nothing (``reentrant``: computes
        again, the walk's own cycle checks ending it)."""
        tracker = self.project.tracker
        if key in memo:
            found, reads = memo[key]
            tracker.add(reads)
            return found
        if not reentrant:
            memo[key] = ([], Reads())
        tracker.begin()
        try:
            found = compute()
        finally:
            reads = tracker.end()
        memo[key] = (found, reads)
        return found

    # -- the walk, as its parts call it ---------------------------------------------------
    def tick(self) -> None:
        """Count one step of the walk; past ``MAX_STEPS`` the argument is given up."""
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise OutOfBudget

    def note(self, kind: str, name: str) -> None:
        self.notes[kind].add(name)
        self.project.tracker.note(kind, name)

    def values_at(self, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Value]:
        """``values`` inside the walk, ``depth`` steps from the loader argument."""
        out: list[Value] = []
        for src in self.sources(module, expr, ctx, depth):
            out += self._computed(src, depth)
            if len(out) > MAX_VALUES:
                break
        return out[:MAX_VALUES]

    def _computed(self, src: Src, depth: int) -> list[Value]:
        site = ((src.module.relpath, src.expr[1]),) if src.expr is not None else ()
        if src.reason is not None:
            return [Value(reason=src.reason, how=src.how, group=src.group, sites=site,
                          hops=src.hops)]  # fmt: skip
        if src.symbol is not None:
            return [Value(value=src.symbol, how=src.how, group=src.group, sites=site,
                          hops=src.hops)]  # fmt: skip
        if src.expr is None:
            return []
        out: list[Value] = []
        for value in evaluate(self, src.module, src.expr, src.ctx, depth + 1):
            value = replace(value, hops=value.hops + src.hops, sites=value.sites + src.selectors)
            out.append(value.via(src.how, src.group))
        return out

    def objects(self, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Obj]:
        """What ``expr`` refers to: project modules, classes, instances, functions, symbols."""
        return objects_module.objects(self, module, expr, ctx, depth)

    def sources(self, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Src]:
        """The expressions ``expr`` stands for, followed through names, attributes, subscripts,
        conditionals and calls that pass a value through."""
        self.tick()
        if depth > MAX_DEPTH:
            return unresolved(module, expr[1], TOO_DEEP)
        tag = expr[0]
        if tag == "n":
            return self._name_sources(module, expr, ctx, depth)
        if tag == "a":
            return self._attribute_sources(module, expr, ctx, depth)
        if tag == "s":
            if expr[3][0] == "sl":  # ``name[len(PREFIX):]``: computed from the string
                return [Src(module, expr, ctx=ctx)]
            namespace = self._namespace_lookup(module, expr[2], expr[3], ctx, depth, expr[1])
            if namespace is not None:
                return namespace
            return lookup_sources(self, module, expr[2], expr[3], None, ctx, depth, expr[1])
        if tag == "i":
            return [*self.sources(module, expr[2], ctx, depth + 1),
                    *self.sources(module, expr[3], ctx, depth + 1)]  # fmt: skip
        if tag == "o":
            return self._boolop_sources(module, expr, ctx, depth)
        if tag == "k":
            return self._call_sources(module, expr, ctx, depth)
        if tag == "lv":
            return element_sources(self, module, expr[2], ctx, depth + 1, expr[3], "a loop")
        return [Src(module, expr, ctx=ctx)]

    def binding_sources(
        self, module: Module, scope: int, name: str, binding: tuple[Any, ...], ctx: Ctx,
        depth: int,
    ) -> list[Src]:  # fmt: skip
        """What ``name`` gets from ``binding`` in ``scope``; meeting it again is a cycle."""
        key = ("value", module.relpath, scope, name, binding[1], binding[0])
        if key in self.active:
            return unresolved(module, binding[1], f"{name} is defined through itself (a cycle)")
        self.active.add(key)
        try:
            return self._binding_sources(module, scope, name, binding, ctx, depth)
        finally:
            self.active.discard(key)

    # -- names, bindings and imports ------------------------------------------------------
    def _name_sources(self, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Src]:
        _, line, name, scope = expr
        found = module.lookup(scope, name, line)
        if found is None:
            return self._import_sources(module, name, line, ctx, depth)
        bscope, bindings = found
        out: list[Src] = []
        for binding in bindings:
            out += self.binding_sources(module, bscope, name, binding, ctx, depth)
        return out

    def _binding_sources(
        self, module: Module, scope: int, name: str, binding: tuple[Any, ...], ctx: Ctx,
        depth: int,
    ) -> list[Src]:  # fmt: skip
        kind, line, value, path = binding[:4]
        if kind == "param":
            return self._param_sources(module, scope, name, binding, ctx, depth)
        if kind == "loop" and value is not None:
            return element_sources(self, module, value, ctx, depth + 1, path, name)
        if kind == "choice" and value is not None:
            hop = Hop(module.relpath, line, f"{name} is checked against this collection")
            found = element_sources(self, module, value, ctx, depth + 1, (), name)
            return [s.via(None, hop=hop) for s in found if s.reason is None]
        if kind not in ("assign", "with", "field") or value is None:
            what = {"def": "a function", "class": "a class", "field": "a field without a value"}
            return unresolved(module, line, f"{name} is {what.get(kind, kind)}, not a value")
        srcs = self.sources(module, value, ctx, depth + 1)
        if path:
            srcs = self._unpack(srcs, path, depth)
        hop = Hop(module.relpath, line, f"{name} = ...")
        return [s.via("constant", hop=hop) for s in srcs]

    def _unpack(self, srcs: list[Src], path: tuple[int, ...], depth: int) -> list[Src]:
        """The element at ``path`` of each tuple a tuple target is assigned from."""
        out: list[Src] = []
        for src in srcs:
            picked = pick(src.expr, path) if src.expr is not None else None
            if is_expr(picked):
                out += self.sources(src.module, picked, src.ctx, depth + 1)
            else:
                out.append(replace(src, expr=None, reason=src.reason or "unpacked at run time"))
        return out

    def _import_sources(
        self, module: Module, name: str, line: int, ctx: Ctx, depth: int
    ) -> list[Src]:
        """A name this module does not bind: imported from a project module (followed there,
        through re-exports and star imports), or an external symbol."""
        dotted = module.imported(name)
        if dotted is None:
            for level, star in module.summary.star_imports:
                other = self.project.module(module.absolute(level, star, None))
                if other is not None and other is not module:
                    found = self._module_name_sources(other, name, line, ctx, depth + 1)
                    if found and not found[0].reason:
                        return found
            return unresolved(module, line, f"{name} is not defined in this file")
        split = self.project.split(dotted)
        if split is None:
            return [Src(module, ("u", line, "symbol"), symbol=Symbol(dotted))]
        other, rest = split
        if not rest:
            return unresolved(module, line, f"{name} is a module, not a value")
        srcs = self._module_name_sources(other, rest[0], line, ctx, depth + 1)
        for attr in rest[1:]:
            srcs = [
                s
                for src in srcs
                if src.expr is not None
                for s in self.sources(src.module, ("a", line, src.expr, attr), src.ctx, depth + 1)
            ]
        return srcs

    def _module_name_sources(
        self, module: Module, name: str, line: int, ctx: Ctx, depth: int
    ) -> list[Src]:
        """A module-level name of ``module`` (a constant imported from another file)."""
        bindings = module.scope(0)["bind"].get(name)
        if bindings:
            out: list[Src] = []
            for binding in bindings:
                out += self.binding_sources(module, 0, name, binding, ctx, depth + 1)
            return out
        return self._import_sources(module, name, line, ctx, depth + 1)

    # -- parameters: the call that is being followed, else every caller --------------------
    def _param_sources(
        self, module: Module, scope: int, name: str, binding: tuple[Any, ...], ctx: Ctx,
        depth: int,
    ) -> list[Src]:  # fmt: skip
        qualname = module.qualname(scope)
        default = binding[2]
        frame = ctx.get(module, scope)
        if frame is not None:
            return self._framed_param(module, scope, name, default, frame, ctx, depth)
        out = click_option_sources(self, module, scope, name, ctx, depth)
        if default is not None:
            out += self._default_sources(module, scope, name, default, ctx, depth)
        out += self._caller_sources(module, scope, name, depth)
        if out:
            return out
        return unresolved(
            module, binding[1],
            f"parameter {name!r} of {qualname}() has no default and no caller passes a value",
        )  # fmt: skip

    def _default_sources(
        self, module: Module, scope: int, name: str, default: Expr, ctx: Ctx, depth: int
    ) -> list[Src]:
        hop = Hop(module.relpath, default[1], f"default of {module.qualname(scope)}({name})")
        return [s.via("default", hop=hop) for s in self.sources(module, default, ctx, depth + 1)]

    def _framed_param(
        self, module: Module, scope: int, name: str, default: Expr | None,
        frame: tuple[Any, ...], ctx: Ctx, depth: int,
    ) -> list[Src]:  # fmt: skip
        caller, call, caller_ctx, bound = frame
        if call is None:  # called from outside the project: the default
            if default is None:
                line = module.scope(scope)["line"]
                return unresolved(module, line, f"{name} is passed by the caller")
            return self._default_sources(module, scope, name, default, ctx, depth)
        passed = argument_for(module, scope, call, name, bound)
        if passed is UNKNOWN:
            return unresolved(caller, call[1], f"{name} is passed through *args or **kwargs")
        if passed is None:
            if default is None:
                return unresolved(caller, call[1], f"the call passes no {name}")
            return self._default_sources(module, scope, name, default, ctx, depth)
        hop = Hop(caller.relpath, call[1], f"{name} of {module.qualname(scope)}()", "caller")
        found = self.sources(caller, passed, caller_ctx, depth + 1)
        return [s.via("argument", hop=hop) for s in found]

    def _caller_sources(self, module: Module, scope: int, name: str, depth: int) -> list[Src]:
        """What every caller in the project passes for the parameter (computed once)."""
        return self._once(
            self._params,
            (module.relpath, scope, name),
            lambda: self._each_caller_passes(module, scope, name, depth),
            reentrant=True,
        )

    def _each_caller_passes(self, module: Module, scope: int, name: str, depth: int) -> list[Src]:
        out: list[Src] = []
        for caller, call, _call_scope, bound in self.callers(module, scope):
            passed = argument_for(module, scope, call, name, bound)
            if passed is None:
                continue
            if passed is UNKNOWN:
                reason = f"{name} is passed through *args or **kwargs"
                out += unresolved(caller, call[1], reason)
                continue
            hop = Hop(caller.relpath, call[1], f"{name} of {module.qualname(scope)}()", "caller")
            found = self.sources(caller, passed, Ctx(), depth + 1)
            out += [s.via("argument", hop=hop) for s in found]
        return out

    # -- operators, attributes and calls --------------------------------------------------
    def _boolop_sources(self, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Src]:
        """``x or "default"``: every operand may be the result (falsy literals never are); an
        operand after an unset environment variable or option is that setting's default."""
        operands = expr[3] if expr[2] == "or" else expr[3][-1:]
        out: list[Src] = []
        fallback: str | None = None
        for operand in operands:
            found = self.sources(module, operand, ctx, depth + 1)
            for src in found:
                if src.expr is not None and src.expr[0] == "c" and not src.expr[2]:
                    continue
                out.append(src.via(fallback) if fallback else src)
            if any((s.reason or "").startswith("environment variable") for s in found):
                fallback = "env-default"
            elif fallback is None and any(s.reason for s in found):
                fallback = "default"
        return out

    def _attribute_sources(self, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Src]:
        """``x.attr``: a name of a module, an attribute of a class or instance, an option of the
        argparse namespace, or a name under an external symbol."""
        _, line, base, attr = expr
        out: list[Src] = []
        found = self.objects(module, base, ctx, depth + 1)
        for obj in found:
            if isinstance(obj, ModuleObj):
                out += self._module_name_sources(obj.module, attr, line, ctx, depth + 1)
            elif isinstance(obj, ClassObj):
                out += class_attr_sources(self, obj, attr, ctx, depth + 1)
            elif isinstance(obj, ArgsObj):
                out += namespace_sources(self, obj.module, attr, ctx, depth + 1, line)
            elif isinstance(obj, Symbol):
                out.append(Src(module, expr, symbol=Symbol(f"{obj.qualname}.{attr}")))
        if found:
            return out
        return namespace_sources(self, module, attr, ctx, depth + 1, line, guess=True)

    def _call_sources(self, module: Module, call: Expr, ctx: Ctx, depth: int) -> list[Src]:
        """Calls that pass a value through: env getters, field defaults, ``d.get``, ``str``,
        and project functions (what they return, for this call's arguments)."""
        _, line, func, args, kwargs = call
        arg0 = args[0] if args else None
        callees = self.objects(module, func, ctx, depth + 1) if depth < MAX_DEPTH else []
        symbols = {o.qualname for o in callees if isinstance(o, Symbol)}
        if symbols & _ENV_GETTERS:
            return self._env_sources(module, call, ctx, depth)
        name = func[2] if func[0] == "n" else (func[3] if func[0] == "a" else None)
        if name in FIELD_CALLS and not any(isinstance(o, FuncObj) for o in callees):
            return field_sources(self, module, call, FIELD_CALLS[name], ctx, depth)
        if name in ("get", "pop") and func[0] == "a" and arg0 is not None and not symbols:
            namespace = self._namespace_lookup(module, func[2], arg0, ctx, depth, line)
            if namespace is not None:
                return namespace
            default = args[1] if len(args) > 1 else None
            return lookup_sources(self, module, func[2], arg0, default, ctx, depth, line)
        if func[0] == "n" and func[2] == "getattr" and len(args) >= 2 and not callees:
            return self._getattr_sources(module, call, ctx, depth)
        if func[0] == "n" and func[2] == "str" and arg0 is not None and not callees:
            return self.sources(module, arg0, ctx, depth + 1)
        returned: list[Src] = []
        for obj in callees:
            if isinstance(obj, FuncObj):
                returned += self._return_sources(module, call, obj, ctx, depth)
        if returned:
            return returned
        del kwargs
        return [Src(module, call, ctx=ctx)]

    def _namespace_lookup(
        self, module: Module, container: Expr, key: Expr, ctx: Ctx, depth: int, line: int
    ) -> list[Src] | None:
        """``vars(args)["model"]``, ``args.pop("model")``: an option of the parsed arguments."""
        if key[0] != "c" or not isinstance(key[2], str):
            return None
        spaces = [
            o for o in self.objects(module, container, ctx, depth + 1) if isinstance(o, ArgsObj)
        ]
        if not spaces:
            return None
        return [
            s
            for obj in spaces
            for s in namespace_sources(self, obj.module, key[2], ctx, depth + 1, line)
        ]

    def _getattr_sources(self, module: Module, call: Expr, ctx: Ctx, depth: int) -> list[Src]:
        """``getattr(cfg, "vision_tower", default)``: that attribute, else the default."""
        _, line, _, args, _ = call
        owner, name = args[0], args[1]
        out: list[Src] = []
        for value in self.values_at(module, name, ctx, depth + 1):
            if isinstance(value.value, str) and value.value.isidentifier():
                out += self.sources(module, ("a", line, owner, value.value), ctx, depth + 1)
        if len(args) > 2:
            out += self.sources(module, args[2], ctx, depth + 1)
        return out or [Src(module, call, ctx=ctx)]

    def _env_sources(self, module: Module, call: Expr, ctx: Ctx, depth: int) -> list[Src]:
        args = call[3]
        key = args[0] if args else None
        variable = str(key[2]) if key is not None and key[0] == "c" else "?"
        self.note("env", variable)
        default = (
            args[1] if len(args) > 1 else next((v for k, v in call[4] if k == "default"), None)
        )
        if default is None:
            return unresolved(module, call[1], f"environment variable {variable} has no default")
        hop = Hop(module.relpath, call[1], f"default of ${variable}")
        return [
            s.via("env-default", hop=hop) for s in self.sources(module, default, ctx, depth + 1)
        ]

    def _return_sources(
        self, module: Module, call: Expr, obj: FuncObj, ctx: Ctx, depth: int
    ) -> list[Src]:
        """A call of a project function: what its ``return`` statements give for this call."""
        key = ("returns", obj.module.relpath, obj.scope)
        if key in self.active:
            return []  # a recursive function: its other returns give the values
        inner = Ctx.inside(obj.module, obj.scope, (module, call, ctx, obj.bound))
        hop = Hop(module.relpath, call[1], f"returned by {obj.module.qualname(obj.scope)}()")
        out: list[Src] = []
        self.active.add(key)
        try:
            for returned in obj.module.scope(obj.scope)["returns"]:
                found = self.sources(obj.module, returned, inner, depth + 1)
                out += [s.via(None, hop=hop) for s in found]
        finally:
            self.active.discard(key)
        return out
