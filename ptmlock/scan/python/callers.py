"""Who calls a project function, anywhere in the project, and what each call passes.

A parameter with no value of its own takes what the function's callers pass, so the walk asks
here: the calls whose last name is the function's (``f(...)``, ``obj.f(...)``, ``Cls(...)`` and
``super().__init__(...)`` for ``__init__``), kept when their callee resolves to the function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ptmlock.scan.python.ir import last_name
from ptmlock.scan.python.members import keyword
from ptmlock.scan.python.values import MAX_CALLERS, ClassObj, Ctx, FuncObj, Walk

if TYPE_CHECKING:
    from ptmlock.scan.python.ir import Expr
    from ptmlock.scan.python.project import Module

__all__ = ["UNKNOWN", "Caller", "argument_for", "find_callers", "is_bound"]

UNKNOWN: Expr = ("u", 0, "*args")  # the call passes it, but through *args or **kwargs


Caller = tuple["Module", "Expr", int, bool]  # module, call, scope of the call, bound


def find_callers(walk: Walk, module: Module, scope: int) -> list[Caller]:
    """(module, call, scope of the call, bound) for each call of the function ``scope``;
    ``bound`` when the call goes through an instance or class (the first parameter is taken)."""
    function = module.scope(scope)
    name = function["name"]
    owner = function["parent"]
    constructor = (
        name == "__init__" and owner is not None and module.scope(owner)["kind"] == "class"
    )
    names = (
        [module.scope(owner)["name"], "__init__"] if constructor and owner is not None else [name]
    )
    found: list[Caller] = []
    for search in names:
        callers = walk.project.calling(search)
        if constructor and search == "__init__":  # ``super().__init__(...)``: in a subclass
            within = _subclass_modules(walk, names[0])
            callers = [c for c in callers if c.relpath in within]
        for caller in callers:
            for call_scope, call, _guards in caller.calls_named(search):
                objects = walk.objects(caller, call[2], Ctx(), 1)
                matching = [o for o in objects if _is_call_of(o, module, scope, owner, constructor)]
                if matching:
                    bound = any(is_bound(o) for o in matching) or _is_super(call)
                    found.append((caller, call, call_scope, bound))
                    if len(found) >= MAX_CALLERS:
                        return found
    return found


_MAX_SUBCLASSES = 256


def _subclass_modules(walk: Walk, class_name: str) -> set[str]:
    """The modules defining a class that derives, directly or not, from a class of that name
    (by base name, as the index knows bases): where ``super().__init__`` can reach it."""
    modules: set[str] = set()
    seen, queue = {class_name}, [class_name]
    while queue and len(seen) < _MAX_SUBCLASSES:
        for module, scope in walk.project.subclass_candidates(queue.pop()):
            modules.add(module.relpath)
            name = next((n for number, n, _ in module.index.classes if number == scope), "")
            if name and name not in seen:
                seen.add(name)
                queue.append(name)
    return modules


def _is_call_of(obj: object, module: Module, scope: int, owner: int | None, init: bool) -> bool:
    if isinstance(obj, FuncObj):
        return obj.module is module and obj.scope == scope
    return init and isinstance(obj, ClassObj) and obj.module is module and obj.scope == owner


def is_bound(obj: object) -> bool:
    """Whether a call through ``obj`` skips the function's first parameter."""
    return isinstance(obj, ClassObj) or (isinstance(obj, FuncObj) and obj.bound)


def argument_for(module: Module, scope: int, call: Expr, param: str, bound: bool) -> Expr | None:
    """The expression ``call`` passes for ``param`` of the function ``scope``: None when it
    passes nothing (the default applies), ``UNKNOWN`` when it can't be told statically."""
    params = module.scope(scope)["params"]
    kinds = {p[0]: p[1] for p in params}
    if kinds.get(param) != "posonly":
        passed = keyword(call, param)
        if passed is not None:
            return passed
    positional = [p[0] for p in params if p[1] in ("posonly", "pos")]
    shift = 1 if bound else 0
    args: tuple[Expr, ...] = call[3]
    if param in positional:
        index = positional.index(param) - shift
        if index < 0:
            return None
        for position, arg in enumerate(args):
            if arg[0] == "*":
                return UNKNOWN
            if position == index:
                return arg
    if any(name is None for name, _ in call[4]):
        return UNKNOWN
    return None


def _is_super(call: Expr) -> bool:
    func = call[2]
    return func[0] == "a" and func[2][0] == "k" and last_name(func[2][2]) == "super"
