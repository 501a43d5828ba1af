"""Values held by objects: class attributes (also set in subclasses anywhere in the project, in
``self.x = ...`` or by the constructor's keywords), dataclass/attrs/pydantic field defaults,
command-line options read through the argparse namespace, and click/typer options on the
function whose parameter they fill. An option's value is its default or any of its choices.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ptmlock.scan.python.ir import last_name
from ptmlock.scan.python.tables import element_sources, unresolved
from ptmlock.scan.python.values import ClassObj, Ctx, Hop, Src, Walk

if TYPE_CHECKING:
    from ptmlock.scan.python.ir import Expr
    from ptmlock.scan.python.project import Module

__all__ = [
    "FIELD_CALLS",
    "class_attr_sources",
    "click_option_sources",
    "field_sources",
    "keyword",
    "namespace_sources",
]

FIELD_CALLS = {  # callee name -> how its default reaches a program
    "field": "default", "Field": "default", "ib": "default", "attrib": "default",
    "Option": "argparse", "Argument": "argparse",
}  # fmt: skip


def keyword(call: Expr, name: str) -> Expr | None:
    """The value ``call`` passes as ``name=``, if any."""
    return next((value for key, value in call[4] if key == name), None)


def class_attr_sources(walk: Walk, obj: ClassObj, attr: str, ctx: Ctx, depth: int) -> list[Src]:
    """A class attribute, field default, ``self.x = ...``, or a constructor keyword."""
    module, scope = obj.module, obj.scope
    name = module.scope(scope)["name"]
    out: list[Src] = []
    if obj.call is not None:
        passed = keyword(obj.call, attr)
        if passed is not None:
            hop = Hop(module.relpath, obj.call[1], f"{attr}= of {name}()")
            out += [
                s.via("argument", hop=hop) for s in walk.sources(module, passed, obj.ctx, depth + 1)
            ]
    for owner, klass in [(module, scope), *walk.subclasses(module, scope)]:
        table = owner.scope(klass)
        for binding in table["bind"].get(attr, []):
            how = "default" if binding[0] == "field" else "attribute"
            found = walk.binding_sources(owner, klass, attr, binding, ctx, depth + 1)
            out += [s.via(how) for s in found]
        for value, line in table["selfattrs"].get(attr, []):
            inner = _instance_ctx(owner, klass, value, obj, ctx)
            hop = Hop(owner.relpath, line, f"self.{attr} = ...")
            out += [
                s.via("attribute", hop=hop) for s in walk.sources(owner, value, inner, depth + 1)
            ]
    if out:
        return out
    for base in module.scope(scope)["bases"]:
        for base_obj in walk.objects(module, base, ctx, depth + 1):
            if isinstance(base_obj, ClassObj) and not (
                base_obj.module is module and base_obj.scope == scope
            ):
                found = class_attr_sources(
                    walk,
                    ClassObj(base_obj.module, base_obj.scope, obj.call, obj.ctx),
                    attr,
                    ctx,
                    depth + 1,
                )
                out += [s for s in found if s.reason is None]
    return out or unresolved(
        module, module.scope(scope)["line"], f"{name}.{attr} is set at run time"
    )


def _instance_ctx(owner: Module, klass: int, value: Expr, obj: ClassObj, ctx: Ctx) -> Ctx:
    """``self.x = x`` in ``__init__`` of an instance built by ``Cls(...)``: that call passes x."""
    if obj.call is None or owner is not obj.module:
        return ctx
    init = next(
        (b[2] for b in owner.scope(klass)["bind"].get("__init__", []) if b[0] == "def"), None
    )
    if init is None or not _inside(owner, value, init):
        return ctx
    return Ctx.inside(owner, init, (obj.module, obj.call, obj.ctx, True))


def _inside(module: Module, value: Expr, scope: int) -> bool:
    """Whether names in ``value`` are looked up from ``scope`` (the method assigning it)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple) and node and node[0] == "n":
            return bool(node[3] == scope)
        stack += [c for c in node if isinstance(c, tuple)] if isinstance(node, tuple) else []
    return True


def find_subclasses(walk: Walk, module: Module, scope: int) -> list[tuple[Module, int]]:
    """Classes anywhere in the project that name this class as a base: they may set its
    attributes (``class T5(Conditioner): MODELS = [...]``). ``Walk.subclasses`` keeps them."""
    name = module.scope(scope)["name"]
    found: list[tuple[Module, int]] = []
    for other, klass in walk.project.subclass_candidates(name):
        if (other, klass) == (module, scope):
            continue
        bases = other.scope(klass)["bases"]
        if any(
            isinstance(b, ClassObj) and b.module is module and b.scope == scope
            for base in bases
            for b in walk.objects(other, base, Ctx(), 1)
        ):
            found.append((other, klass))
    return found[:16]


