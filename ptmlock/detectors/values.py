"""Following a value back to where it is written, without running anything.

A loader call rarely holds a literal: the model id comes from a constant, a constant imported
from another module, a default, an argparse option, an environment default, a dict of
interchangeable models. ``Resolver.values`` walks those bindings and returns every value an
expression can take, each saying how it got there. The walk is bounded in depth and in total
work, so a pathological file ends in an unresolved value, never a hang.

Two passes share the walk: ``_sources`` follows names, attributes, subscripts and loops to the
expressions they stand for; ``_evaluate`` computes those (literals, f-strings, ``+``, ``%``,
``.format``) into values.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ptmlock.detectors.pybindings import Binding

if TYPE_CHECKING:
    from ptmlock.detectors.pyindex import ModuleIndex, Project

__all__ = ["MAX_DEPTH", "MAX_STEPS", "Resolver", "Symbol", "Value"]

MAX_DEPTH = 24  # bindings followed from a loader argument to a literal
MAX_STEPS = 5000  # total work per argument; pathological files stop here
MAX_VALUES = 64  # values per argument (products of f-strings over collections)

# How a value reached the call; a chain reports its most telling step.
_HOW_RANK = {
    how: rank
    for rank, how in enumerate(
        ("literal", "constant", "argument", "attribute", "default", "env-default",
         "library-default", "argparse", "collection")
    )
}  # fmt: skip
_ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
_FIELD_CALLS = {  # callee name -> how its default reaches a program
    "field": "default", "Field": "default", "ib": "default", "attrib": "default",
    "Option": "argparse", "Argument": "argparse",
}  # fmt: skip
_ITERATION_WRAPPERS = frozenset({"sorted", "list", "tuple", "set", "reversed", "iter", "frozenset"})
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
_TOO_DEEP = f"the value passes through more than {MAX_DEPTH} steps"
_TOO_MUCH = "the value depends on too many alternatives to follow"


class _OutOfBudget(Exception):
    """The walk for one argument did more than MAX_STEPS steps."""


@dataclass(frozen=True, slots=True)
class Symbol:
    """A name from outside the project, e.g. ``torchvision.models.ResNet50_Weights.DEFAULT``."""

    qualname: str


@dataclass(frozen=True, slots=True)
class Value:
    """One value an expression can take, or why it can't be known (``reason``).

    ``local`` marks a filesystem path built with ``Path``/``os.path.join``: not a model, and
    not unresolved either.
    """

    value: object = None
    how: str = "literal"
    group: str | None = None
    reason: str | None = None
    local: bool = False

    def via(self, how: str, group: str | None = None) -> Value:
        """This value reached through one more step."""
        stronger = how if _HOW_RANK.get(how, 0) > _HOW_RANK.get(self.how, 0) else self.how
        return replace(self, how=stronger, group=self.group or group)


@dataclass(frozen=True, slots=True)
class _Src:
    """An expression a name may stand for, or why there is none."""

    module: ModuleIndex
    expr: ast.expr | None
    how: str = "literal"
    group: str | None = None
    reason: str | None = None
    symbol: Symbol | None = None

    def via(self, how: str, group: str | None = None) -> _Src:
        stronger = how if _HOW_RANK.get(how, 0) > _HOW_RANK.get(self.how, 0) else self.how
        return replace(self, how=stronger, group=self.group or group)


@dataclass(frozen=True, slots=True)
class _ModuleObj:
    module: ModuleIndex


@dataclass(frozen=True, slots=True)
class _ClassObj:
    module: ModuleIndex
    node: ast.ClassDef
    call: ast.Call | None = None  # the constructor call, for an instance


@dataclass(frozen=True, slots=True)
class _ArgsObj:
    """The namespace ``parser.parse_args()`` returns."""

    module: ModuleIndex


_Obj = _ModuleObj | _ClassObj | _ArgsObj | Symbol
_Elem = ast.expr | tuple["_Elem", ...]


def _reason(module: ModuleIndex, reason: str) -> list[_Src]:
    return [_Src(module, None, reason=reason)]


def _name_of(expr: ast.expr) -> str | None:
    """The called name: ``f`` for ``f(...)`` and ``x.f(...)``."""
    if isinstance(expr, ast.Name):
        return expr.id
    return expr.attr if isinstance(expr, ast.Attribute) else None


def _label(expr: ast.expr) -> str:
    """A collection's name for ``Reference.group``: ``MODELS`` for ``MODELS.items()``."""
    while (isinstance(expr, ast.Call) and expr.args) or (
        isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)
    ):
        assert isinstance(expr, ast.Call)
        inner = expr.func.value if isinstance(expr.func, ast.Attribute) else expr.args[0]
        expr = inner
    return ast.unparse(expr)


def _pick(elem: _Elem, path: tuple[int, ...]) -> _Elem | None:
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


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


