"""What a name refers to when it is not a value: a project module, class, instance or function,
the argparse namespace, or a symbol outside the project. Callees and attributes resolve through
these (``self.cfg.model``, ``tf.AutoModel.from_pretrained``, ``class M(BertModel)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ptmlock.scan.python.callers import UNKNOWN, argument_for
from ptmlock.scan.python.ir import last_name
from ptmlock.scan.python.tables import element_sources
from ptmlock.scan.python.values import (
    MAX_DEPTH,
    ArgsObj,
    ClassObj,
    Ctx,
    FuncObj,
    ModuleObj,
    Obj,
    Symbol,
    Walk,
)

if TYPE_CHECKING:
    from ptmlock.scan.python.ir import Expr
    from ptmlock.scan.python.project import Module

__all__ = ["attribute_objects", "base_symbols", "objects", "self_class"]

_PARSE_ARGS = frozenset({"parse_args", "parse_known_args"})
MAX_OBJECT_CALLERS = 8  # callers followed to learn what object a parameter holds


def objects(walk: Walk, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Obj]:
    """What ``expr`` refers to, through names, attributes, calls and ``x or y``."""
    walk.tick()
    if depth > MAX_DEPTH:
        return []
    tag = expr[0]
    if tag == "n":
        return _name_objects(walk, module, expr, ctx, depth)
    if tag == "a":
        found = objects(walk, module, expr[2], ctx, depth + 1)
        if expr[3] == "__dict__":
            return found
        return [o for obj in found for o in attribute_objects(walk, obj, expr[3], ctx, depth + 1)]
    if tag == "k":
        return _call_objects(walk, module, expr, ctx, depth)
    if tag == "s":
        bases = objects(walk, module, expr[2], ctx, depth + 1)
        if any(isinstance(o, ArgsObj) for o in bases):
            return [o for o in bases if isinstance(o, ArgsObj)]
        spaces = [o for o in bases if isinstance(o, Symbol)]
        if spaces and expr[2][0] == "a" and expr[2][3] == "__dict__":
            # ``torchaudio.pipelines.__dict__[name]``: the attribute ``name``
            keys = walk.values_at(module, expr[3], ctx, depth + 1)
            names = [k.value for k in keys if isinstance(k.value, str)]
            return [Symbol(f"{s.qualname}.{n}") for s in spaces for n in names]
        return _source_objects(walk, module, expr, ctx, depth)
    if tag in ("o", "i"):
        parts = expr[3] if tag == "o" else (expr[2], expr[3])
        return [o for part in parts for o in objects(walk, module, part, ctx, depth + 1)]
    return []


def _source_objects(walk: Walk, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Obj]:
    """``LOADERS[kind]`` where the table holds classes or functions."""
    out: list[Obj] = []
    for src in walk.sources(module, expr, ctx, depth + 1):
        if src.expr is not None and src.reason is None and src.expr[0] in ("n", "a"):
            out += objects(walk, src.module, src.expr, src.ctx, depth + 1)
    return out


def self_class(module: Module, scope: int, name: str) -> int | None:
    """The class whose method's first parameter ``name`` is (``self``, ``cls``)."""
    function = module.function_of(scope)
    if function is None:
        return None
    table = module.scope(function)
    parent = table["parent"]
    if parent is None or module.scope(parent)["kind"] != "class" or not table["params"]:
        return None
    if table["params"][0][0] != name or _decorated(table, "staticmethod"):
        return None
    return int(parent)


def _decorated(table: dict[str, Any], name: str) -> bool:
    return any(last_name(d) == name for d in table["decorators"])


def _name_objects(walk: Walk, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Obj]:
    _, line, name, scope = expr
    klass = self_class(module, scope, name)
    if klass is not None:
        return [ClassObj(module, klass, ctx=ctx)]
    found = module.lookup(scope, name, line)
    if found is None:
        return _import_objects(walk, module, name, ctx, depth)
    bscope, bindings = found
    out: list[Obj] = []
    for binding in bindings:
        key = ("object", module.relpath, bscope, name, binding[1])
        if key in walk.active:
            continue
        walk.active.add(key)
        try:
            out += _binding_objects(walk, module, bscope, name, binding, ctx, depth)
        finally:
            walk.active.discard(key)
    return out


