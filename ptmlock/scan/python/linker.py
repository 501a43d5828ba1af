"""Phase 2 for Python: every loader call in the project, its model followed to where it is named.

For each call whose callee resolves to a row of ``signatures.SIGNATURES`` (through imports,
aliases and project subclasses of loader classes), the model, revision and file arguments are
followed by ``walk.Walker`` across the whole project: into other modules, through the callers of
the functions they sit in (so a project's own download wrapper makes each of its callers'
literals a reference), constructors, base and subclasses, and returns. A reference is placed
where its model is written, with the hops to the loading call in ``Reference.chain``. A loader
call whose model can't be known statically is reported unresolved where the value is lost.
URLs of checkpoints written anywhere in the code are references on their face.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property

from ptmlock.lockfile import safe_relpath
from ptmlock.models import Reference
from ptmlock.named import named_download
from ptmlock.scan.python.ir import Expr, last_name, root_of
from ptmlock.scan.python.project import Module, PythonProject, Reads
from ptmlock.scan.python.values import Ctx, Symbol, Value
from ptmlock.scan.python.walk import Walker
from ptmlock.scan.signatures import (
    GENERIC_NAMES,
    GENERIC_ROOTS,
    LOADER_NAME,
    ROOT_MODULES,
    Signature,
    match_signature,
)
from ptmlock.scan.transforms import CallFacts, Target, is_bare_name
from ptmlock.scan.urls import model_url

__all__ = ["Linked", "link_python"]

MAX_PAIRED_CALLERS = 32  # callers of a loader's function resolved one by one (beyond: merged)
logger = logging.getLogger(__name__)

# calls whose first argument (or ``output_dir=``) names a folder the program writes or opens
_PATH_SINKS = frozenset({
    "save_pretrained", "save_model", "save", "makedirs", "mkdir", "join",
    "open", "Path", "TrainingArguments", "Seq2SeqTrainingArguments", "exists", "isdir",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Linked:
    """What phase 2 found in the Python code, and what it passed through on the way."""

    references: tuple[Reference, ...]
    env: frozenset[str]  # environment variables whose value reaches a loader
    options: frozenset[str]  # command-line flags whose value reaches a loader
    models: frozenset[str]  # every model id the code resolves
    # (flag, loader qualname) for each option whose default or choice a loader resolved: what
    # a command line's ``--model large-v2`` means is that loader's name for it
    loaders: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class ModuleLink:
    """One module's loader calls, linked: the references and notes they gave, and what the
    linking read (each module with its content key, and the names it searched callers or
    subclasses of), so a later scan can keep them while none of that changed."""

    references: tuple[Reference, ...]
    reads: tuple[tuple[str, str], ...]  # (relpath, content key)
    names: frozenset[str]
    notes: frozenset[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Links:
    """Every module's ``ModuleLink``; each Python file's content key and the names a search
    finds it by (``_searched``) when they were made; and the project-wide facts they all
    assumed: the set of modules (their names), the project's folders, the loader classes."""

    context: str
    modules: Mapping[str, ModuleLink]
    files: Mapping[str, tuple[str, frozenset[str]]]


