"""The project's Python modules as phase 2 sees them: names, scopes, imports, and who calls what.

``PythonProject`` holds every module's small index (which names it calls, its imports and class
bases) and loads a module's full ``Summary`` only when the walk needs it. ``Module`` answers
Python's scoping questions over a summary: which bindings a name used on a line can see, and
what an import names.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ptmlock.scan.python.ir import Scope, Summary, last_name

__all__ = [
    "Index", "Module", "PythonProject", "Reads", "Resident", "Tracker", "index_of", "module_names",
    "reaching",
]  # fmt: skip

Binding = tuple[Any, ...]  # (kind, line, value, path, unconditional)


@dataclass(frozen=True, slots=True)
class Index:
    """What the linker knows of a module without loading its summary."""

    called: tuple[str, ...]  # last names of the calls it makes
    imports: dict[str, tuple[int, str, str | None]]
    classes: tuple[tuple[int, str, tuple[str, ...]], ...]  # (scope, name, base texts)
    urls: tuple[tuple[int, str, bool], ...] = ()  # URLs written in it (line, URL, in a table)
    strings: tuple[tuple[int, str, int], ...] = ()  # ``org/name`` strings (line, text, table)
    comment_urls: tuple[tuple[int, str], ...] = ()  # URLs in comments (line, URL)

    def dump(self) -> tuple[Any, ...]:
        return (self.called, self.imports, self.classes, self.urls, self.strings,
                self.comment_urls)  # fmt: skip

    @classmethod
    def load(cls, data: tuple[Any, ...]) -> Index:
        called, imports, classes, urls, strings, comments = data
        return cls(
            tuple(called),
            {k: (v[0], v[1], v[2]) for k, v in imports.items()},
            tuple((c[0], c[1], tuple(c[2])) for c in classes),
            tuple(tuple(u) for u in urls),
            tuple(tuple(t) for t in strings),
            tuple(tuple(c) for c in comments),
        )


def index_of(summary: Summary) -> Index:
    classes = tuple(
        (number, scope["name"], tuple(_text(base) for base in scope["bases"]))
        for number, scope in enumerate(summary.scopes)
        if scope["kind"] == "class"
    )
    return Index(
        tuple(summary.called), dict(summary.imports), classes,
        tuple(summary.urls), tuple(summary.strings), tuple(summary.comment_urls),
    )  # fmt: skip


def _text(expr: Any) -> str:
    """``a.b.C`` for a name or attribute chain, "" for anything else."""
    if expr[0] == "n":
        return str(expr[2])
    if expr[0] == "a":
        base = _text(expr[2])
        return f"{base}.{expr[3]}" if base else ""
    return ""


def reaching(bindings: list[Binding], line: int) -> list[Binding]:
    """Bindings that can reach a use on ``line`` in the same scope: those written before it,
    from the last unconditional assignment on (earlier ones are overwritten)."""
    ordered = sorted(bindings, key=lambda b: b[1])
    before = [b for b in ordered if b[1] < line]
    if not before:
        return ordered
    start = max((i for i, b in enumerate(before) if b[4] and b[0] != "param"), default=0)
    return before[start:]


@dataclass(slots=True)
class Reads:
    """What one piece of linking read: modules' summaries, the names whose callers (``call:``)
    or subclasses (``base:``) it searched the project for, and the notes it made."""

    modules: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    notes: set[tuple[str, str]] = field(default_factory=set)

    def add(self, other: Reads) -> None:
        self.modules |= other.modules
        self.names |= other.names
        self.notes |= other.notes


class Tracker:
    """Records what the linking of each module reads, so its result can be kept until one of
    those inputs changes (nested: a memoized search's reads are added wherever it is reused)."""

    __slots__ = ("_stack", "modules_now")

    def __init__(self) -> None:
        self._stack: list[Reads] = []
        # the innermost recording's module set, None when nothing records (read on every
        # summary access: millions of times in a large project)
        self.modules_now: set[str] | None = None

    def begin(self) -> None:
        self._stack.append(Reads())
        self.modules_now = self._stack[-1].modules

    def end(self) -> Reads:
        reads = self._stack.pop()
        if self._stack:
            self._stack[-1].add(reads)
        self.modules_now = self._stack[-1].modules if self._stack else None
        return reads

    def add(self, reads: Reads) -> None:
        if self._stack:
            self._stack[-1].add(reads)

    def name(self, name: str) -> None:
        if self._stack:
            self._stack[-1].names.add(name)

    def note(self, kind: str, name: str) -> None:
        if self._stack:
            self._stack[-1].notes.add((kind, name))


# marshalled bytes of the summaries kept loaded at once (about six times that as objects; on the
# transformers tree, 30 MB keeps a scan under 300 MB at the cost of reloading some, see bench/)
RESIDENT_BYTES = 30_000_000


class Resident:
    """The loaded summaries, least recently used first: past ``budget`` marshalled bytes the
    oldest is dropped, and loaded again if a walk comes back to it. The walks of a large
    project pass through most of its modules; kept all at once, their summaries were most of
    the scan's memory."""

    __slots__ = ("_loaded", "_total", "budget")

    def __init__(self, budget: int | None = None) -> None:
        self._loaded: OrderedDict[Module, int] = OrderedDict()
        self._total = 0
        self.budget = RESIDENT_BYTES if budget is None else budget

    def admit(self, module: Module, size: int) -> None:
        self._loaded[module] = size
        self._total += size
        while self._total > self.budget and len(self._loaded) > 1:
            oldest, freed = self._loaded.popitem(last=False)
            self._total -= freed
            oldest.unload()

    def touch(self, module: Module) -> None:
        self._loaded.move_to_end(module)

    def release(self) -> None:
        """Unload every summary: each module refers to this set and it to them, so without
        this the whole project would wait for the cycle collector to be freed."""
        for module in self._loaded:
            module.unload()
        self._loaded.clear()
        self._total = 0


@dataclass(eq=False, slots=True)
class Module:
    """One module of the project: its path, dotted name and (loaded on first use) summary."""

    relpath: str
    modname: str
    index: Index
    _load: Callable[[str], Summary | None]
    _tracker: Tracker | None = None
    _resident: Resident | None = None
    _summary: Summary | None = None
    _loaded: bool = False
    _calls_by_name: dict[str, list[Any]] | None = None

    @property
    def summary(self) -> Summary:
        if self._tracker is not None and (now := self._tracker.modules_now) is not None:
            now.add(self.relpath)
        if not self._loaded:
            self._summary, self._loaded = self._load(self.relpath), True
            if self._resident is not None and self._summary is not None:
                self._resident.admit(self, self._summary.size)
        elif self._resident is not None and self._summary is not None:
            self._resident.touch(self)
        return self._summary if self._summary is not None else _EMPTY

    def unload(self) -> None:
        """Drop the loaded summary (``Resident``); the next use loads it again."""
        self._summary, self._loaded, self._calls_by_name = None, False, None

    def calls_named(self, name: str) -> list[Any]:
        """The module's calls (scope, call, guards) whose last name is ``name`` (the search
        for a function's callers asks this of every module calling that name)."""
        calls = self.summary.calls  # read through ``summary``: the linking's reads see it
        if self._calls_by_name is None:
            by_name: dict[str, list[Any]] = {}
            for entry in calls:
                by_name.setdefault(last_name(entry[1][2]) or "", []).append(entry)
            self._calls_by_name = by_name
        return self._calls_by_name.get(name, [])

    @property
    def package(self) -> str:
        if self.relpath.endswith("__init__.py"):
            return self.modname
        return self.modname.rpartition(".")[0]

    def scope(self, number: int) -> Scope:
        return self.summary.scopes[number]

    def lookup(self, scope: int, name: str, line: int) -> tuple[int, list[Binding]] | None:
        """The scope that binds ``name`` as seen from ``scope`` (Python's LEGB rule, without
        builtins) and the bindings that reach ``line``; None when only an import can."""
        scopes = self.summary.scopes
        current: int | None = scope
        innermost = True
        while current is not None and current < len(scopes):
            table = scopes[current]
            if innermost or table["kind"] != "class":
                found = table["bind"].get(name)
                if found:
                    return current, reaching(found, line) if innermost else list(found)
            current, innermost = table["parent"], False
        return None

    def absolute(self, level: int, module: str, name: str | None) -> str:
        """The dotted name an import statement means (relative imports resolved)."""
        base = module
        if level:
            parts = self.package.split(".") if self.package else []
            parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
            base = ".".join([*parts, *([module] if module else [])])
        return f"{base}.{name}".lstrip(".") if name else base

    def imported(self, name: str) -> str | None:
        """The dotted name a local name is imported as, if it is (from the index, which holds
        the summary's imports: asking loads no summary, and still counts as reading it)."""
        if self._tracker is not None and (now := self._tracker.modules_now) is not None:
            now.add(self.relpath)
        spec = self.index.imports.get(name)
        return self.absolute(*spec) if spec is not None else None

    def enclosing_class(self, scope: int) -> int | None:
        """The class whose method (or nested function) ``scope`` is."""
        scopes = self.summary.scopes
        current = scopes[scope]["parent"] if scope < len(scopes) else None
        while current is not None:
            if scopes[current]["kind"] == "class":
                return int(current)
            current = scopes[current]["parent"]
        return None

    def function_of(self, scope: int) -> int | None:
        """``scope`` itself when it is a function or lambda, else None."""
        kind = self.summary.scopes[scope]["kind"] if scope < len(self.summary.scopes) else ""
        return scope if kind in ("function", "lambda") else None

    def qualname(self, scope: int) -> str:
        """``Class.method`` style name of a scope, for messages and hops."""
        names: list[str] = []
        current: int | None = scope
        scopes = self.summary.scopes
        while current is not None and scopes[current]["kind"] != "module":
            names.append(scopes[current]["name"])
            current = scopes[current]["parent"]
        return ".".join(reversed(names)) or self.modname


_EMPTY = Summary(scopes=[{"kind": "module", "name": "", "parent": None, "line": 1, "bind": {},
                          "params": [], "returns": [], "bases": [], "decorators": [],
                          "selfattrs": {}}])  # fmt: skip


@dataclass(slots=True)
class PythonProject:
    """Every Python module of the scanned project, by dotted name and by path."""

    modules: dict[str, Module] = field(default_factory=dict)  # relpath -> module
    by_name: dict[str, Module] = field(default_factory=dict)  # dotted name -> module
    _callers: dict[str, list[Module]] = field(default_factory=lambda: defaultdict(list))
    _subclasses: dict[str, list[tuple[Module, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    tracker: Tracker = field(default_factory=Tracker)
    resident: Resident = field(default_factory=Resident)

    @classmethod
    def build(
        cls,
        entries: Iterable[tuple[str, Index]],
        load: Callable[[str], Summary | None],
        importable: Iterable[str] = (),
    ) -> PythonProject:
        """``entries`` are (relpath, index); ``importable`` the .py paths (for module names)."""
        entries = list(entries)
        names = module_names(importable or [r for r, _ in entries if r.endswith(".py")])
        project = cls()
        for relpath, index in sorted(entries, key=lambda e: (e[0].count("/"), e[0])):
            primary, full = names.get(relpath, (relpath, relpath))
            module = Module(relpath, primary, index, load, project.tracker, project.resident)
            project.modules[relpath] = module
            if relpath in names:
                project.by_name.setdefault(primary, module)
                project.by_name.setdefault(full, module)
            for name in index.called:
                project._callers[name].append(module)
            for scope, _name, bases in index.classes:
                for base in bases:
                    project._subclasses[base.rpartition(".")[2]].append((module, scope))
        return project

    def module(self, modname: str) -> Module | None:
        return self.by_name.get(modname)

    def split(self, dotted: str) -> tuple[Module, list[str]] | None:
        """The longest project-module prefix of ``dotted`` and the attribute path after it."""
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.by_name.get(".".join(parts[:cut]))
            if module is not None:
                return module, parts[cut:]
        return None

    def calling(self, name: str) -> list[Module]:
        """Modules with a call whose last name is ``name``."""
        self.tracker.name(f"call:{name}")
        return self._callers.get(name, [])

    def subclass_candidates(self, class_name: str) -> list[tuple[Module, int]]:
        """Classes anywhere in the project that name a base ending in ``class_name``."""
        self.tracker.name(f"base:{class_name}")
        return self._subclasses.get(class_name, [])


def module_names(python_files: Iterable[str]) -> dict[str, tuple[str, str]]:
    """relpath -> (the dotted name Python imports it as, its whole path as a dotted name).

    The first is the path below the nearest folder that is not a package (no ``__init__.py``),
    as for ``src/pkg/mod.py`` -> ``pkg.mod``; scripts run from the root import by the second.
    """
    files = list(python_files)
    packages = {r.rpartition("/")[0] for r in files if r.endswith("__init__.py")}
    names: dict[str, tuple[str, str]] = {}
    for relpath in files:
        parts = relpath[:-3].split("/")
        if parts[-1] == "__init__":
            parts.pop()
        if not parts:
            continue
        start = len(parts) - 1
        while start > 0 and "/".join(parts[:start]) in packages:
            start -= 1
        names[relpath] = (".".join(parts[start:]), ".".join(parts))
    return names
