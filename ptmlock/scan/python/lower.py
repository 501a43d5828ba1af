"""Phase 1 for Python: one module's source -> its ``Summary`` (see ``ir`` for the shape).

One walk over the AST builds every scope's binding table, lowers each expression that can carry
a model name into the IR, and lists the calls phase 2 may need: calls that can load a model
(their last name is a loader's), calls of project code (anything not rooted in the standard
library or a numeric library), and argparse declarations. Nothing here knows about other files,
so the summary depends on the source text alone.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from typing import Any

from ptmlock.scan.python.ir import Expr, Scope, Summary, last_name, root_of
from ptmlock.scan.urls import prefixed_id

__all__ = ["MAX_NESTING", "lower_module"]

MAX_NESTING = 150  # expression depth lowered; deeper parts become ("u", line, "nested")

# Call roots that never reach project code: the standard library and the big numeric stacks.
# (``os.system``/``subprocess`` and loader names are kept by name whatever their root.)
_EXTERNAL_ROOTS = frozenset(sys.stdlib_module_names) | {
    "np", "numpy", "torch", "tf", "tensorflow", "jax", "jnp", "pd", "pandas", "scipy", "cv2",
    "PIL", "Image", "plt", "matplotlib", "F", "nn", "math", "logger", "logging", "warnings",
    "einops", "rearrange", "mx",
}  # fmt: skip
_BUILTINS = frozenset(dir(builtins))
_KEPT_BUILTINS = frozenset({"open", "getattr", "dict", "str"})
_KEPT_NAMES = frozenset({
    "system", "popen", "run", "call", "check_call", "check_output", "Popen", "getoutput",
    "getstatusoutput", "urlretrieve", "urlopen", "get", "download", "load", "hub",
})  # fmt: skip
_BINOPS = {ast.Add: "+", ast.Mod: "%", ast.Div: "/"}
# strings that may name a model (``org/name``): phase 2 keeps those the project loads elsewhere
_ID_SHAPED = re.compile(
    r"[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}|[a-z0-9][a-z0-9._-]{0,63}:[a-z0-9][a-z0-9._-]{0,63}"
)
_NAME_SHAPED = re.compile(r"[A-Za-z][\w.-]{1,63}")
_SEQUENCES = {ast.List: "list", ast.Tuple: "tuple", ast.Set: "set"}
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def lower_module(tree: ast.Module, loader_names: frozenset[str]) -> Summary:
    """The summary of a parsed module; ``loader_names`` are calls always worth keeping."""
    lowering = _Lowering(loader_names)
    lowering.module(tree)
    summary = lowering.summary
    summary.called = sorted({last_name(call[1][2]) or "" for call in summary.calls} - {""})
    return summary


class _Lowering:
    """The walk: a stack of scopes, and comprehension variables in reach."""

    def __init__(self, loader_names: frozenset[str]) -> None:
        self.summary = Summary()
        self.loader_names = loader_names
        self.comp: list[dict[str, Expr]] = []  # comprehension variables, innermost last
        self.guards: list[Expr] = []  # tests of the ``if`` statements around the code lowered
        self.table_ids: list[int] = []  # the dict/list literals around the expression lowered
        self.table_count = 0
        self.depth = 0
        # one object per distinct expression and line number of the module: a summary loaded
        # for linking shares them (marshal keeps the sharing), where each would be its own copy
        self.shared: dict[Expr, Expr] = {}
        self.lines: dict[int, int] = {}

    # -- scopes -------------------------------------------------------------------------------
    def new_scope(self, kind: str, name: str, parent: int | None, line: int) -> int:
        scope: Scope = {"kind": kind, "name": name, "parent": parent, "line": line, "bind": {},
                        "params": [], "returns": [], "bases": [], "decorators": [],
                        "selfattrs": {}}  # fmt: skip
        self.summary.scopes.append(scope)
        return len(self.summary.scopes) - 1

    def bind(self, scope: int, name: str, binding: tuple[Any, ...]) -> None:
        self.summary.scopes[scope]["bind"].setdefault(name, []).append(binding)

    def module(self, tree: ast.Module) -> None:
        scope = self.new_scope("module", "", None, 1)
        self.block(tree.body, scope, unconditional=True)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, parent: int) -> int:
        decorators = [self.expr(d, parent) for d in node.decorator_list]
        scope = self.new_scope("function", node.name, parent, node.lineno)
        self.summary.scopes[scope]["decorators"] = decorators
        self.params(node.args, scope, parent)
        self.block(node.body, scope, unconditional=True)
        return scope

    def klass(self, node: ast.ClassDef, parent: int) -> int:
        bases = [self.expr(b, parent) for b in node.bases]
        decorators = [self.expr(d, parent) for d in node.decorator_list]
        for keyword in node.keywords:
            self.expr(keyword.value, parent)
        scope = self.new_scope("class", node.name, parent, node.lineno)
        self.summary.scopes[scope].update(bases=bases, decorators=decorators)
        self.block(node.body, scope, unconditional=True)
        return scope

    def params(self, args: ast.arguments, scope: int, parent: int) -> None:
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults += list(args.defaults)
        kinds = ["posonly"] * len(args.posonlyargs) + ["pos"] * len(args.args)
        rows = list(zip(positional, defaults, kinds, strict=True))
        rows += [(a, d, "kwonly") for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
        if args.vararg is not None:
            rows.append((args.vararg, None, "vararg"))
        if args.kwarg is not None:
            rows.append((args.kwarg, None, "kwarg"))
        for arg, default, kind in rows:
            lowered = self.expr(default, parent) if default is not None else None
            annotation = self.annotation(arg.annotation, parent)
            self.summary.scopes[scope]["params"].append((arg.arg, kind, lowered, annotation))
            self.bind(scope, arg.arg, ("param", arg.lineno, lowered, (), True))

    def annotation(self, node: ast.expr | None, scope: int) -> list[Expr]:
        """The names in a parameter's annotation (``cfg: Config | None`` -> ``Config``)."""
        if node is None:
            return []
        found = [n for n in ast.walk(node) if isinstance(n, ast.Name | ast.Attribute)]
        return [self.expr(n, scope) for n in found if not isinstance(n, ast.Attribute)][:4]

    # -- statements ---------------------------------------------------------------------------
    def block(self, body: list[ast.stmt], scope: int, unconditional: bool) -> None:
        for stmt in body:
            self.statement(stmt, scope, unconditional)

    def statement(self, stmt: ast.stmt, scope: int, unconditional: bool) -> None:
        line = stmt.lineno
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            inner = self.function(stmt, scope)
            self.bind(scope, stmt.name, ("def", line, inner, (), unconditional))
        elif isinstance(stmt, ast.ClassDef):
            inner = self.klass(stmt, scope)
            self.bind(scope, stmt.name, ("class", line, inner, (), unconditional))
        elif isinstance(stmt, ast.Assign):
            value = self.expr(stmt.value, scope)
            for target in stmt.targets:
                self.target(target, ("assign", line, value, (), unconditional), scope)
        elif isinstance(stmt, ast.AnnAssign):  # ``name: str = "x"`` is a field (with a default)
            field = self.expr(stmt.value, scope) if stmt.value is not None else None
            if field is not None or isinstance(stmt.target, ast.Name):
                self.target(stmt.target, ("field", line, field, (), unconditional), scope)
        elif isinstance(stmt, ast.AugAssign):
            self.augmented(stmt, scope, unconditional)
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            iterable = self.expr(stmt.iter, scope)
            self.target(stmt.target, ("loop", line, iterable, (), False), scope)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                value = self.expr(item.context_expr, scope)
                if item.optional_vars is not None:
                    self.target(item.optional_vars, ("with", line, value, (), False), scope)
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None:
                self.summary.scopes[scope]["returns"].append(self.expr(stmt.value, scope))
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            self.imports(stmt)
        elif isinstance(stmt, ast.If):
            self.conditional(stmt, scope)
            return
        elif isinstance(stmt, ast.Assert):
            self.expr(stmt.test, scope)
            self.choice(stmt.test, scope, negated=False)
        else:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self.expr(child, scope)
        for block in _sub_blocks(stmt):
            self.block(block, scope, unconditional=False)

    def choice(self, test: ast.expr, scope: int, negated: bool) -> None:
        """``assert name in MODELS`` (or ``if name not in MODELS: raise``): the code checks
        ``name`` against a collection, so its elements are the values it may take."""
        if not isinstance(test, ast.Compare) or len(test.ops) != 1:
            return
        wanted = ast.NotIn if negated else ast.In
        if isinstance(test.ops[0], wanted) and isinstance(test.left, ast.Name):
            values = self.expr(test.comparators[0], scope)
            self.bind(scope, test.left.id, ("choice", test.lineno, values, (), False))

    def conditional(self, stmt: ast.If, scope: int) -> None:
        """``if pretrained: load(...)``: calls in the body run only when the test holds, so a
        test that is a plain name or attribute is kept with them as a guard."""
        if stmt.body and isinstance(stmt.body[0], ast.Raise):
            self.choice(stmt.test, scope, negated=True)
        else:
            self.choice(stmt.test, scope, negated=False)
        test = self.expr(stmt.test, scope)
        guard = test[0] in ("n", "a")
        if guard:
            self.guards.append(test)
        self.block(stmt.body, scope, unconditional=False)
        if guard:
            self.guards.pop()
        self.block(stmt.orelse, scope, unconditional=False)

    def augmented(self, stmt: ast.AugAssign, scope: int, unconditional: bool) -> None:
        value = self.expr(stmt.value, scope)
        if isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            op = _BINOPS.get(type(stmt.op), "?")
            grown = ("b", stmt.lineno, op, ("n", stmt.lineno, name, scope), value)
            self.bind(scope, name, ("assign", stmt.lineno, grown, (), unconditional))

    def target(self, target: ast.expr, binding: tuple[Any, ...], scope: int) -> None:
        """Bind the names of an assignment target; ``self.x = v`` is a class attribute."""
        kind, line, value, path, unconditional = binding
        if isinstance(target, ast.Name):
            self.bind(scope, target.id, (kind, line, value, path, unconditional))
        elif isinstance(target, ast.Tuple | ast.List):
            for position, element in enumerate(target.elts):
                inner = element.value if isinstance(element, ast.Starred) else element
                self.target(inner, (kind, line, value, (*path, position), unconditional), scope)
        elif isinstance(target, ast.Attribute):
            self.expr(target.value, scope)
            self.self_attribute(target, value, path, line, scope)
        elif isinstance(target, ast.Subscript):
            self.expr(target.value, scope)
            self.expr(target.slice, scope)

    def self_attribute(
        self,
        target: ast.Attribute,
        value: Expr | None,
        path: tuple[int, ...],
        line: int,
        scope: int,
    ) -> None:
        function = self.summary.scopes[scope]
        parent = function["parent"]
        if function["kind"] != "function" or parent is None or value is None or path:
            return
        owner = self.summary.scopes[parent]
        params = function["params"]
        this = params[0][0] if params else None
        if (
            owner["kind"] == "class"
            and isinstance(target.value, ast.Name)
            and target.value.id == this
        ):
            owner["selfattrs"].setdefault(target.attr, []).append((value, line))

    def imports(self, stmt: ast.Import | ast.ImportFrom) -> None:
        table = self.summary.imports
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    table[alias.asname] = (0, alias.name, None)
                else:
                    root = alias.name.split(".", 1)[0]
                    table.setdefault(root, (0, root, None))
            return
        for alias in stmt.names:
            if alias.name == "*":
                self.summary.star_imports.append((stmt.level, stmt.module or ""))
            else:
                table[alias.asname or alias.name] = (stmt.level, stmt.module or "", alias.name)

    # -- expressions --------------------------------------------------------------------------
    def expr(self, node: ast.expr, scope: int) -> Expr:
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                return ("u", getattr(node, "lineno", 0), "nested")
            lowered = self._expr(node, scope)
        finally:
            self.depth -= 1
        try:
            return self.shared.setdefault(lowered, lowered)
        except TypeError:  # a constant that does not hash
            return lowered

    def line(self, number: int) -> int:
        return self.lines.setdefault(number, number)

    def _expr(self, node: ast.expr, scope: int) -> Expr:
        line = self.line(node.lineno)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                self.url(line, value)
            elif isinstance(value, str) and _ID_SHAPED.fullmatch(value):
                table = self.table_ids[-1] if self.table_ids else 0
                self.summary.strings.append((line, value, table))
            elif isinstance(value, str) and (named := prefixed_id(value)) is not None:
                table = self.table_ids[-1] if self.table_ids else 0  # ``//pretrained/org/x``
                self.summary.strings.append((line, named, table))
            elif isinstance(value, str) and self._in_list() and _NAME_SHAPED.fullmatch(value):
                self.summary.strings.append((line, value, self.table_ids[-1]))  # choices
            return (
                ("c", line, value)
                if not isinstance(value, bytes | complex)
                else ("u", line, "bytes")
            )
        if isinstance(node, ast.Name):
            for variables in reversed(self.comp):
                if node.id in variables:
                    return variables[node.id]
            return ("n", line, node.id, scope)
        if isinstance(node, ast.Attribute):
            return ("a", line, self.expr(node.value, scope), node.attr)
        if isinstance(node, ast.Subscript):
            index = node.slice
            if isinstance(index, ast.Slice):
                bounds = (index.lower, index.upper)
                lowered = ("sl", line, *(self.expr(b, scope) if b else None for b in bounds))
            else:
                lowered = self.expr(index, scope)
            return ("s", line, self.expr(node.value, scope), lowered)
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        if isinstance(node, ast.JoinedStr):
            return ("f", line, tuple(self.fpart(p, scope) for p in node.values))
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op), "?")
            return ("b", line, op, self.expr(node.left, scope), self.expr(node.right, scope))
        if isinstance(node, ast.IfExp):
            self.expr(node.test, scope)
            return ("i", line, self.expr(node.body, scope), self.expr(node.orelse, scope))
        if isinstance(node, ast.BoolOp):
            op = "or" if isinstance(node.op, ast.Or) else "and"
            return ("o", line, op, tuple(self.expr(v, scope) for v in node.values))
        if isinstance(node, ast.Dict):
            self.enter_table(mapping=True)
            keys = tuple(self.expr(k, scope) if k is not None else None for k in node.keys)
            values = tuple(self.expr(v, scope) for v in node.values)
            self.table_ids.pop()
            return ("d", line, keys, values)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            self.enter_table()
            elts = tuple(self.element(e, scope) for e in node.elts)
            self.table_ids.pop()
            return ("l", line, _SEQUENCES[type(node)], elts)
        if isinstance(node, _COMPREHENSIONS):
            return self.comprehension(node, scope)
        if isinstance(node, ast.NamedExpr):
            assigned = self.expr(node.value, scope)
            binding = ("assign", line, assigned, (), False)
            self.bind(self.function_scope(scope), node.target.id, binding)
            return assigned
        if isinstance(node, ast.Lambda):
            return self.lambda_(node, scope)
        if isinstance(node, ast.Await):
            return self.expr(node.value, scope)
        if isinstance(node, ast.Starred):
            return ("*", line, self.expr(node.value, scope))
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child, scope)
        return ("u", line, type(node).__name__)

    def enter_table(self, mapping: bool = False) -> None:
        """A dict or list literal starts: the strings in it are one table (the outermost), its
        number negative for a dict (whose strings are keys and values, not choices)."""
        self.table_count += 1
        number = -self.table_count if mapping else self.table_count
        self.table_ids.append(self.table_ids[-1] if self.table_ids else number)

    def _in_list(self) -> bool:
        """Inside a list, tuple or set literal (``["u2net", "isnet-anime"]``: choices)."""
        return bool(self.table_ids) and self.table_ids[-1] > 0

    def url(self, line: int, value: str) -> None:
        """A URL written in the code: phase 2 decides whether it names a checkpoint."""
        if len(value) < 2048 and not any(c.isspace() for c in value):
            self.summary.urls.append((line, value, bool(self.table_ids)))

    def element(self, node: ast.expr, scope: int) -> Expr:
        if isinstance(node, ast.Starred):
            return ("*", self.line(node.lineno), self.expr(node.value, scope))
        return self.expr(node, scope)

    def fpart(self, node: ast.expr, scope: int) -> Expr:
        if isinstance(node, ast.FormattedValue):
            spec = node.format_spec
            text = "".join(
                str(v.value) if isinstance(v, ast.Constant) else "{" for v in spec.values
            ) if isinstance(spec, ast.JoinedStr) else ""  # fmt: skip
            return ("v", self.line(node.lineno), self.expr(node.value, scope), text)
        return self.expr(node, scope)

    def call(self, node: ast.Call, scope: int) -> Expr:
        func = self.expr(node.func, scope)
        args = tuple(self.element(a, scope) for a in node.args)
        kwargs = tuple((kw.arg, self.expr(kw.value, scope)) for kw in node.keywords)
        call: Expr = ("k", self.line(node.lineno), func, args, kwargs)
        if self.wanted(func):
            self.summary.calls.append((scope, call, tuple(self.guards)))
            name = last_name(func)
            if name in ("add_argument", "set_defaults"):
                self.option(call, len(self.summary.calls) - 1)
        return call

    def wanted(self, func: Expr) -> bool:
        """Whether phase 2 may need this call: a loader, project code, or an option."""
        name = last_name(func)
        if name is None:
            return True  # ``MODELS[key](...)``, ``make()(...)``
        if (
            name in self.loader_names
            or name in _KEPT_NAMES
            or name in ("add_argument", "set_defaults")
        ):
            return True
        root = root_of(func)
        if root[0] != "n":
            return True
        if func[0] == "n":
            return name in _KEPT_BUILTINS or name not in _BUILTINS
        return root[2] not in _EXTERNAL_ROOTS

    def option(self, call: Expr, index: int) -> None:
        """``add_argument("--model-name", ...)`` declares ``model_name``, as set_defaults(x=...)."""
        _, _, func, args, kwargs = call
        if last_name(func) == "set_defaults":
            dests = [name for name, _ in kwargs if name]
        else:
            dests = [_option_dest(args, kwargs)]
        for dest in dests:
            if dest:
                self.summary.options.setdefault(dest, []).append(index)

    def comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scope: int
    ) -> Expr:
        variables: dict[str, Expr] = {}
        self.comp.append(variables)
        try:
            for generator in node.generators:
                iterable = self.expr(generator.iter, scope)
                for name, path in _target_names(generator.target):
                    variables[name] = ("lv", self.line(node.lineno), iterable, path)
                for condition in generator.ifs:
                    self.expr(condition, scope)
            if isinstance(node, ast.DictComp):
                key, value = self.expr(node.key, scope), self.expr(node.value, scope)
                return ("dg", self.line(node.lineno), key, value)
            return ("g", self.line(node.lineno), self.expr(node.elt, scope))
        finally:
            self.comp.pop()

    def lambda_(self, node: ast.Lambda, scope: int) -> Expr:
        inner = self.new_scope("lambda", "lambda", scope, node.lineno)
        self.params(node.args, inner, scope)
        self.summary.scopes[inner]["returns"].append(self.expr(node.body, inner))
        return ("lam", self.line(node.lineno), inner)

    def function_scope(self, scope: int) -> int:
        """Where a walrus binds: the nearest function or module scope."""
        while self.summary.scopes[scope]["kind"] == "class":
            parent = self.summary.scopes[scope]["parent"]
            scope = parent if parent is not None else 0
        return scope