def link_python(
    project: PythonProject,
    directories: frozenset[str],
    keys: Mapping[str, str] | None = None,
    previous: Links | None = None,
) -> tuple[Linked, Links]:
    """Every reference the project's Python code (modules, notebooks, doc snippets) makes, and
    the ``Links`` it came from. ``keys`` are the files' content keys; ``previous`` the links of
    an earlier scan, each module's kept where nothing it read has changed."""
    keys = keys or {}
    linker = _Linker(project, directories)
    context = hashlib.sha256(
        "\n".join(
            [*sorted(project.modules), "", *sorted(directories), "", *sorted(linker.loader_classes)]
        ).encode()
    ).hexdigest()
    files = {
        relpath: (keys.get(relpath, ""), frozenset(_searched(module)))
        for relpath, module in project.modules.items()
    }
    if previous is None or previous.context != context or not keys:
        links = linker.link_modules(keys, {}, set())
    else:
        # names a changed file can now be found by, that it could not before: a search for
        # them may find it now (one that found it before read it, and is relinked anyway)
        fresh = {
            name
            for relpath, (key, names) in files.items()
            if previous.files.get(relpath, ("", frozenset()))[0] != key
            for name in names - previous.files.get(relpath, ("", frozenset()))[1]
        }
        links = linker.link_modules(keys, previous.modules, fresh)
    refs = linker.finish([r for link in links.values() for r in link.references])
    notes: dict[str, set[str]] = defaultdict(set)
    for kind, name in (n for link in links.values() for n in link.notes):
        notes[kind].add(name)
    for kind, names in linker.walker.notes.items():
        notes[kind] |= names
    linked = Linked(
        references=tuple(refs),
        env=frozenset(notes.get("env", ())),
        options=frozenset(notes.get("option", ())),
        loaders=frozenset(
            (flag, loader)
            for flag, _, loader in (n.partition("\t") for n in notes.get("option-loader", ()))
            if loader
        ),
        models=frozenset(r.model for r in refs if r.model),
    )
    return linked, Links(context, links, files)


def _searched(module: Module) -> set[str]:
    """The names a search for callers or subclasses finds ``module`` by."""
    names = {f"call:{name}" for name in module.index.called}
    names |= {f"base:{b.rpartition('.')[2]}" for _, _, bases in module.index.classes for b in bases}
    return names