def _binding_objects(
    walk: Walk, module: Module, scope: int, name: str, binding: tuple[Any, ...], ctx: Ctx,
    depth: int,
) -> list[Obj]:  # fmt: skip
    kind, _, value, path = binding[:4]
    if kind == "class":
        return [ClassObj(module, value)]
    if kind == "def":
        return [FuncObj(module, value)]
    if kind in ("assign", "with", "field") and value is not None and not path:
        return objects(walk, module, value, ctx, depth + 1)
    if kind == "loop" and value is not None:
        return [
            o
            for src in element_sources(walk, module, value, ctx, depth + 1, path, name)
            if src.expr is not None and src.reason is None and src.expr[0] in ("n", "a")
            for o in objects(walk, src.module, src.expr, src.ctx, depth + 1)
        ]
    if kind == "param":
        return _param_objects(walk, module, scope, name, ctx, depth)
    return []


def _param_objects(
    walk: Walk, module: Module, scope: int, name: str, ctx: Ctx, depth: int
) -> list[Obj]:
    """A parameter: what the calling frame passes, else the classes its annotation names."""
    frame = ctx.get(module, scope)
    if frame is not None and frame[1] is not None:
        caller, call, caller_ctx, bound = frame
        assert call is not None
        passed = argument_for(module, scope, call, name, bound)
        if passed is not None and passed is not UNKNOWN:
            return objects(walk, caller, passed, caller_ctx, depth + 1)
    params = {p[0]: p for p in module.scope(scope)["params"]}
    annotation = params[name][3] if name in params else []
    hinted: list[Obj] = [
        o
        for hint in annotation
        for o in objects(walk, module, hint, ctx, depth + 1)
        if isinstance(o, ClassObj)
    ]
    if hinted or frame is not None:
        return hinted
    return _caller_objects(walk, module, scope, name, depth)


def _caller_objects(walk: Walk, module: Module, scope: int, name: str, depth: int) -> list[Obj]:
    """What the function's callers pass for a parameter that holds an object
    (``transcribe(args)`` with the parsed arguments)."""
    out: list[Obj] = []
    for caller, call, _scope, bound in walk.callers(module, scope)[:MAX_OBJECT_CALLERS]:
        passed = argument_for(module, scope, call, name, bound)
        if passed is not None and passed is not UNKNOWN:
            out += [
                o
                for o in objects(walk, caller, passed, Ctx(), depth + 1)
                if not isinstance(o, Symbol)
            ]
    return out


def _import_objects(walk: Walk, module: Module, name: str, ctx: Ctx, depth: int) -> list[Obj]:
    dotted = module.imported(name)
    if dotted is None:
        return _star_objects(walk, module, name, ctx, depth)
    split = walk.project.split(dotted)
    if split is None:
        return [Symbol(dotted)]
    other, rest = split
    objs: list[Obj] = [ModuleObj(other)]
    for attr in rest:
        objs = [o for obj in objs for o in attribute_objects(walk, obj, attr, ctx, depth + 1)]
    return objs


def _star_objects(walk: Walk, module: Module, name: str, ctx: Ctx, depth: int) -> list[Obj]:
    """``from x import *``: a project module's name, else (best effort) the first external
    star module's."""
    for level, star in module.summary.star_imports:
        dotted = module.absolute(level, star, None)
        other = walk.project.module(dotted)
        if other is None:
            return [Symbol(f"{dotted}.{name}")]
        if other is not module and (name in other.scope(0)["bind"] or other.imported(name)):
            return attribute_objects(walk, ModuleObj(other), name, ctx, depth + 1)
    return []


def attribute_objects(walk: Walk, obj: Obj, attr: str, ctx: Ctx, depth: int) -> list[Obj]:
    """``obj.attr``: a module's name, a class attribute, or a name under an external symbol."""
    if depth > MAX_DEPTH:
        return []
    if isinstance(obj, Symbol):
        return [Symbol(f"{obj.qualname}.{attr}")]
    if isinstance(obj, ModuleObj):
        return _module_attribute(walk, obj.module, attr, ctx, depth)
    if isinstance(obj, ClassObj):
        return _class_attribute(walk, obj, attr, ctx, depth)
    return []


def _module_attribute(walk: Walk, module: Module, attr: str, ctx: Ctx, depth: int) -> list[Obj]:
    bindings = module.scope(0)["bind"].get(attr)
    if bindings:
        return [
            o for b in bindings for o in _binding_objects(walk, module, 0, attr, b, ctx, depth + 1)
        ]
    if module.imported(attr) is not None:
        return _import_objects(walk, module, attr, ctx, depth + 1)
    submodule = walk.project.module(f"{module.modname}.{attr}")
    return [ModuleObj(submodule)] if submodule is not None else []