class Resolver:
    """Every value an expression in a project module can take, found statically."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._steps = 0
        self._active: set[tuple[int, str]] = set()
        # one call site's arguments for the enclosing function's parameters (None: default)
        self.env: dict[ast.arg, ast.expr | None] | None = None

    # --- public ---------------------------------------------------------------------------

    def values(self, module: ModuleIndex, expr: ast.expr) -> list[Value]:
        """The values ``expr`` can take; unresolvable ones carry a reason."""
        self._steps = 0
        try:
            found = self._values(module, expr, 0)
        except _OutOfBudget:
            return [Value(reason=_TOO_MUCH)]
        except RecursionError:
            return [Value(reason=_TOO_DEEP)]
        return list(dict.fromkeys(found))

    def callees(self, module: ModuleIndex, func: ast.expr) -> list[str]:
        """Dotted names the callee ``func`` can be, through imports and local subclasses."""
        self._steps = 0
        try:
            objects = self._objects(module, func, 0)
        except (_OutOfBudget, RecursionError):
            return []
        names: list[str] = []
        for obj in objects:
            if isinstance(obj, Symbol):
                names.append(obj.qualname)
            elif isinstance(obj, _ClassObj):
                names.extend(s.qualname for s in self._base_symbols(obj, 0))
        return list(dict.fromkeys(names))

    def call_contexts(
        self, module: ModuleIndex, node: ast.AST
    ) -> list[dict[ast.arg, ast.expr | None]]:
        """Per caller of the function around ``node``, what it passes for each parameter.

        Resolving a loader's model and revision under one caller at a time keeps them paired
        (``load("a", revision="x")`` and ``load("b")`` do not give ``a@main``). The last
        context has every parameter at its default, for callers outside this file.
        """
        func = module.enclosing(node)
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            return []
        callers = _callers(module, func)
        if not callers:
            return []
        params = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        contexts = [{p: _passed(module, call, func, p.arg) for p in params} for call in callers]
        return [*contexts, dict.fromkeys(params)]

    # --- bookkeeping ----------------------------------------------------------------------

    def _tick(self) -> None:
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise _OutOfBudget

    # --- values ---------------------------------------------------------------------------

    def _values(self, module: ModuleIndex, expr: ast.expr, depth: int) -> list[Value]:
        out: list[Value] = []
        for src in self._sources(module, expr, depth):
            if src.reason is not None:
                out.append(Value(reason=src.reason, how=src.how, group=src.group))
            elif src.symbol is not None:
                out.append(Value(value=src.symbol, how=src.how, group=src.group))
            elif src.expr is not None:
                evaluated = self._evaluate(src.module, src.expr, depth + 1)
                out.extend(v.via(src.how, src.group) for v in evaluated)
            if len(out) > MAX_VALUES:
                break
        return out[:MAX_VALUES]

    def _evaluate(self, module: ModuleIndex, expr: ast.expr, depth: int) -> list[Value]:
        """Compute a leaf expression: a literal or an operation over other values."""
        self._tick()
        if isinstance(expr, ast.Constant):
            return [Value(value=expr.value)]
        if isinstance(expr, ast.JoinedStr):
            return self._fstring(module, expr, depth)
        if isinstance(expr, ast.BinOp):
            return self._binop(module, expr, depth)
        if isinstance(expr, ast.Call):
            return self._evaluate_call(module, expr, depth)
        if isinstance(expr, ast.List | ast.Tuple | ast.Set | ast.Dict | ast.ListComp):
            return [Value(reason="a collection is passed where one model is expected")]
        text = ast.unparse(expr)
        return [Value(reason=f"computed at run time: {text[:60]}")]

    def _combine(self, parts: list[list[Value]], join: Callable[..., object]) -> list[Value]:
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
            how = max((v.how for v in combo), key=lambda h: _HOW_RANK.get(h, 0), default="literal")
            group = next((v.group for v in combo if v.group), None)
            out.append(Value(value=joined, how=how, group=group))
        return out

    def _fstring(self, module: ModuleIndex, expr: ast.JoinedStr, depth: int) -> list[Value]:
        parts: list[list[Value]] = []
        for part in expr.values:
            if isinstance(part, ast.FormattedValue):
                spec = ast.unparse(part.format_spec)[2:-1] if part.format_spec else ""
                values = self._values(module, part.value, depth + 1)
                parts.append([self._format(v, spec) for v in values])
            else:
                parts.append(self._evaluate(module, part, depth + 1))
        return self._combine(parts, lambda *items: "".join(str(i) for i in items))

    @staticmethod
    def _format(value: Value, spec: str) -> Value:
        if value.reason is not None or value.local or "{" in spec:
            return value
        try:
            return replace(value, value=format(value.value, spec))
        except (TypeError, ValueError):
            return Value(reason="a format spec that fails statically")

    def _binop(self, module: ModuleIndex, expr: ast.BinOp, depth: int) -> list[Value]:
        if isinstance(expr.op, ast.Div):
            return [Value(local=True)]  # pathlib's ``/``
        left = self._values(module, expr.left, depth + 1)
        if isinstance(expr.op, ast.Add):
            right = self._values(module, expr.right, depth + 1)
            return self._combine([left, right], lambda a, b: a + b)
        if isinstance(expr.op, ast.Mod):
            if isinstance(expr.right, ast.Tuple):
                items = [self._values(module, e, depth + 1) for e in expr.right.elts]
                return self._combine([left, *items], lambda fmt, *args: fmt % tuple(args))
            right = self._values(module, expr.right, depth + 1)
            return self._combine([left, right], lambda fmt, arg: fmt % arg)
        return [Value(reason=f"computed at run time: {ast.unparse(expr)[:60]}")]

    def _evaluate_call(self, module: ModuleIndex, call: ast.Call, depth: int) -> list[Value]:
        func = call.func
        if set(self.callees(module, func)) & _PATH_CALLS:
            return [Value(local=True)]
        if isinstance(func, ast.Attribute):
            receiver = self._values(module, func.value, depth + 1)
            args = [self._values(module, a, depth + 1) for a in call.args]
            if func.attr == "format" and not call.keywords:
                return self._combine([receiver, *args], lambda fmt, *rest: fmt.format(*rest))
            if func.attr == "format":
                names = [kw.arg or "" for kw in call.keywords]
                kws = [self._values(module, kw.value, depth + 1) for kw in call.keywords]
                n = len(args)

                def keyword_format(fmt: str, *rest: object) -> str:
                    return fmt.format(*rest[:n], **dict(zip(names, rest[n:], strict=True)))

                return self._combine([receiver, *args, *kws], keyword_format)
            if func.attr in _STR_METHODS:
                method = _STR_METHODS[func.attr]
                return self._combine([receiver, *args], lambda s, *rest: method(s, *rest))
            if func.attr == "join" and call.args:
                elems = self._element_sources(module, call.args[0], depth + 1, (), "join")
                items = [
                    self._values(s.module, s.expr, depth + 1)
                    if s.expr
                    else [Value(reason=s.reason)]
                    for s in elems
                ]
                return self._combine([receiver, *items], lambda sep, *rest: sep.join(rest))
        return [Value(reason=f"computed at run time by {ast.unparse(func)[:60]}()")]

    # --- sources: what an expression stands for --------------------------------------------

    def _sources(self, module: ModuleIndex, expr: ast.expr, depth: int) -> list[_Src]:
        self._tick()
        if depth > MAX_DEPTH:
            return _reason(module, _TOO_DEEP)
        if isinstance(expr, ast.Name):
            return self._name_sources(module, expr, depth)
        if isinstance(expr, ast.Attribute):
            return self._attribute_sources(module, expr, depth)
        if isinstance(expr, ast.Subscript):
            return self._subscript_sources(module, expr, depth)
        if isinstance(expr, ast.IfExp):
            return [
                *self._sources(module, expr.body, depth + 1),
                *self._sources(module, expr.orelse, depth + 1),
            ]
        if isinstance(expr, ast.BoolOp):
            return self._boolop_sources(module, expr, depth)
        if isinstance(expr, ast.NamedExpr):
            return self._sources(module, expr.value, depth + 1)
        if isinstance(expr, ast.Call):
            return self._call_sources(module, expr, depth)
        return [_Src(module, expr)]

    def _boolop_sources(self, module: ModuleIndex, expr: ast.BoolOp, depth: int) -> list[_Src]:
        """``x or "default"``: every operand may be the result (falsy literals never are); an
        operand after an unset environment variable or option is that setting's default."""
        operands = expr.values if isinstance(expr.op, ast.Or) else expr.values[-1:]
        out: list[_Src] = []
        fallback: str | None = None
        for operand in operands:
            found = self._sources(module, operand, depth + 1)
            for src in found:
                if isinstance(src.expr, ast.Constant) and not src.expr.value:
                    continue
                out.append(src.via(fallback) if fallback else src)
            if any((s.reason or "").startswith("environment variable") for s in found):
                fallback = "env-default"
            elif fallback is None and any(s.reason for s in found):
                fallback = "default"
        return out

    def _name_sources(self, module: ModuleIndex, node: ast.Name, depth: int) -> list[_Src]:
        bindings = module.lookup(node)
        if bindings is None:
            return self._import_sources(module, node.id, depth)
        out: list[_Src] = []
        for binding in bindings:
            out.extend(self._binding_sources(module, binding, node.id, depth))
        return out

    def _binding_sources(
        self, module: ModuleIndex, binding: Binding, name: str, depth: int
    ) -> list[_Src]:
        key = (id(binding.node), name)
        if key in self._active:
            return []  # a cycle adds nothing new
        self._active.add(key)
        try:
            return self._binding_sources_inner(module, binding, name, depth)
        finally:
            self._active.discard(key)

    def _binding_sources_inner(
        self, module: ModuleIndex, binding: Binding, name: str, depth: int
    ) -> list[_Src]:
        if binding.kind == "param":
            return self._param_sources(module, binding, depth)
        if binding.kind == "loop" and binding.value is not None:
            return self._element_sources(module, binding.value, depth + 1, binding.path, name)
        if binding.kind != "assign" or binding.value is None:
            return _reason(module, f"{name} is a {binding.kind}, not a value")
        srcs = self._sources(module, binding.value, depth + 1)
        if binding.path:
            srcs = self._unpack(srcs, binding.path, depth)
        return [s.via("constant") for s in srcs]

    def _unpack(self, srcs: list[_Src], path: tuple[int, ...], depth: int) -> list[_Src]:
        out: list[_Src] = []
        for src in srcs:
            picked = _pick(src.expr, path) if src.expr is not None else None
            if isinstance(picked, ast.expr):
                out.extend(self._sources(src.module, picked, depth + 1))
            else:
                out.append(replace(src, expr=None, reason=src.reason or "unpacked at run time"))
        return out

    def _param_sources(self, module: ModuleIndex, binding: Binding, depth: int) -> list[_Src]:
        arg = binding.node
        assert isinstance(arg, ast.arg)
        func = module.parents.get(module.parents.get(arg, arg), arg)
        in_context = self.env is not None and arg in self.env
        passed = self.env.get(arg) if self.env is not None else None
        if passed is not None:
            return [s.via("argument") for s in self._sources(module, passed, depth + 1)]
        out = self._cli_option_sources(module, func, arg.arg, depth)
        if binding.value is not None:
            out += [s.via("default") for s in self._sources(module, binding.value, depth + 1)]
        if not in_context:
            out += self._caller_sources(module, func, arg.arg, depth)
        if out:
            return out
        owner = getattr(func, "name", "lambda")
        return _reason(
            module,
            f"parameter {arg.arg!r} of {owner}() has no default and no "
            "caller in this file passes a value",
        )

    def _cli_option_sources(
        self, module: ModuleIndex, func: ast.AST, param: str, depth: int
    ) -> list[_Src]:
        """click's ``@click.option("--model", default=..., type=click.Choice([...]))``."""
        out: list[_Src] = []
        for decorator in getattr(func, "decorator_list", []):
            if not (
                isinstance(decorator, ast.Call)
                and _name_of(decorator.func) in ("option", "argument")
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
            out.extend(self._option_values(module, decorator, flag, depth))
        return out

    def _option_values(
        self, module: ModuleIndex, call: ast.Call, flag: str, depth: int
    ) -> list[_Src]:
        """An option's default and its choices (argparse ``choices=``, click ``Choice``)."""
        choices = _keyword(call, "choices")
        kind = _keyword(call, "type")
        if choices is None and isinstance(kind, ast.Call) and _name_of(kind.func) == "Choice":
            choices = kind.args[0] if kind.args else None
        group = flag if choices is not None else None
        out: list[_Src] = []
        default = _keyword(call, "default")
        if default is not None:
            out += [s.via("argparse", group) for s in self._sources(module, default, depth + 1)]
        if choices is not None:
            elements = self._element_sources(module, choices, depth + 1, (), flag)
            out += [replace(s, how="argparse", group=group) for s in elements]
        if not out:
            return _reason(module, f"command-line option {flag} has no default")
        return out

    def _caller_sources(
        self, module: ModuleIndex, func: ast.AST, param: str, depth: int
    ) -> list[_Src]:
        """Values this module's own calls of ``func`` pass for ``param``."""
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            return []
        out: list[_Src] = []
        for call in _callers(module, func):
            passed = _passed(module, call, func, param)
            if passed is not None:
                out += [s.via("argument") for s in self._sources(module, passed, depth + 1)]
        return out

    def _import_sources(self, module: ModuleIndex, name: str, depth: int) -> list[_Src]:
        qualname = module.imports.get(name)
        if qualname is None:
            for star in module.star_imports:
                other = self.project.module(star)
                if other is not None and other is not module:
                    found = self._module_name_sources(other, name, depth + 1)
                    if found and not found[0].reason:
                        return found
            return _reason(module, f"{name} is not defined in this file")
        split = self.project.split(qualname)
        if split is None:
            return [_Src(module, None, symbol=Symbol(qualname))]
        other, rest = split
        if not rest:
            return _reason(module, f"{name} is a module, not a value")
        srcs = self._module_name_sources(other, rest[0], depth + 1)
        for attr in rest[1:]:
            srcs = [
                s
                for src in srcs
                if src.expr is not None
                for s in self._sources(
                    src.module, ast.Attribute(value=src.expr, attr=attr, ctx=ast.Load()), depth + 1
                )
            ]
        return [s.via("constant") for s in srcs]

    def _module_name_sources(self, module: ModuleIndex, name: str, depth: int) -> list[_Src]:
        """A module-level name of ``module`` (a constant imported from another file)."""
        table = module.bindings(module.tree)
        if name in table:
            out: list[_Src] = []
            for binding in table[name]:
                out.extend(self._binding_sources(module, binding, name, depth + 1))
            return out
        return self._import_sources(module, name, depth + 1)

    def _attribute_sources(
        self, module: ModuleIndex, node: ast.Attribute, depth: int
    ) -> list[_Src]:
        base, attr = node.value, node.attr
        if isinstance(base, ast.Name) and base.id in ("self", "cls"):
            cls = module.enclosing_class(node)
            if cls is not None:
                return self._class_attr_sources(_ClassObj(module, cls), attr, depth + 1)
        out: list[_Src] = []
        objects = self._objects(module, base, depth + 1)
        for obj in objects:
            if isinstance(obj, _ModuleObj):
                out += self._module_name_sources(obj.module, attr, depth + 1)
            elif isinstance(obj, _ClassObj):
                out += self._class_attr_sources(obj, attr, depth + 1)
            elif isinstance(obj, _ArgsObj):
                out += self._cli_namespace_sources(obj.module, attr, depth + 1)
            else:
                out.append(_Src(module, None, symbol=Symbol(f"{obj.qualname}.{attr}")))
        if objects:
            return out
        return self._cli_namespace_sources(module, attr, depth + 1, guess=True)

    def _cli_namespace_sources(
        self, module: ModuleIndex, attr: str, depth: int, guess: bool = False
    ) -> list[_Src]:
        """``args.model``: the argparse option stored as ``model`` (or, when the namespace's
        origin is unknown, a class field of that name in this module)."""
        calls = module.options.get(attr, [])
        out: list[_Src] = []
        for call in calls:
            if _name_of(call.func) == "set_defaults":
                value = _keyword(call, attr)
                if value is not None:
                    out += [s.via("argparse") for s in self._sources(module, value, depth + 1)]
                continue
            flags = [a.value for a in call.args if isinstance(a, ast.Constant)]
            flag = str(
                next((f for f in flags if str(f).startswith("--")), flags[0] if flags else attr)
            )
            out += self._option_values(module, call, flag, depth)
        if out or not guess:
            return out or _reason(module, f"command-line option {attr} is not declared here")
        owners = [
            c for group in module.classes.values() for c in group if attr in module.bindings(c)
        ]
        if len(owners) == 1:
            return self._class_attr_sources(_ClassObj(module, owners[0]), attr, depth + 1)
        return _reason(module, f"the object holding .{attr} is only known at run time")

    def _class_attr_sources(self, obj: _ClassObj, attr: str, depth: int) -> list[_Src]:
        """A class attribute, dataclass/pydantic/attrs field default, or ``self.x = ...``."""
        module, cls = obj.module, obj.node
        out: list[_Src] = []
        if obj.call is not None:
            passed = _keyword(obj.call, attr)
            if passed is not None:
                out += [s.via("argument") for s in self._sources(module, passed, depth + 1)]
        for klass in (cls, *self._subclasses(module, cls)):
            for binding in module.bindings(klass).get(attr, []):
                how = "default" if isinstance(binding.node, ast.AnnAssign) else "attribute"
                out += [s.via(how) for s in self._binding_sources(module, binding, attr, depth + 1)]
            for value in module.self_assigns.get((klass, attr), []):
                out += [s.via("attribute") for s in self._sources(module, value, depth + 1)]
        if out:
            return out
        for base in cls.bases:
            for base_obj in self._objects(module, base, depth + 1):
                if isinstance(base_obj, _ClassObj):
                    out += self._class_attr_sources(base_obj, attr, depth + 1)
        return out or _reason(module, f"{cls.name}.{attr} is set at run time")

    @staticmethod
    def _subclasses(module: ModuleIndex, cls: ast.ClassDef) -> list[ast.ClassDef]:
        return [
            c
            for group in module.classes.values()
            for c in group
            if any(isinstance(b, ast.Name) and b.id == cls.name for b in c.bases)
        ]

    def _subscript_sources(
        self, module: ModuleIndex, node: ast.Subscript, depth: int
    ) -> list[_Src]:
        return self._lookup_sources(
            module, node.value, self._keys(module, node.slice, depth), None, depth
        )

    def _keys(self, module: ModuleIndex, expr: ast.expr, depth: int) -> list[object]:
        """A lookup key, when it is fixed in the code; a default, option or argument can be
        changed by whoever runs it, so then every entry is a candidate."""
        values = self._values(module, expr, depth + 1)
        if any(v.reason is not None or v.how not in ("literal", "constant") for v in values):
            return []
        return [v.value for v in values]

    def _lookup_sources(
        self,
        module: ModuleIndex,
        container: ast.expr,
        keys: list[object],
        default: ast.expr | None,
        depth: int,
    ) -> list[_Src]:
        """``D[key]`` or ``D.get(key, default)``: the entry, or every entry for an unknown key."""
        group = _label(container)
        out: list[_Src] = []
        for src in self._sources(module, container, depth + 1):
            if src.symbol is not None and src.symbol.qualname == "os.environ":
                key = keys[0] if keys else "?"
                return _reason(module, f"environment variable {key} has no default")
            entries = self._entries(src, keys)
            if entries is None:
                out.append(
                    src
                    if src.reason is not None
                    else replace(
                        src, expr=None, reason=f"looked up in {group}, known only at run time"
                    )
                )
                continue
            chosen, how = entries
            out += [
                s.via(src.how, src.group).via(how, group if how == "collection" else None)
                for e in chosen
                for s in self._sources(src.module, e, depth + 1)
            ]
        if default is not None:
            out += self._sources(module, default, depth + 1)
        return out

    @staticmethod
    def _entries(src: _Src, keys: list[object]) -> tuple[list[ast.expr], str] | None:
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

    def _call_sources(self, module: ModuleIndex, call: ast.Call, depth: int) -> list[_Src]:
        """Calls that pass a value through: env getters, field defaults, ``d.get``, helpers."""
        func = call.func
        callees = set(self.callees(module, func)) if depth < MAX_DEPTH else set()
        arg0 = call.args[0] if call.args else None
        if callees & _ENV_GETTERS:
            default = call.args[1] if len(call.args) > 1 else _keyword(call, "default")
            if default is None:
                key = str(arg0.value) if isinstance(arg0, ast.Constant) else "?"
                return _reason(module, f"environment variable {key} has no default")
            return [s.via("env-default") for s in self._sources(module, default, depth + 1)]
        name = _name_of(func)
        if name in _FIELD_CALLS:
            return self._field_sources(module, call, _FIELD_CALLS[name], depth)
        if name == "get" and isinstance(func, ast.Attribute) and arg0 is not None:
            keys = self._keys(module, arg0, depth)
            default = call.args[1] if len(call.args) > 1 else None
            return self._lookup_sources(module, func.value, keys, default, depth)
        if isinstance(func, ast.Name) and func.id == "str" and arg0 is not None:
            return self._sources(module, arg0, depth + 1)
        if isinstance(func, ast.Name):
            returns = self._return_sources(module, func, depth)
            if returns is not None:
                return returns
        return [_Src(module, call)]

    def _field_sources(
        self, module: ModuleIndex, call: ast.Call, how: str, depth: int
    ) -> list[_Src]:
        default = _keyword(call, "default")
        if (
            default is None
            and call.args
            and not (isinstance(call.args[0], ast.Constant) and call.args[0].value is Ellipsis)
        ):
            default = call.args[0]
        factory = _keyword(call, "default_factory") or _keyword(call, "factory")
        if default is None and isinstance(factory, ast.Lambda):
            default = factory.body
        if default is None:
            return _reason(module, "a field without a default")
        return [s.via(how) for s in self._sources(module, default, depth + 1)]

    def _return_sources(self, module: ModuleIndex, func: ast.Name, depth: int) -> list[_Src] | None:
        """A call of a helper defined in this file: what its ``return`` statements give."""
        bindings = module.lookup(func)
        defs = [b.node for b in bindings or [] if b.kind == "def"]
        if not defs:
            return None
        out: list[_Src] = []
        for node in defs:
            for ret in _returns(node):
                if ret.value is not None:
                    out += self._sources(module, ret.value, depth + 1)
        return out

    # --- collections ----------------------------------------------------------------------

    def _element_sources(
        self,
        module: ModuleIndex,
        iterable: ast.expr,
        depth: int,
        path: tuple[int, ...],
        fallback: str,
    ) -> list[_Src]:
        """Each element of a collection a loop (or ``choices=``) runs over, as one source."""
        group = (
            _label(iterable)
            if not isinstance(iterable, ast.List | ast.Tuple | ast.Set)
            else fallback
        )
        out: list[_Src] = []
        for owner, elem in self._elements(module, iterable, depth + 1):
            if isinstance(elem, _Src):
                out.append(elem.via("collection", group))
                continue
            picked = _pick(elem, path) if path else elem
            if isinstance(picked, ast.expr):
                out += [s.via("collection", group) for s in self._sources(owner, picked, depth + 1)]
        return out or _reason(module, f"the elements of {group} are known only at run time")

    def _elements(
        self, module: ModuleIndex, expr: ast.expr, depth: int
    ) -> list[tuple[ModuleIndex, _Elem | _Src]]:
        self._tick()
        if depth > MAX_DEPTH:
            return [(module, _Src(module, None, reason=_TOO_DEEP))]
        if isinstance(expr, ast.Call):
            return self._call_elements(module, expr, depth)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return [
                *self._elements(module, expr.left, depth + 1),
                *self._elements(module, expr.right, depth + 1),
            ]
        out: list[tuple[ModuleIndex, _Elem | _Src]] = []
        for src in self._sources(module, expr, depth + 1):
            node = src.expr
            if isinstance(node, ast.List | ast.Tuple | ast.Set):
                for elt in node.elts:
                    if isinstance(elt, ast.Starred):
                        out += self._elements(src.module, elt.value, depth + 1)
                    else:
                        out.append((src.module, elt))
            elif node is not None and _as_dict(node) is not None:
                mapping = _as_dict(node)
                assert mapping is not None
                out += [(src.module, k) for k in mapping.keys if k is not None]
            elif node is not None and not isinstance(node, ast.Constant):
                out += (
                    self._elements(src.module, node, depth + 1)
                    if isinstance(node, ast.Call | ast.BinOp)
                    else []
                )
            elif src.reason is not None:
                out.append((src.module, src))
        return out

    def _call_elements(
        self, module: ModuleIndex, call: ast.Call, depth: int
    ) -> list[tuple[ModuleIndex, _Elem | _Src]]:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("items", "values", "keys"):
            out: list[tuple[ModuleIndex, _Elem | _Src]] = []
            for src in self._sources(module, func.value, depth + 1):
                mapping = _as_dict(src.expr) if src.expr is not None else None
                if mapping is not None:
                    for key, value in zip(mapping.keys, mapping.values, strict=True):
                        if key is None:
                            continue
                        item: _Elem = (
                            (key, value)
                            if func.attr == "items"
                            else (value if func.attr == "values" else key)
                        )
                        out.append((src.module, item))
            return out
        name = func.id if isinstance(func, ast.Name) else None
        if name in _ITERATION_WRAPPERS and call.args:
            return self._elements(module, call.args[0], depth + 1)
        if name == "enumerate" and call.args:
            return [
                (m, (ast.Constant(value=i), e)) if not isinstance(e, _Src) else (m, e)
                for i, (m, e) in enumerate(self._elements(module, call.args[0], depth + 1))
            ]
        if name == "zip" and call.args:
            columns = [self._elements(module, a, depth + 1) for a in call.args]
            return [
                (row[0][0], tuple(e for _, e in row if not isinstance(e, _Src)))
                for row in zip(*columns, strict=False)
            ]
        return [
            (
                module,
                _Src(
                    module, None, reason=f"the elements of {_label(call)} are computed at run time"
                ),
            )
        ]

    # --- objects: what a name refers to, for attributes and callees -------------------------

    def _objects(self, module: ModuleIndex, expr: ast.expr, depth: int) -> list[_Obj]:
        self._tick()
        if depth > MAX_DEPTH:
            return []
        if isinstance(expr, ast.Name):
            return self._name_objects(module, expr, depth)
        if isinstance(expr, ast.Attribute):
            out: list[_Obj] = []
            for obj in self._objects(module, expr.value, depth + 1):
                out += self._attribute_objects(obj, expr.attr, depth + 1)
            return out
        if isinstance(expr, ast.Call):
            return self._call_objects(module, expr, depth)
        if isinstance(expr, ast.Subscript):
            return [
                o for o in self._objects(module, expr.value, depth + 1) if isinstance(o, _ArgsObj)
            ]
        if isinstance(expr, ast.BoolOp | ast.IfExp):
            parts = expr.values if isinstance(expr, ast.BoolOp) else [expr.body, expr.orelse]
            return [o for part in parts for o in self._objects(module, part, depth + 1)]
        return []

    def _call_objects(self, module: ModuleIndex, call: ast.Call, depth: int) -> list[_Obj]:
        if _name_of(call.func) in ("parse_args", "parse_known_args"):
            return [_ArgsObj(module)]
        out: list[_Obj] = []
        for obj in self._objects(module, call.func, depth + 1):
            if isinstance(obj, _ClassObj):
                out.append(_ClassObj(obj.module, obj.node, call))
            elif isinstance(obj, Symbol):
                out.append(Symbol(f"{obj.qualname}()"))
        if not out and isinstance(call.func, ast.Name):
            for src in self._return_sources(module, call.func, depth) or []:
                if src.expr is not None:
                    out += self._objects(src.module, src.expr, depth + 1)
        return out

    def _name_objects(self, module: ModuleIndex, node: ast.Name, depth: int) -> list[_Obj]:
        if node.id in ("self", "cls"):
            cls = module.enclosing_class(node)
            if cls is not None:
                return [_ClassObj(module, cls)]
        bindings = module.lookup(node)
        if bindings is None:
            return self._import_objects(module, node.id, depth)
        out: list[_Obj] = []
        for binding in bindings:
            key = (id(binding.node), f"object:{node.id}")
            if key in self._active:
                continue
            self._active.add(key)
            try:
                out += self._binding_objects(module, binding, depth)
            finally:
                self._active.discard(key)
        return out

    def _binding_objects(self, module: ModuleIndex, binding: Binding, depth: int) -> list[_Obj]:
        if binding.kind == "class":
            assert isinstance(binding.node, ast.ClassDef)
            return [_ClassObj(module, binding.node)]
        if binding.kind == "assign" and binding.value is not None and not binding.path:
            return self._objects(module, binding.value, depth + 1)
        if binding.kind == "param" and isinstance(binding.node, ast.arg):
            # an annotated parameter (``cfg: Config | None``) holds an instance of that class
            annotation = binding.node.annotation
            names = (
                [n for n in ast.walk(annotation) if isinstance(n, ast.Name)] if annotation else []
            )
            return [
                o
                for n in names
                for o in self._objects(module, n, depth + 1)
                if isinstance(o, _ClassObj)
            ]
        return []

    def _import_objects(self, module: ModuleIndex, name: str, depth: int) -> list[_Obj]:
        qualname = module.imports.get(name)
        if qualname is None:
            return self._star_objects(module, name, depth)
        split = self.project.split(qualname)
        if split is None:
            return [Symbol(qualname)]
        other, rest = split
        objs: list[_Obj] = [_ModuleObj(other)]
        for attr in rest:
            objs = [o for obj in objs for o in self._attribute_objects(obj, attr, depth + 1)]
        return objs

    def _star_objects(self, module: ModuleIndex, name: str, depth: int) -> list[_Obj]:
        """``from x import *``: a project module's name, else (best effort) the first
        external star module's."""
        for star in module.star_imports:
            other = self.project.module(star)
            if other is None:
                return [Symbol(f"{star}.{name}")]
            if other is not module and name in other.bindings(other.tree):
                return self._attribute_objects(_ModuleObj(other), name, depth + 1)
        return []

    def _attribute_objects(self, obj: _Obj, attr: str, depth: int) -> list[_Obj]:
        if isinstance(obj, Symbol):
            return [Symbol(f"{obj.qualname}.{attr}")]
        if isinstance(obj, _ModuleObj):
            table = obj.module.bindings(obj.module.tree)
            if attr not in table:
                return self._import_objects(obj.module, attr, depth + 1)
            return [o for b in table[attr] for o in self._binding_objects(obj.module, b, depth + 1)]
        if isinstance(obj, _ClassObj):
            out: list[_Obj] = []
            for src in self._class_attr_sources(obj, attr, depth + 1):
                if src.expr is not None:
                    out += self._objects(src.module, src.expr, depth + 1)
            if not out:
                out = [Symbol(f"{s.qualname}.{attr}") for s in self._base_symbols(obj, depth)]
            return out
        return []

    def _base_symbols(self, obj: _ClassObj, depth: int) -> list[Symbol]:
        """External classes a project class derives from (``class M(BertModel)``)."""
        if depth > MAX_DEPTH:
            return []
        out: list[Symbol] = []
        for base in obj.node.bases:
            for base_obj in self._objects(obj.module, base, depth + 1):
                if isinstance(base_obj, Symbol):
                    out.append(base_obj)
                elif isinstance(base_obj, _ClassObj) and base_obj.node is not obj.node:
                    out += self._base_symbols(base_obj, depth + 1)
        return out


_DICT_CALLS = frozenset({"dict", "OrderedDict"})


def _as_dict(expr: ast.expr) -> ast.Dict | None:
    """A dict literal, or ``dict(a=..., b=...)``/``OrderedDict(...)`` seen as one."""
    if isinstance(expr, ast.Dict):
        return expr
    if not (isinstance(expr, ast.Call) and _name_of(expr.func) in _DICT_CALLS):
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


def _passed(
    module: ModuleIndex, call: ast.Call, func: ast.FunctionDef | ast.AsyncFunctionDef, param: str
) -> ast.expr | None:
    """The argument ``call`` passes for ``param`` of ``func``, if it can be told statically."""
    passed = _keyword(call, param)
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


def _click_param(decls: list[str]) -> str:
    """The Python parameter a click option fills: an explicit name, else the long flag."""
    explicit = [d for d in decls if d.isidentifier()]
    if explicit:
        return explicit[0]
    longs = sorted((d for d in decls if d.startswith("--")), key=len, reverse=True)
    chosen = longs[0] if longs else decls[0]
    return chosen.lstrip("-").replace("-", "_").lower()


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