class _Linker:
    def __init__(self, project: PythonProject, directories: frozenset[str]) -> None:
        self.project = project
        self.directories = directories
        self.walker = Walker(project)
        self._paths: dict[str, tuple[frozenset[str], Reads]] = {}

    @cached_property
    def loader_classes(self) -> frozenset[str]:
        """Project classes that derive from a loader class (``class M(WhisperModel)``)."""
        names: set[str] = set()
        for module in self.project.modules.values():
            for _, name, bases in module.index.classes:
                for base in bases:
                    root, _, rest = base.partition(".")
                    dotted = module.imported(root) if root else None
                    qualname = f"{dotted}.{rest}".rstrip(".") if dotted else base
                    if _is_loader_class(qualname):
                        names.add(name)
        return frozenset(names)

    def _candidate_module(self, module: Module) -> bool:
        called = module.index.called
        if any(LOADER_NAME.match(name) for name in called):
            return True
        if self.loader_classes.intersection(called):
            return True
        roots = {spec[1].split(".", 1)[0] for spec in module.index.imports.values() if spec[1]}
        if roots & GENERIC_ROOTS and GENERIC_NAMES.intersection(called):
            return True
        return bool(roots & ROOT_MODULES)

    def _candidate_call(self, module: Module, scope: int, func: Expr) -> bool:
        """Cheap test before resolving a callee: a loader's name, a loader subclass, a name from
        a loader library's import, or a name assigned from another (``pipe = pipeline``)."""
        last = last_name(func)
        if last is None:
            return True
        if LOADER_NAME.match(last) or last in self.loader_classes:
            return True
        root = root_of(func)
        if root[0] != "n":
            return True
        dotted = module.imported(root[2])
        if dotted is not None:
            top = dotted.split(".", 1)[0]
            return top in ROOT_MODULES or (top in GENERIC_ROOTS and last in GENERIC_NAMES)
        found = module.lookup(root[3], root[2], root[1])
        return found is not None and any(
            b[0] == "assign" and b[2] is not None and b[2][0] in ("n", "a") for b in found[1]
        )

    def link_modules(
        self, keys: Mapping[str, str], previous: Mapping[str, ModuleLink], fresh: set[str]
    ) -> dict[str, ModuleLink]:
        """Each module's loader calls, linked, or kept from ``previous`` when every file its
        linking read is unchanged and none of the names it searched is in ``fresh``."""
        links: dict[str, ModuleLink] = {}
        relinked: list[str] = []
        tracker = self.project.tracker
        for module in self.project.modules.values():
            if not self._candidate_module(module):
                continue
            kept = previous.get(module.relpath)
            if (
                kept is not None
                and not kept.names & fresh
                and all(keys.get(r) == key for r, key in kept.reads)
            ):
                links[module.relpath] = kept
                continue
            tracker.begin()
            try:
                found = self._module_references(module)
            finally:
                reads = tracker.end()
            reads.modules.add(module.relpath)
            links[module.relpath] = ModuleLink(
                references=tuple(found),
                reads=tuple(sorted((r, keys.get(r, "")) for r in reads.modules)),
                names=frozenset(reads.names),
                notes=frozenset(reads.notes),
            )
            relinked.append(module.relpath)
        logger.debug("linked %s; kept %d module(s)", relinked, len(links) - len(relinked))
        return links

    def _module_references(self, module: Module) -> list[Reference]:
        found: list[Reference] = []
        for scope, call, guards in module.summary.calls:
            if not self._candidate_call(module, scope, call[2]):
                continue
            matched: Signature | None = None
            for qualname in self.walker.callees(module, call[2]):
                signature = match_signature(qualname)
                if signature is None:
                    continue
                if matched is not None and not (
                    signature is matched and _named_by_callee(signature)
                ):
                    continue
                # the first loader the callee can be; more only when the callee's own
                # name is the model (``pipelines.__dict__[name].get_model()``)
                matched = signature
                site = _Site(self, module, scope, call, guards, qualname, signature)
                found += site.references()
        return [ref for ref in found if not self._local_path(ref)]

    def finish(self, found: list[Reference]) -> list[Reference]:
        """The project-wide step: URLs written in code that no loader call reached."""
        found += self._urls(found)
        return _unique(found)

    def _local_path(self, ref: Reference) -> bool:
        """``save_pretrained(OUT)`` then ``from_pretrained(OUT)`` reloads the program's own
        output: a Hub-shaped string its module (or the loader's) also writes to is a path."""
        if ref.hub != "huggingface" or ref.model is None:
            return False
        loader_file = ref.chain[-1].split(":", 1)[0] if ref.chain else ref.file
        return any(ref.model in self._path_strings(relpath) for relpath in {ref.file, loader_file})

    def _path_strings(self, relpath: str) -> frozenset[str]:
        """The strings ``relpath`` writes to or opens as paths (computed once; what computing
        them read is added to the reads of every module linking that uses them)."""
        tracker = self.project.tracker
        cached = self._paths.get(relpath)
        if cached is not None:
            tracker.add(cached[1])
            return cached[0]
        tracker.begin()
        try:
            strings = self._written_paths(relpath)
        finally:
            reads = tracker.end()
        self._paths[relpath] = (strings, reads)
        return strings

    def _written_paths(self, relpath: str) -> frozenset[str]:
        module = self.project.modules.get(relpath)
        strings: set[str] = set()
        for _scope, call, _guards in module.summary.calls if module else ():
            args = [value for name, value in call[4] if name == "output_dir"]
            if last_name(call[2]) in _PATH_SINKS and call[3]:
                args.append(call[3][0])
            for arg in args:
                values = self.walker.values(module, arg) if module else []
                strings.update(v.value for v in values if isinstance(v.value, str))
        return frozenset(strings)

    def _urls(self, found: list[Reference]) -> list[Reference]:
        """Checkpoint URLs written in the code outside tables, that no loader call reached."""
        reached = {(r.file, r.line) for r in found}
        out: list[Reference] = []
        for module in self.project.modules.values():
            for line, url, in_table in module.index.urls:
                target = model_url(url)
                if target is None or (module.relpath, line) in reached or in_table:
                    continue
                out.append(_url_reference(module.relpath, line, url, "literal", "medium"))
            for line, url in module.index.comment_urls:
                target = model_url(url)
                if target is not None and (target.hub == "url" or target.files):
                    out.append(_url_reference(module.relpath, line, url, "doc", "low"))
        return out