def _class_attribute(walk: Walk, obj: ClassObj, attr: str, ctx: Ctx, depth: int) -> list[Obj]:
    module, scope = obj.module, obj.scope
    table = module.scope(scope)
    out: list[Obj] = []
    for binding in table["bind"].get(attr, []):
        if binding[0] == "def":
            method = module.scope(binding[2])
            out.append(FuncObj(module, binding[2], bound=not _decorated(method, "staticmethod")))
        else:
            out += _binding_objects(walk, module, scope, attr, binding, ctx, depth + 1)
    for value, _line in table["selfattrs"].get(attr, []):
        out += objects(walk, module, value, ctx, depth + 1)
    if out:
        return out
    for base in table["bases"]:
        for base_obj in objects(walk, module, base, ctx, depth + 1):
            if isinstance(base_obj, ClassObj) and not _same_class(base_obj, module, scope):
                out += _class_attribute(walk, base_obj, attr, ctx, depth + 1)
            elif isinstance(base_obj, Symbol):
                out.append(Symbol(f"{base_obj.qualname}.{attr}"))
    return out


def _call_objects(walk: Walk, module: Module, call: Expr, ctx: Ctx, depth: int) -> list[Obj]:
    """``parse_args()`` gives the namespace, ``Cls(...)`` an instance, ``helper()`` what it
    returns, ``super()`` the base classes."""
    func = call[2]
    if last_name(func) in _PARSE_ARGS:
        return [ArgsObj(module)]
    if func[0] == "n" and func[2] == "vars" and call[3]:  # ``vars(args)``: the namespace
        return objects(walk, module, call[3][0], ctx, depth + 1)
    if func[0] == "n" and func[2] == "getattr" and len(call[3]) >= 2:
        return _getattr_objects(walk, module, call, ctx, depth)
    if func[0] == "n" and func[2] == "super":
        klass = module.enclosing_class(func[3]) if func[3] else None
        bases = module.scope(klass)["bases"] if klass is not None else []
        return [
            ClassObj(o.module, o.scope, ctx=ctx) if isinstance(o, ClassObj) else o
            for base in bases
            for o in objects(walk, module, base, ctx, depth + 1)
        ]
    out: list[Obj] = []
    for obj in objects(walk, module, func, ctx, depth + 1):
        if isinstance(obj, ClassObj):
            out.append(ClassObj(obj.module, obj.scope, call, ctx))
        elif isinstance(obj, Symbol):
            out.append(Symbol(f"{obj.qualname}()"))
        elif isinstance(obj, FuncObj):
            out += _returned_objects(walk, module, call, obj, ctx, depth)
    return out


def _returned_objects(
    walk: Walk, module: Module, call: Expr, obj: FuncObj, ctx: Ctx, depth: int
) -> list[Obj]:
    key = ("returned", obj.module.relpath, obj.scope)
    if key in walk.active:
        return []
    inner = Ctx.inside(obj.module, obj.scope, (module, call, ctx, obj.bound))
    walk.active.add(key)
    try:
        return [
            o
            for returned in obj.module.scope(obj.scope)["returns"]
            for o in objects(walk, obj.module, returned, inner, depth + 1)
        ]
    finally:
        walk.active.discard(key)


def _getattr_objects(walk: Walk, module: Module, call: Expr, ctx: Ctx, depth: int) -> list[Obj]:
    """``getattr(torchvision.models, arch)``: the attribute named by each value ``arch`` takes."""
    owner, name = call[3][0], call[3][1]
    names = [
        v.value for v in walk.values_at(module, name, ctx, depth + 1) if isinstance(v.value, str)
    ]
    found = objects(walk, module, owner, ctx, depth + 1)
    return [
        o for obj in found for n in names for o in attribute_objects(walk, obj, n, ctx, depth + 1)
    ]


def _same_class(obj: ClassObj, module: Module, scope: int) -> bool:
    """Whether ``obj`` is the class ``scope`` of ``module`` (a base that names itself): scope
    numbers are per module, so both must agree."""
    return obj.module is module and obj.scope == scope


def base_symbols(walk: Walk, obj: ClassObj, depth: int = 0) -> list[Symbol]:
    """External classes a project class derives from (``class M(BertModel)``)."""
    if depth > MAX_DEPTH:
        return []
    out: list[Symbol] = []
    for base in obj.module.scope(obj.scope)["bases"]:
        for base_obj in objects(walk, obj.module, base, Ctx(), depth + 1):
            if isinstance(base_obj, Symbol):
                out.append(base_obj)
            elif isinstance(base_obj, ClassObj) and not _same_class(
                base_obj, obj.module, obj.scope
            ):
                out += base_symbols(walk, base_obj, depth + 1)
    return out
