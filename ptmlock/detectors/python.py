"""Model references in Python source: one AST walk matched against the signature table.

For each call, the callee is resolved through the file's imports to a dotted name
(``tf.AutoModel.from_pretrained`` -> ``transformers.AutoModel.from_pretrained``) and matched
against ``signatures.SIGNATURES``; the model, revision and file arguments are then followed back
to their values by ``values.Resolver``. A loader call whose model can't be known statically is
reported with ``model=None`` and a reason, never dropped. Local paths, and strings that look like
``org/name`` but reach no loader, are not references.
"""

from __future__ import annotations

import ast
import itertools
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ptmlock.detectors.interface import Detector, ProjectContext
from ptmlock.detectors.signatures import ROOT_MODULES, Signature, match_signature
from ptmlock.detectors.transforms import CallFacts
from ptmlock.detectors.values import Binding, Resolver, Symbol, Value
from ptmlock.models import Reference

__all__ = ["ModuleIndex", "Project", "PythonDetector", "analyze_source"]

logger = logging.getLogger(__name__)

MAX_CONTEXTS = 32  # callers of a loader's function resolved one by one (beyond: all at once)

Scope = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_SCOPES = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


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
                _bind_params(scope.args, table)
            if not isinstance(scope, ast.Lambda):
                _bind_block(scope.body, table, unconditional=True)
            for walrus in self.walruses:
                if self.enclosing(walrus) is scope and isinstance(walrus.target, ast.Name):
                    table[walrus.target.id].append(Binding("assign", walrus, walrus.value))
            self._scopes[scope] = table
        return table


def _option_dest(call: ast.Call) -> str | None:
    """The attribute argparse stores an option under (``--model-name`` -> ``model_name``)."""
    for kw in call.keywords:
        if kw.arg == "dest" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    flags = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    longs = [f for f in flags if f.startswith("--")]
    chosen = longs[0] if longs else (flags[0] if flags else None)
    return chosen.lstrip("-").replace("-", "_") if chosen else None


def _bind_params(args: ast.arguments, table: dict[str, list[Binding]]) -> None:
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    pairs = [
        *zip(positional, defaults, strict=True),
        *zip(args.kwonlyargs, args.kw_defaults, strict=True),
    ]
    for arg, default in pairs:
        table[arg.arg].append(Binding("param", arg, default))
    for extra in (args.vararg, args.kwarg):
        if extra is not None:
            table[extra.arg].append(Binding("param", extra, None))


def _bind_target(
    target: ast.expr, binding: Binding, path: tuple[int, ...], table: dict[str, list[Binding]]
) -> None:
    if isinstance(target, ast.Name):
        table[target.id].append(
            Binding(binding.kind, binding.node, binding.value, path, binding.unconditional)
        )
    elif isinstance(target, ast.Tuple | ast.List):
        for position, element in enumerate(target.elts):
            _bind_target(element, binding, (*path, position), table)


def _bind_block(body: list[ast.stmt], table: dict[str, list[Binding]], unconditional: bool) -> None:
    """Record the bindings of a statement list, descending into blocks but not definitions."""
    for stmt in body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                _bind_target(
                    target, Binding("assign", stmt, stmt.value, (), unconditional), (), table
                )
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            _bind_target(
                stmt.target, Binding("assign", stmt, stmt.value, (), unconditional), (), table
            )
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            grown = ast.BinOp(
                left=ast.Name(id=stmt.target.id, ctx=ast.Load()), op=stmt.op, right=stmt.value
            )
            ast.copy_location(grown, stmt)
            ast.copy_location(grown.left, stmt)
            table[stmt.target.id].append(Binding("assign", stmt, grown, (), unconditional))
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            _bind_target(stmt.target, Binding("loop", stmt, stmt.iter, (), False), (), table)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            kind = "class" if isinstance(stmt, ast.ClassDef) else "def"
            table[stmt.name].append(Binding(kind, stmt, None, (), unconditional))
            continue
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                if item.optional_vars is not None:
                    _bind_target(
                        item.optional_vars,
                        Binding("assign", stmt, item.context_expr, (), False),
                        (),
                        table,
                    )
        for block in _sub_blocks(stmt):
            _bind_block(block, table, unconditional=False)