def _url_reference(relpath: str, line: int, url: str, how: str, confidence: str) -> Reference:
    target = model_url(url)
    assert target is not None
    library = "file" if target.files else ("url" if target.hub == "url" else "snapshot")
    return Reference(
        file=relpath, line=line, hub=target.hub, model=target.model,  # type: ignore[arg-type]
        revision=target.revision, api="url" if how != "doc" else "comment", how=how,
        confidence=confidence, library=library, files=target.files,  # type: ignore[arg-type]
    )  # fmt: skip


def _folder(facts: CallFacts, signature: Signature) -> str | None:
    """The folder a download call names, as a path relative to where the program runs
    (``weights/facelib`` for ``"./weights/facelib/"``); None when it names none, or an absolute
    or computed one."""
    value = facts.extras.get(signature.folder) if signature.folder else None
    if not isinstance(value, str) or value.strip().startswith(("/", "~", "\\")):
        return None
    folder = value.strip().rstrip("/")
    while folder.startswith("./"):
        folder = folder[2:]
    return folder if safe_relpath(folder) else None


def _named_by_callee(signature: Signature) -> bool:
    """Whether the model is the callee's name, not an argument (torchaudio's bundles)."""
    return signature.model_pos is None and not signature.model_kw


def _is_loader_class(qualname: str) -> bool:
    return match_signature(qualname) is not None or any(
        match_signature(f"{qualname}.{method}") is not None
        for method in ("from_pretrained", "load")
    )


def _unique(refs: Iterable[Reference]) -> list[Reference]:
    unique: dict[tuple[object, ...], Reference] = {}
    for ref in refs:
        key = (ref.file, ref.line, ref.hub, ref.model, ref.revision, ref.files, ref.reason, ref.api)
        unique.setdefault(key, ref)
    return list(unique.values())


def _argument(call: Expr, position: int | None, keywords: tuple[str, ...]) -> Expr | None:
    kwargs: tuple[tuple[str | None, Expr], ...] = call[4]
    for name, value in kwargs:
        if name in keywords:
            return value
    args: tuple[Expr, ...] = call[3]
    if position is None or position >= len(args):
        return None
    if any(a[0] == "*" for a in args[: position + 1]):
        return None
    return args[position]


