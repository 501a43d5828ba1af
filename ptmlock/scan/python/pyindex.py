"""The project's Python modules, parsed and indexed for value-following.

``ModuleIndex`` parses one module and builds, in one walk, the tables the resolver reads:
parents, imports (re-exports included), classes, functions, calls, argparse options and
``self.x = ...`` assignments; scopes' binding tables are built on first use. ``Project`` finds
the other modules of the scanned project by dotted name and parses each once, so a constant
imported from another file can be followed there.
"""

from __future__ import annotations

import ast
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ptmlock.scan.detectors.interface import ProjectContext
from ptmlock.scan.python.pybindings import Binding, bind_block, bind_params, reaching, target_path

__all__ = ["ModuleIndex", "Project", "Scope"]

logger = logging.getLogger(__name__)

Scope = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_SCOPES = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


@dataclass(eq=False, slots=True)
class ModuleIndex:
    """One parsed module and the tables value-following reads, built in one walk."""

    relpath: str
    modname: str
    tree: ast.Module
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted name
    star_imports: list[str] = field(default_factory=list)
    classes: dict[str, list[ast.ClassDef]] = field(default_factory=lambda: defaultdict(list))
    functions: dict[str, list[FunctionNode]] = field(default_factory=lambda: defaultdict(list))
    calls: list[ast.Call] = field(default_factory=list)
    calls_by_name: dict[str, list[ast.Call]] = field(default_factory=lambda: defaultdict(list))
    options: dict[str, list[ast.Call]] = field(default_factory=lambda: defaultdict(list))
    self_assigns: dict[tuple[ast.ClassDef, str], list[ast.expr]] = field(
        default_factory=lambda: defaultdict(list)
    )
    walruses: list[ast.NamedExpr] = field(default_factory=list)
    _scopes: dict[ast.AST, dict[str, list[Binding]]] = field(default_factory=dict)

    @classmethod
    def parse(cls, relpath: str, modname: str, text: str) -> ModuleIndex | None:
        """Index ``text``, or None when it does not parse (bad syntax, absurd nesting)."""
        try:
            tree = ast.parse(text, filename=relpath)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            logger.debug("%s does not parse; skipped", relpath)
            return None
        index = cls(relpath=relpath, modname=modname, tree=tree)
        index._build()
        return index

    @property
    def package(self) -> str:
        if self.relpath.endswith("__init__.py"):
            return self.modname
        return self.modname.rpartition(".")[0]

    def _build(self) -> None:
        stack: list[ast.AST] = [self.tree]
        while stack:
            node = stack.pop()
            children = list(ast.iter_child_nodes(node))
            for child in children:
                self.parents[child] = node
            stack.extend(reversed(children))
            if isinstance(node, ast.Import | ast.ImportFrom):
                self._add_import(node)
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name].append(node)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[node.name].append(node)
            elif isinstance(node, ast.Call):
                self._add_call(node)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                self._add_self_assign(node)
            elif isinstance(node, ast.NamedExpr):
                self.walruses.append(node)

    def _add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    root = alias.name.split(".", 1)[0]
                    self.imports.setdefault(root, root)
            return
        base = node.module or ""
        if node.level:
            parts = self.package.split(".") if self.package else []
            parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
            base = ".".join([*parts, *([node.module] if node.module else [])])
        for alias in node.names:
            if alias.name == "*":
                self.star_imports.append(base)
            else:
                self.imports[alias.asname or alias.name] = f"{base}.{alias.name}".lstrip(".")

    def _add_call(self, node: ast.Call) -> None:
        self.calls.append(node)
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name:
            self.calls_by_name[name].append(node)
        if name == "add_argument":
            dest = _option_dest(node)
            if dest:
                self.options[dest].append(node)
        elif name == "set_defaults":
            for kw in node.keywords:
                if kw.arg:
                    self.options[kw.arg].append(node)

    def _add_self_assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)):
                continue
            if target.value.id in ("self", "cls") and node.value is not None:
                cls = self.enclosing_class(node)
                if cls is not None:
                    self.self_assigns[(cls, target.attr)].append(node.value)

    # --- scopes -------------------------------------------------------------------------

    def enclosing(self, node: ast.AST) -> Scope:
        """The innermost scope (module, class, function, lambda) around ``node``."""
        current = self.parents.get(node)
        while current is not None and not isinstance(current, _SCOPES):
            current = self.parents.get(current)
        return current if current is not None else self.tree

    def enclosing_class(self, node: ast.AST) -> ast.ClassDef | None:
        """The class whose method contains ``node``."""
        scope = self.enclosing(node)
        while not isinstance(scope, ast.Module):
            if isinstance(scope, ast.ClassDef):
                return scope
            scope = self.enclosing(scope)
        return None

    def bindings(self, scope: Scope) -> dict[str, list[Binding]]:
        """Every binding of every name in ``scope`` (not in nested functions or classes)."""
        table = self._scopes.get(scope)
        if table is None:
            table = defaultdict(list)
            if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                bind_params(scope.args, table)
            if not isinstance(scope, ast.Lambda):
                bind_block(scope.body, table, unconditional=True)
            for walrus in self.walruses:
                if self.enclosing(walrus) is scope and isinstance(walrus.target, ast.Name):
                    table[walrus.target.id].append(Binding("assign", walrus, walrus.value))
            self._scopes[scope] = table
        return table

    def lookup(self, node: ast.Name) -> list[Binding] | None:
        """The bindings ``node`` can see, innermost scope first (Python's rules, roughly)."""
        loop = self._comprehension_binding(node)
        if loop is not None:
            return [loop]
        scope = self.enclosing(node)
        innermost = True
        while True:
            if innermost or not isinstance(scope, ast.ClassDef):
                table = self.bindings(scope)
                if node.id in table:
                    found = table[node.id]
                    return reaching(found, node.lineno) if innermost else found
            if isinstance(scope, ast.Module):
                return None
            scope = self.enclosing(scope)
            innermost = False

    def _comprehension_binding(self, node: ast.Name) -> Binding | None:
        """The ``for`` target of a comprehension around ``node`` that binds its name."""
        current: ast.AST = node
        while True:
            parent = self.parents.get(current)
            if parent is None or isinstance(parent, _SCOPES):
                return None
            if isinstance(parent, _COMPREHENSIONS):
                for gen in parent.generators:
                    path = target_path(gen.target, node.id)
                    if path is not None and current is not gen.iter:
                        return Binding("loop", gen.target, gen.iter, path, False)
            current = parent