def _sub_blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return []
    blocks: list[list[ast.stmt]] = []
    for name in ("body", "orelse", "finalbody"):
        block = getattr(stmt, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            blocks.append(block)
    blocks.extend(handler.body for handler in getattr(stmt, "handlers", []))
    blocks.extend(case.body for case in getattr(stmt, "cases", []))
    return blocks


def _target_names(
    target: ast.expr, path: tuple[int, ...] = ()
) -> list[tuple[str, tuple[int, ...]]]:
    if isinstance(target, ast.Name):
        return [(target.id, path)]
    if isinstance(target, ast.Tuple | ast.List):
        found: list[tuple[str, tuple[int, ...]]] = []
        for position, element in enumerate(target.elts):
            found += _target_names(element, (*path, position))
        return found
    return []


def _option_dest(args: tuple[Expr, ...], kwargs: tuple[tuple[str | None, Expr], ...]) -> str | None:
    """The attribute argparse stores an option under (``--model-name`` -> ``model_name``)."""
    for name, value in kwargs:
        if name == "dest" and value[0] == "c" and isinstance(value[2], str):
            return value[2]
    flags = [a[2] for a in args if a[0] == "c" and isinstance(a[2], str)]
    longs = [f for f in flags if f.startswith("--")]
    chosen = longs[0] if longs else (flags[0] if flags else None)
    return chosen.lstrip("-").replace("-", "_") if chosen else None