def _sub_blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    blocks: list[list[ast.stmt]] = []
    for name in ("body", "orelse", "finalbody"):
        block = getattr(stmt, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            blocks.append(block)
    blocks.extend(handler.body for handler in getattr(stmt, "handlers", []))
    blocks.extend(case.body for case in getattr(stmt, "cases", []))
    return blocks


# --- the project: other modules, for imported constants -------------------------------------


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


# --- the detector ----------------------------------------------------------------------------


class PythonDetector(Detector):
    """References in ``.py`` files."""

    name = "python"

    def handles(self, relpath: str) -> bool:
        return relpath.endswith(".py")

    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
        return analyze_source(relpath, text, context)


def _may_load_models(text: str) -> bool:
    """Cheap pre-check: without a loader library's name the AST walk can find nothing."""
    return (
        "from_pretrained" in text
        or "import *" in text
        or any(root in text for root in ROOT_MODULES)
    )


def analyze_source(relpath: str, text: str, context: ProjectContext) -> list[Reference]:
    """Every model reference in the Python source ``text`` of ``relpath``.

    Never raises for bad input: source that does not parse yields no references.
    """
    if not _may_load_models(text):
        return []
    project = Project(context)
    module = ModuleIndex.parse(relpath, project.modname(relpath), text)
    if module is None:
        return []
    project.add(module)
    resolver = Resolver(project)
    found: list[Reference] = []
    for call in module.calls:
        for qualname in resolver.callees(module, call.func):
            signature = match_signature(qualname)
            if signature is not None:
                site = _Site(module, call, qualname, signature, resolver, context)
                found.extend(site.references())
                break
    if found:
        local = _local_paths(module, resolver)
        found = [ref for ref in found if ref.model not in local or ref.hub != "huggingface"]
    unique: dict[tuple[object, ...], Reference] = {}
    for ref in found:
        unique.setdefault(_key(ref), ref)
    return sorted(unique.values(), key=lambda ref: ref.line)


# calls whose first argument (or ``output_dir=``) names a folder the program writes or opens
_PATH_SINKS = frozenset({
    "save_pretrained", "save_model", "save", "makedirs", "mkdir", "join",
    "open", "Path", "TrainingArguments", "Seq2SeqTrainingArguments", "exists", "isdir",
})  # fmt: skip


def _local_paths(module: ModuleIndex, resolver: Resolver) -> set[str]:
    """Strings this module uses as filesystem paths: ``save_pretrained(OUT)`` then
    ``from_pretrained(OUT)`` reloads the program's own output, not a Hub model."""
    paths: set[str] = set()
    for call in module.calls:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        args = [kw.value for kw in call.keywords if kw.arg == "output_dir"]
        if name in _PATH_SINKS and call.args:
            args.append(call.args[0])
        for arg in args:
            paths.update(v.value for v in resolver.values(module, arg) if isinstance(v.value, str))
    return paths


def _key(ref: Reference) -> tuple[object, ...]:
    return (ref.line, ref.hub, ref.model, ref.revision, ref.files, ref.reason)


def _argument(call: ast.Call, position: int | None, keywords: tuple[str, ...]) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in keywords:
            return kw.value
    if position is None or position >= len(call.args):
        return None
    if any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return None
    return call.args[position]


@dataclass(slots=True)
class _Site:
    """One loader call and the references it makes."""

    module: ModuleIndex
    call: ast.Call
    qualname: str
    signature: Signature
    resolver: Resolver
    context: ProjectContext

    @property
    def api(self) -> str:
        return self.qualname.replace("()", "")

    def _first(self, position: int | None, keywords: tuple[str, ...]) -> list[object]:
        """The resolved values of an argument (empty when absent or unknown)."""
        expr = _argument(self.call, position, keywords)
        if expr is None:
            return []
        values = self.resolver.values(self.module, expr)
        return [v.value for v in values if v.reason is None and not v.local]

    def _facts(self) -> CallFacts:
        extras: dict[str, object] = {}
        for name, position in self.signature.extras:
            values = self._first(position, (name,))
            if values:
                extras[name] = values[0]
        return CallFacts(qualname=self.api, extras=extras, directories=self.context.directories)

    def _dynamic_arguments(self) -> bool:
        return any(isinstance(a, ast.Starred) for a in self.call.args) or any(
            kw.arg is None for kw in self.call.keywords
        )

    def references(self) -> list[Reference]:
        """The references this call makes, resolved once per caller of its function."""
        contexts: list[dict[ast.arg, ast.expr | None] | None] = [None]
        per_caller = self.resolver.call_contexts(self.module, self.call)
        if 0 < len(per_caller) <= MAX_CONTEXTS:
            contexts = list(per_caller)
        refs: list[Reference] = []
        try:
            for env in contexts:
                self.resolver.env = env
                refs += self._references()
        finally:
            self.resolver.env = None
        resolved = [ref for ref in refs if ref.model is not None]
        return resolved or refs[:1]

    def _references(self) -> list[Reference]:
        signature = self.signature
        facts = self._facts()
        for name, skipped in signature.skip_if:
            if facts.extras.get(name) in skipped:
                return []
        model = _argument(self.call, signature.model_pos, signature.model_kw)
        if model is not None:
            values = self.resolver.values(self.module, model)
        elif self._dynamic_arguments():
            values = [Value(reason="the model is passed through *args or **kwargs")]
        else:
            default = signature.default(facts) if signature.default else None
            values = [Value(value=default, how="library-default")] if default else []
        refs = self._build(values, facts, with_file=True)
        for keyword in signature.also_model_kw:
            extra = _argument(self.call, None, (keyword,))
            if extra is not None:
                refs += self._build(
                    self.resolver.values(self.module, extra), facts, with_file=False
                )
        return refs

    def _build(self, values: list[Value], facts: CallFacts, with_file: bool) -> list[Reference]:
        signature = self.signature
        revisions: list[object] = self._first(None, signature.revision_kw) or [None]
        files: list[object] = [None]
        if with_file and (signature.file_pos is not None or signature.file_kw):
            files = self._first(signature.file_pos, signature.file_kw) or [None]
        subfolder = facts.extras.get("subfolder")
        refs: list[Reference] = []
        reasons: list[str] = []
        for value in values:
            if value.local or (
                value.reason is None and value.value is None and value.how == "literal"
            ):
                continue  # a path, or an explicit ``weights=None``: nothing is downloaded
            if value.reason is not None or value.value is None:
                reasons.append(value.reason or "the model is None here and chosen at run time")
                continue
            target = signature.transform(value.value, facts)
            if target is None and isinstance(value.value, Symbol):
                reasons.append(f"the value comes from {value.value.qualname} at run time")
            if target is None:
                continue
            for revision, file in itertools.product(revisions, files):
                path = f"{subfolder}/{file}" if file and isinstance(subfolder, str) else file
                library = signature.file_library if path and signature.file_library else None
                refs.append(
                    Reference(
                        file=self.module.relpath,
                        line=self.call.lineno,
                        hub=target.hub,
                        model=target.model,
                        revision=target.revision
                        or (revision if isinstance(revision, str) else None),
                        api=self.api,
                        how=value.how,
                        confidence="high" if value.how == "literal" else "medium",
                        library=target.library or library or signature.library,
                        files=target.files or ((path,) if isinstance(path, str) else ()),
                        group=value.group,
                    )
                )
        if refs or not reasons:
            return refs
        return [
            Reference(
                file=self.module.relpath,
                line=self.call.lineno,
                hub=signature.hub,
                model=None,
                api=self.api,
                how="unresolved",
                confidence="low",
                library=signature.library,
                reason=reasons[0],
            )
        ]