def _option_dest(call: ast.Call) -> str | None:
    """The attribute argparse stores an option under (``--model-name`` -> ``model_name``)."""
    for kw in call.keywords:
        if kw.arg == "dest" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    flags = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    longs = [f for f in flags if f.startswith("--")]
    chosen = longs[0] if longs else (flags[0] if flags else None)
    return chosen.lstrip("-").replace("-", "_") if chosen else None


@lru_cache(maxsize=512)
def _parse_file(
    path: str, relpath: str, modname: str, stamp: tuple[int, int]
) -> ModuleIndex | None:
    """Parse a project module once per (path, mtime, size); imports reuse it across files."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return ModuleIndex.parse(relpath, modname, text)


class Project:
    """The modules of the scanned project, parsed on demand when a constant is imported."""

    def __init__(self, context: ProjectContext) -> None:
        self.context = context
        self._by_path = {relpath: name for name, relpath in context.modules.items()}
        self._current: dict[str, ModuleIndex] = {}

    def modname(self, relpath: str) -> str:
        """The dotted module name of ``relpath`` ("pkg/mod.py" -> "pkg.mod")."""
        known = self._by_path.get(relpath)
        if known:
            return known
        stem = relpath.removesuffix(".py").removesuffix(".ipynb").removesuffix("/__init__")
        return stem.removeprefix("src/").replace("/", ".")

    def add(self, module: ModuleIndex) -> None:
        """Register the module being analysed (its text may differ from the file on disk)."""
        self._current[module.modname] = module

    def module(self, modname: str) -> ModuleIndex | None:
        """The project module ``modname``, or None when it is not part of the project."""
        if modname in self._current:
            return self._current[modname]
        relpath = self._relpath(modname)
        if relpath is None:
            return None
        path = self.context.root / relpath
        try:
            stat = path.stat()
        except OSError:
            return None
        return _parse_file(str(path), relpath, modname, (stat.st_mtime_ns, stat.st_size))

    def _relpath(self, modname: str) -> str | None:
        if self.context.modules:
            return self.context.modules.get(modname)
        base = modname.replace(".", "/")
        for candidate in (
            f"{base}.py",
            f"{base}/__init__.py",
            f"src/{base}.py",
            f"src/{base}/__init__.py",
        ):
            if (self.context.root / candidate).is_file():
                return candidate
        return None

    def split(self, dotted: str) -> tuple[ModuleIndex, list[str]] | None:
        """The longest project-module prefix of ``dotted`` and the attribute path after it."""
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.module(".".join(parts[:cut]))
            if module is not None:
                return module, parts[cut:]
        return None