def field_sources(
    walk: Walk, module: Module, call: Expr, how: str, ctx: Ctx, depth: int
) -> list[Src]:
    """``field(default=...)``, ``Field(...)``, ``attr.ib(...)``, typer ``Option(...)``: the
    default (``...`` means required), or what a ``lambda`` default factory returns."""
    default = keyword(call, "default")
    args = call[3]
    if default is None and args and not (args[0][0] == "c" and args[0][2] is Ellipsis):
        default = args[0]
    factory = keyword(call, "default_factory") or keyword(call, "factory")
    if default is None and factory is not None and factory[0] == "lam":
        returns = module.scope(factory[2])["returns"]
        default = returns[0] if returns else None
    if default is None:
        return unresolved(module, call[1], "a field without a default")
    return [s.via(how) for s in walk.sources(module, default, ctx, depth + 1)]


def click_option_sources(
    walk: Walk, module: Module, function: int, param: str, ctx: Ctx, depth: int
) -> list[Src]:
    """click's ``@click.option("--model", default=..., type=click.Choice([...]))``."""
    out: list[Src] = []
    for decorator in module.scope(function)["decorators"]:
        if decorator[0] != "k" or last_name(decorator[2]) not in ("option", "argument"):
            continue
        decls = [a[2] for a in decorator[3] if a[0] == "c" and isinstance(a[2], str)]
        if not decls or _click_param(decls) != param:
            continue
        flag = next((d for d in decls if d.startswith("--")), decls[0])
        out += option_values(walk, module, decorator, flag, ctx, depth)
    return out


def option_values(
    walk: Walk, module: Module, call: Expr, flag: str, ctx: Ctx, depth: int
) -> list[Src]:
    """An option's default and its choices (argparse ``choices=``, click ``Choice``)."""
    walk.note("option", flag)
    choices = keyword(call, "choices")
    kind = keyword(call, "type")
    if choices is None and kind is not None and kind[0] == "k" and last_name(kind[2]) == "Choice":
        choices = kind[3][0] if kind[3] else None
    group = flag if choices is not None else None
    hop = Hop(module.relpath, call[1], f"default of {flag}")
    out: list[Src] = []
    default = keyword(call, "default")
    if default is not None:
        found = walk.sources(module, default, ctx, depth + 1)
        out += [s.via("argparse", group, hop) for s in found]
    if choices is not None:
        out += [
            replace(s, how="argparse", group=group).via(
                None, hop=Hop(module.relpath, call[1], f"a choice of {flag}")
            )
            for s in element_sources(walk, module, choices, ctx, depth + 1, (), flag)
        ]
    return out or unresolved(module, call[1], f"command-line option {flag} has no default")


def namespace_sources(
    walk: Walk, module: Module, attr: str, ctx: Ctx, depth: int, line: int, guess: bool = False
) -> list[Src]:
    """``args.model``: the argparse option stored as ``model`` (or, when the namespace's
    origin is unknown, a class field of that name in this module)."""
    summary = module.summary
    out: list[Src] = []
    for index in summary.options.get(attr, []):
        _, call = summary.calls[index][:2]
        if last_name(call[2]) == "set_defaults":
            value = keyword(call, attr)
            if value is not None:
                out += [s.via("argparse") for s in walk.sources(module, value, ctx, depth + 1)]
            continue
        flags = [a[2] for a in call[3] if a[0] == "c" and isinstance(a[2], str)]
        flag = next((f for f in flags if f.startswith("--")), flags[0] if flags else attr)
        out += option_values(walk, module, call, flag, ctx, depth)
    if out or not guess:
        return out or unresolved(module, line, f"command-line option {attr} is not declared here")
    owners = [
        number
        for number, scope in enumerate(summary.scopes)
        if scope["kind"] == "class" and attr in scope["bind"]
    ]
    if len(owners) == 1:
        return class_attr_sources(walk, ClassObj(module, owners[0]), attr, ctx, depth + 1)
    return unresolved(module, line, f"the object holding .{attr} is only known at run time")


def _click_param(decls: list[str]) -> str:
    """The Python parameter a click option fills: an explicit name, else the long flag."""
    explicit = [d for d in decls if d.isidentifier()]
    if explicit:
        return explicit[0]
    longs = sorted((d for d in decls if d.startswith("--")), key=len, reverse=True)
    chosen = longs[0] if longs else decls[0]
    return chosen.lstrip("-").replace("-", "_").lower()
