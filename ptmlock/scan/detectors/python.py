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
import fnmatch
import itertools
import logging
import re
from dataclasses import dataclass

from ptmlock.models import Reference
from ptmlock.scan.detectors.interface import Detector, ProjectContext
from ptmlock.scan.python.pyindex import ModuleIndex, Project
from ptmlock.scan.python.values import Resolver, Symbol, Value
from ptmlock.scan.signatures import ROOT_MODULES, SIGNATURES, Signature, match_signature
from ptmlock.scan.transforms import CallFacts, Target

__all__ = ["PythonDetector", "analyze_source"]

logger = logging.getLogger(__name__)

MAX_CONTEXTS = 32  # callers of a loader's function resolved one by one (beyond: all at once)


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
    aliases = _aliases(module.tree)
    for call in module.calls:
        if not _could_be_loader(call.func, module, aliases):
            continue
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


def _last_name_pattern() -> re.Pattern[str]:
    """The last segment of every signature (``from_pretrained``, ``create_model*``, ...)."""
    globs = {sig.pattern.rsplit(".", 1)[-1] for sig in SIGNATURES}
    globs.discard("**")  # "torchvision.models.**": reached through an import, checked apart
    return re.compile("|".join(fnmatch.translate(glob) for glob in sorted(globs)))


_LOADER_NAME = _last_name_pattern()


def _could_be_loader(func: ast.expr, module: ModuleIndex, aliases: frozenset[str]) -> bool:
    """Cheap test before resolving a callee, which can cost thousands of steps on large
    classes: a loader call ends in a loader's name, or starts from an import, a local class
    (a loader subclass) or a name assigned from another (``pipe = pipeline``), or is a bare
    name a star import may have brought. ``self.construct_object(...)`` is none of these."""
    last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if last is None:
        return True  # ``MODELS[k](...)``, ``make()(...)``: let the resolver decide
    if _LOADER_NAME.match(last) or last in aliases:
        return True
    if isinstance(func, ast.Name) and module.star_imports:
        return True  # ``from x import *`` may have brought in a loader function or class
    root = func
    while isinstance(root, ast.Attribute):
        root = root.value
    if not isinstance(root, ast.Name):
        return True
    return root.id in module.imports or root.id in module.classes or root.id in aliases


def _aliases(tree: ast.AST) -> frozenset[str]:
    """Names and attributes assigned from a plain name or attribute (``pipe = pipeline``,
    ``self.loader = AutoModel``): calls through them are resolved too."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(
            node.value, ast.Name | ast.Attribute
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    names.add(target.id)
                elif isinstance(target, ast.Attribute):
                    names.add(target.attr)
    return frozenset(names)


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
        """References for each value the model argument takes (revision x file); when none
        resolves, one unresolved reference saying why."""
        revisions: list[object] = self._first(None, self.signature.revision_kw) or [None]
        paths = self._file_paths(facts) if with_file else [None]
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
            target = self.signature.transform(value.value, facts)
            if target is None and isinstance(value.value, Symbol):
                reasons.append(f"the value comes from {value.value.qualname} at run time")
            if target is None:
                continue
            refs += [
                self._reference(value, target, revision, path)
                for revision, path in itertools.product(revisions, paths)
            ]
        if refs or not reasons:
            return refs
        return [self._unresolved(reasons[0])]

    def _file_paths(self, facts: CallFacts) -> list[object]:
        """The file arguments' values, inside ``subfolder=`` when one is given."""
        signature = self.signature
        files: list[object] = [None]
        if signature.file_pos is not None or signature.file_kw:
            files = self._first(signature.file_pos, signature.file_kw) or [None]
        subfolder = facts.extras.get("subfolder")
        return [
            f"{subfolder}/{file}" if file and isinstance(subfolder, str) else file for file in files
        ]

    def _reference(self, value: Value, target: Target, revision: object, path: object) -> Reference:
        signature = self.signature
        library = signature.file_library if path and signature.file_library else None
        return Reference(
            file=self.module.relpath,
            line=self.call.lineno,
            hub=target.hub,
            model=target.model,
            revision=target.revision or (revision if isinstance(revision, str) else None),
            api=self.api,
            how=value.how,
            confidence="high" if value.how == "literal" else "medium",
            library=target.library or library or signature.library,
            files=target.files or ((path,) if isinstance(path, str) else ()),
            group=value.group,
        )

    def _unresolved(self, reason: str) -> Reference:
        return Reference(
            file=self.module.relpath,
            line=self.call.lineno,
            hub=self.signature.hub,
            model=None,
            api=self.api,
            how="unresolved",
            confidence="low",
            library=self.signature.library,
            reason=reason,
        )
