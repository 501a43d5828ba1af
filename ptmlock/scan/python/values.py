"""The vocabulary of phase 2: what a value, a source, an object and a hop are, and the limits.

``Value`` is what value-following reports for an expression: a constant (or an outside
``Symbol``) with where it is written and the hops that carried it to the call, or a ``reason``
it can't be known. ``Src`` is an expression a name may stand for, before it is computed. The
``*Obj`` types are what a name refers to when it is not a value. ``Walk`` is the interface the
walk's parts (objects, members, collections, evaluate) call back into: they import this module
only, so the engine has no import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ptmlock.scan.python.ir import Expr
    from ptmlock.scan.python.project import Module, PythonProject

__all__ = [
    "HOW_RANK",
    "MAX_CALLERS",
    "MAX_DEPTH",
    "MAX_STEPS",
    "MAX_VALUES",
    "TOO_DEEP",
    "ArgsObj",
    "ClassObj",
    "Ctx",
    "Frame",
    "FuncObj",
    "Hop",
    "ModuleObj",
    "Obj",
    "OutOfBudget",
    "Src",
    "Symbol",
    "Value",
    "Walk",
]

MAX_DEPTH = 40  # steps followed from a loader argument to a literal
MAX_STEPS = 20_000  # total work per loader argument; pathological code stops here
MAX_VALUES = 256  # values per argument (products of f-strings over collections)
MAX_CALLERS = 64  # callers of one function followed for a parameter's value
MAX_FRAMES = 6  # nested calls a context pairs arguments through

# How a value reached the call; a chain reports its most telling step.
HOW_RANK = {
    how: rank
    for rank, how in enumerate(
        ("literal", "constant", "argument", "attribute", "default", "env-default",
         "library-default", "argparse", "config", "collection")
    )
}  # fmt: skip
TOO_DEEP = f"the value passes through more than {MAX_DEPTH} steps"


class OutOfBudget(Exception):
    """One walk did more than MAX_STEPS steps."""


@dataclass(frozen=True, slots=True)
class Symbol:
    """A name from outside the project, e.g. ``torchvision.models.ResNet50_Weights.DEFAULT``;
    with ``key``, the entry of that external table a constant key picks
    (``timm.models.vision_transformer.default_cfgs["vit_base_patch16_224"]``)."""

    qualname: str
    key: str | None = None

    def __str__(self) -> str:
        return self.qualname if self.key is None else f"{self.qualname}[{self.key!r}]"


@dataclass(frozen=True, slots=True)
class Hop:
    """One step between where a value is written and the call that loads it."""

    file: str
    line: int
    what: str  # "MODEL = ...", "default of load(name)", "name of load()", ...
    kind: str = ""  # "caller": a call of the function whose parameter is being followed

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.what}"


def _stronger(current: str, step: str) -> str:
    """A chain reports its strongest step (``HOW_RANK``): constant then argparse is argparse."""
    return step if HOW_RANK.get(step, 0) > HOW_RANK.get(current, 0) else current


@dataclass(frozen=True, slots=True)
class Value:
    """One value an expression can take, or why it can't be known (``reason``).

    ``sites`` are where it is written, the literal first, then selector keys written in other
    files (``load_model("base")`` picking ``PATHS["base"]``); ``hops`` lead from the literal
    towards the call. ``local`` marks a filesystem path built with ``Path``/``os.path``.
    """

    value: object = None
    how: str = "literal"
    group: str | None = None
    reason: str | None = None
    local: bool = False
    sites: tuple[tuple[str, int], ...] = ()
    hops: tuple[Hop, ...] = ()

    def via(self, how: str | None, group: str | None = None, hop: Hop | None = None) -> Value:
        """This value reached through one more step (built directly: the walk makes millions,
        and ``dataclasses.replace`` costs several times a constructor call)."""
        stronger = _stronger(self.how, how) if how else self.how
        if stronger == self.how and (self.group or not group) and hop is None:
            return self
        return Value(
            self.value, stronger, self.group or group, self.reason, self.local, self.sites,
            (*self.hops, hop) if hop is not None else self.hops,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Src:
    """An expression a name may stand for (in ``module``), or why there is none."""

    module: Module
    expr: Expr | None
    how: str = "literal"
    group: str | None = None
    reason: str | None = None
    symbol: Symbol | None = None
    hops: tuple[Hop, ...] = ()
    selectors: tuple[tuple[str, int], ...] = ()
    ctx: Ctx = field(default_factory=lambda: Ctx())

    def via(self, how: str | None, group: str | None = None, hop: Hop | None = None) -> Src:
        """This source reached through one more step (hops run from the literal outwards;
        built directly, as ``Value.via`` is)."""
        stronger = _stronger(self.how, how) if how else self.how
        if stronger == self.how and (self.group or not group) and hop is None:
            return self
        return Src(
            self.module, self.expr, stronger, self.group or group, self.reason, self.symbol,
            (*self.hops, hop) if hop is not None else self.hops, self.selectors, self.ctx,
        )  # fmt: skip


Frame = tuple["Module", "Expr | None", "Ctx", bool]  # caller module, call, its context, bound


@dataclass(frozen=True, slots=True, eq=False)
class Ctx:
    """Which call the function being followed was called by: one frame for ``(module, scope)``
    (the caller's module, the call, the caller's own context, whether the call is bound; a call
    of None means "called from outside the project": parameters take their defaults). Contexts
    chain through their frames' caller contexts, at most ``MAX_FRAMES`` deep.

    Without a frame for a function, its parameters take what every caller passes."""

    key: tuple[str, int] | None = None
    frame: Frame | None = None
    depth: int = 0

    def get(self, module: Module, scope: int) -> Frame | None:
        if self.key is not None and self.key == (module.relpath, scope):
            return self.frame
        return None

    @staticmethod
    def inside(module: Module, scope: int, frame: Frame) -> Ctx:
        """The context inside a call of ``scope``: ``frame`` says who called it."""
        caller, call, caller_ctx, bound = frame
        if caller_ctx.depth >= MAX_FRAMES:
            frame = (caller, call, Ctx(), bound)
            caller_ctx = Ctx()
        return Ctx((module.relpath, scope), frame, caller_ctx.depth + 1)


@dataclass(frozen=True, slots=True)
class ModuleObj:
    """A project module, as ``import pkg.config`` or ``from pkg import config`` binds it."""

    module: Module


@dataclass(frozen=True, slots=True)
class ClassObj:
    """A project class (``scope`` in ``module``), or an instance of it when ``call`` built it."""

    module: Module
    scope: int
    call: Expr | None = None
    ctx: Ctx = field(default_factory=lambda: Ctx())


@dataclass(frozen=True, slots=True)
class FuncObj:
    """A project function or method (``scope`` in ``module``); ``bound`` when called through an
    instance or class, so the first parameter is taken."""

    module: Module
    scope: int
    bound: bool = False


@dataclass(frozen=True, slots=True)
class ArgsObj:
    """The namespace ``parser.parse_args()`` returns (in ``module``)."""

    module: Module


Obj = ModuleObj | ClassObj | FuncObj | ArgsObj | Symbol


class Walk(Protocol):
    """What the walk's parts call back into (``ptmlock.scan.python.walk.Walker``)."""

    project: PythonProject
    active: set[object]  # what is being followed now: meeting it again is a cycle

    def tick(self) -> None: ...
    def sources(self, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Src]: ...
    def values_at(self, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Value]: ...
    def objects(self, module: Module, expr: Expr, ctx: Ctx, depth: int) -> list[Obj]: ...
    def subclasses(self, module: Module, scope: int) -> list[tuple[Module, int]]: ...
    def binding_sources(
        self, module: Module, scope: int, name: str, binding: tuple[object, ...], ctx: Ctx,
        depth: int,
    ) -> list[Src]: ...  # fmt: skip
    def note(self, kind: str, name: str) -> None: ...
    def callers(self, module: Module, scope: int) -> list[tuple[Module, Expr, int, bool]]: ...