@dataclass(slots=True)
class _Site:
    """One loader call and the references it makes."""

    linker: _Linker
    module: Module
    scope: int
    call: Expr
    guards: tuple[Expr, ...]
    qualname: str
    signature: Signature

    @property
    def api(self) -> str:
        return self.qualname.replace("()", "")

    @property
    def walker(self) -> Walker:
        return self.linker.walker

    def _values(self, expr: Expr, ctx: Ctx) -> list[Value]:
        return self.walker.values(self.module, expr, ctx)

    def _first(self, position: int | None, keywords: tuple[str, ...], ctx: Ctx) -> list[object]:
        """The resolved values of an argument (empty when absent or unknown)."""
        expr = _argument(self.call, position, keywords)
        if expr is None:
            return []
        return [v.value for v in self._values(expr, ctx) if v.reason is None and not v.local]

    def _facts(self, ctx: Ctx) -> CallFacts:
        extras: dict[str, object] = {}
        for name, position in self.signature.extras:
            values = self._first(position, (name,), ctx)
            if values:
                extras[name] = values[0]
        return CallFacts(qualname=self.api, extras=extras, directories=self.linker.directories)

    def _dead(self) -> bool:
        """``if pretrained: load(...)`` where every value ``pretrained`` can take is falsy."""
        for guard in self.guards:
            values = self._values(guard, Ctx())
            if values and all(v.reason is None and not v.local and not v.value for v in values):
                return True
        return False

    def _contexts(self) -> list[Ctx]:
        """One context per caller of the function around the call when its revision or file
        may come from the caller too (so ``load("a", revision="x")`` and ``load("b")`` do not
        give ``a@main``), plus the function called from outside; else one for all callers."""
        signature = self.signature
        paired = [
            _argument(self.call, None, signature.revision_kw),
            _argument(self.call, signature.file_pos, signature.file_kw),
        ]
        function = self.module.function_of(self.scope)
        if function is None or all(e is None or e[0] == "c" for e in paired):
            return [Ctx()]
        callers = self.walker.callers(self.module, function)
        if not callers or len(callers) > MAX_PAIRED_CALLERS:
            return [Ctx()]
        frames = [(module, call, Ctx(), bound) for module, call, _, bound in callers]
        contexts = [Ctx.inside(self.module, function, frame) for frame in frames]
        return [*contexts, Ctx.inside(self.module, function, (self.module, None, Ctx(), False))]

    def references(self) -> list[Reference]:
        if self._dead():
            return []
        contexts = self._contexts()
        refs: list[Reference] = []
        for ctx in contexts[:-1]:
            refs += self._references(ctx)
        last = self._references(contexts[-1])
        if len(contexts) > 1 and any(r.model for r in refs):
            last = [r for r in last if r.model]  # called from outside: only what is known
        return refs + last + self._implied()

    def _implied(self) -> list[Reference]:
        """What the loader itself downloads whatever it is given (``Signature.implies``)."""
        site = f"{self.module.relpath}:{self.call[1]}"
        out: list[Reference] = []
        for model, folder in self.signature.implies:
            download = named_download(model)
            out.append(Reference(
                file=self.module.relpath, line=self.call[1], hub="url", model=model,
                api=self.api, how="library-default", confidence="medium",
                library=download.library if download else "url",
                files=(download.file,) if download else (), folder=folder,
                chain=(f"{site} {self.api}() downloads it itself",),
            ))  # fmt: skip
        return out

    def _dynamic_arguments(self) -> bool:
        return any(a[0] == "*" for a in self.call[3]) or any(k is None for k, _ in self.call[4])

    def _references(self, ctx: Ctx) -> list[Reference]:
        signature = self.signature
        facts = self._facts(ctx)
        for name, skipped in signature.skip_if:
            if facts.extras.get(name) in skipped:
                return []
        model = _argument(self.call, signature.model_pos, signature.model_kw)
        if model is not None and signature.model_key is not None:
            model = ("s", model[1], model, ("c", model[1], signature.model_key))
        if model is not None:
            values = self._values(model, ctx)
        elif self._dynamic_arguments():
            values = [Value(reason="the model is passed through *args or **kwargs",
                            sites=((self.module.relpath, self.call[1]),))]  # fmt: skip
        else:
            default = signature.default(facts) if signature.default else None
            site = ((self.module.relpath, self.call[1]),)
            values = [Value(value=default, how="library-default", sites=site)] if default else []
        refs = self._build(values, facts, ctx, with_file=True)
        for keyword in signature.also_model_kw:
            extra = _argument(self.call, None, (keyword,))
            if extra is not None:
                refs += self._build(self._values(extra, ctx), facts, ctx, with_file=False)
        return refs

    def _build(
        self, values: list[Value], facts: CallFacts, ctx: Ctx, with_file: bool
    ) -> list[Reference]:
        """References for each value the model argument takes (revision x file); unresolved
        ones where a value is lost, unless the same caller's branch resolves."""
        folder = _folder(facts, self.signature)
        revisions: list[object] = self._first(None, self.signature.revision_kw, ctx) or [None]
        paths = self._file_paths(facts, ctx) if with_file else [None]
        refs: list[Reference] = []
        lost: list[Value] = []
        branches: set[tuple[str, int] | None] = set()
        for value in values:
            self._note_options(value)  # also when its default is None: a command line sets it
            if value.local or (
                value.reason is None and value.value is None and value.how == "literal"
            ):
                continue  # a path, or an explicit ``weights=None``: nothing is downloaded
            if value.reason is None and value.value is None:
                value = replace(value, reason="the model is None here and chosen at run time")
            if value.reason is not None:
                lost.append(value)
                continue
            target = self.signature.transform(value.value, facts)
            if target is not None and is_bare_name(target) and value.how != "literal":
                target = None  # ``name`` that travelled: a short key or a folder, not a repo
            if target is None and isinstance(value.value, Symbol):
                lost.append(replace(value, reason=f"the value comes from {value.value} "
                                                  "at run time"))  # fmt: skip
            if target is None:
                continue
            branches.add(_branch_of(value))
            for revision, path in itertools.product(revisions, paths):
                refs += self._placed(value, target, revision, path, folder)
        for value in lost:
            if _branch_of(value) in branches or (refs and _branch_of(value) is None):
                continue
            refs.append(self._unresolved(value))
        return refs

    def _file_paths(self, facts: CallFacts, ctx: Ctx) -> list[object]:
        """The file arguments' values, inside ``subfolder=`` when one is given."""
        signature = self.signature
        files: list[object] = [None]
        if signature.file_pos is not None or signature.file_kw:
            files = self._first(signature.file_pos, signature.file_kw, ctx) or [None]
        subfolder = facts.extras.get("subfolder")
        return [
            f"{subfolder}/{file}" if file and isinstance(subfolder, str) else file for file in files
        ]

    def _chain(self, value: Value) -> tuple[str, ...]:
        return (*(str(h) for h in value.hops), f"{self.module.relpath}:{self.call[1]} {self.api}()")

    def _note_options(self, value: Value) -> None:
        """Record the command-line options the value came through (``default of --model``)
        as reaching this loader (``Linked.loaders``)."""
        for hop in value.hops:
            flag = hop.what.removeprefix("default of ").removeprefix("a choice of ")
            if flag != hop.what and flag.startswith("-"):
                self.walker.note("option-loader", f"{flag}\t{self.qualname}")

    def _placed(
        self, value: Value, target: Target, revision: object, path: object, folder: str | None
    ) -> list[Reference]:
        """The reference where the value is written, and one where each selector key is."""
        signature = self.signature
        library = signature.file_library if path and signature.file_library else None
        sites = value.sites or ((self.module.relpath, self.call[1]),)
        chain = self._chain(value)
        base = Reference(
            file=sites[0][0],
            line=sites[0][1],
            hub=target.hub,
            model=target.model,
            revision=target.revision or (revision if isinstance(revision, str) else None),
            api=self.api,
            how=value.how,
            confidence="high" if value.how == "literal" else "medium",
            library=target.library or library or signature.library,
            files=target.files or ((path,) if isinstance(path, str) else ()),
            group=value.group,
            chain=chain,
            folder=folder if target.hub == "url" else None,
        )
        extra = [
            replace(base, file=f, line=n) for f, n in dict.fromkeys(sites[1:]) if f != base.file
        ]
        return [base, *extra]

    def _unresolved(self, value: Value) -> Reference:
        """Reported at the loading call, unless the value is lost where it enters the program
        in another file (an option or variable without a default, a value computed at run time
        there): then at the call in that file that hands it to the project's loading code."""
        file, line = self.module.relpath, self.call[1]
        origin = value.sites[0][0] if value.sites else file
        if origin != file and _entering(value.reason or ""):
            hops = [h for h in value.hops if h.file == origin and h.kind == "caller"]
            if hops:
                file, line = origin, hops[-1].line
        return Reference(
            file=file,
            line=line,
            hub=self.signature.hub,
            model=None,
            api=self.api,
            how="unresolved",
            confidence="low",
            library=self.signature.library,
            reason=value.reason,
            chain=self._chain(value),
        )


_ENTERING = ("command-line option", "environment variable", "computed at run time",
             "looked up in", "known only at run time")  # fmt: skip


def _entering(reason: str) -> bool:
    """Whether a reason says the value comes from outside the code (not from an object the
    project passes along)."""
    return reason.startswith(_ENTERING) and "the object holding" not in reason


def _branch_of(value: Value) -> tuple[str, int] | None:
    """The caller a value came through (the call of the loader's function), if any."""
    callers = [h for h in value.hops if h.kind == "caller"]
    return (callers[-1].file, callers[-1].line) if callers else None
