"""The vocabulary of value-following: what a value, a source and an object are, and the limits.

``Value`` is what the resolver reports; ``Src`` an expression a name may stand for (or why there
is none); the ``*Obj`` types what a name refers to when it is not a value (a module, a class or
instance, an argparse namespace); ``Symbol`` a name from outside the project. The walk's parts
(``values``, ``pyobjects``, ``pycollections``, ``pyfields``, ``pyoptions``, ``pycallers``,
``pyevaluate``) all speak these.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ptmlock.scan.python.pyindex import ModuleIndex

__all__ = [
    "HOW_RANK",
    "MAX_DEPTH",
    "MAX_STEPS",
    "MAX_VALUES",
    "TOO_DEEP",
    "ArgsObj",
    "ClassObj",
    "Elem",
    "ModuleObj",
    "Obj",
    "Src",
    "Symbol",
    "Value",
    "called_name",
    "keyword_arg",
    "label",
    "unresolved",
]

MAX_DEPTH = 24  # bindings followed from a loader argument to a literal
MAX_STEPS = 5000  # total work per argument; pathological files stop here
MAX_VALUES = 64  # values per argument (products of f-strings over collections)

# How a value reached the call; a chain reports its most telling step.
HOW_RANK = {
    how: rank
    for rank, how in enumerate(
        ("literal", "constant", "argument", "attribute", "default", "env-default",
         "library-default", "argparse", "collection")
    )
}  # fmt: skip
TOO_DEEP = f"the value passes through more than {MAX_DEPTH} steps"


@dataclass(frozen=True, slots=True)
class Symbol:
    """A name from outside the project, e.g. ``torchvision.models.ResNet50_Weights.DEFAULT``."""

    qualname: str


def _stronger(current: str, step: str) -> str:
    """A chain reports its strongest step (``HOW_RANK``): constant then argparse is argparse."""
    return step if HOW_RANK.get(step, 0) > HOW_RANK.get(current, 0) else current


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
        return replace(self, how=_stronger(self.how, how), group=self.group or group)


@dataclass(frozen=True, slots=True)
class Src:
    """An expression a name may stand for, or why there is none."""

    module: ModuleIndex
    expr: ast.expr | None
    how: str = "literal"
    group: str | None = None
    reason: str | None = None
    symbol: Symbol | None = None

    def via(self, how: str, group: str | None = None) -> Src:
        """This source reached through one more step."""
        return replace(self, how=_stronger(self.how, how), group=self.group or group)


@dataclass(frozen=True, slots=True)
class ModuleObj:
    """A project module, as ``import pkg.config`` or ``from pkg import config`` binds it."""

    module: ModuleIndex


@dataclass(frozen=True, slots=True)
class ClassObj:
    """A project class, or an instance of it when ``call`` constructed it."""

    module: ModuleIndex
    node: ast.ClassDef
    call: ast.Call | None = None  # the constructor call, for an instance


@dataclass(frozen=True, slots=True)
class ArgsObj:
    """The namespace ``parser.parse_args()`` returns."""

    module: ModuleIndex


Obj = ModuleObj | ClassObj | ArgsObj | Symbol
Elem = ast.expr | tuple["Elem", ...]


def unresolved(module: ModuleIndex, reason: str) -> list[Src]:
    """No source, and why: the walk reports the reason instead of guessing."""
    return [Src(module, None, reason=reason)]


def called_name(expr: ast.expr) -> str | None:
    """The called name: ``f`` for ``f(...)`` and ``x.f(...)``."""
    if isinstance(expr, ast.Name):
        return expr.id
    return expr.attr if isinstance(expr, ast.Attribute) else None


def label(expr: ast.expr) -> str:
    """A collection's name for ``Reference.group``: ``MODELS`` for ``MODELS.items()``."""
    while (isinstance(expr, ast.Call) and expr.args) or (
        isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)
    ):
        assert isinstance(expr, ast.Call)
        inner = expr.func.value if isinstance(expr.func, ast.Attribute) else expr.args[0]
        expr = inner
    return ast.unparse(expr)


def keyword_arg(call: ast.Call, name: str) -> ast.expr | None:
    """The value ``call`` passes as ``name=``, if any."""
    return next((kw.value for kw in call.keywords if kw.arg == name), None)
