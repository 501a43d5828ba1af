"""``scan(root)``: every model reference in a project, from every kind of file.

The pipeline: walk the tree (skipping what is not the project's own code, see
``ptmlock.scan.walk``), build the ``ProjectContext``, drop files that contain none of their
detectors' cheap marker bytes, look the rest up in the cache (``ptmlock.scan.cache``, which says
what a key covers), run the detectors on the misses (in a process pool when there are many), then
apply ``[tool.ptmlock]`` (ignore, declared models), label families and sort.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from ptmlock.models import Reference, ScanResult, Skipped
from ptmlock.project_config import PYPROJECT, ProjectConfig, load_config
from ptmlock.scan.cache import (
    PYTHONISH,
    Facts,
    ScanCache,
    cache_fingerprint,
    directory_digest,
    import_names,
    result_key,
)
from ptmlock.scan.detectors.interface import Detector, ProjectContext
from ptmlock.scan.detectors.registry import default_detectors
from ptmlock.scan.families import family_of
from ptmlock.scan.walk import walk_project

__all__ = ["default_cache_dir", "scan", "walk_project"]

logger = logging.getLogger(__name__)

POOL_THRESHOLD = 48  # below this many files to parse, a process pool costs more than it saves
MAX_BYTES = {".ipynb": 32 << 20}
DEFAULT_MAX_BYTES = 4 << 20
# the Python detector's own pre-check, when its signature table can't be imported
_PYTHON_FALLBACK = ("from_pretrained", "import *", "transformers", "diffusers", "torch", "timm",
                    "huggingface_hub", "sentence_transformers", "open_clip", "clip", "whisper",
                    "spacy", "ultralytics", "onnx", "llama_cpp", "peft", "gguf")  # fmt: skip


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/ptmlock/scan``, else ``~/.cache/ptmlock/scan``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ptmlock" / "scan"


def scan(
    root: Path,
    *,
    config: ProjectConfig | None = None,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    cache: bool = True,
    detectors: Sequence[Detector] | None = None,
) -> ScanResult:
    """Every model reference under ``root``, sorted by file, line and model.

    ``jobs`` caps the worker processes (1 = in-process); ``cache=False`` neither reads nor writes
    the cache. ``config`` defaults to ``[tool.ptmlock]`` in ``root/pyproject.toml``.
    """
    root = root.resolve()
    config = config if config is not None else load_config(root)
    detectors = list(detectors) if detectors is not None else default_detectors()
    tree = walk_project(root, config.exclude, [d.handles for d in detectors])
    context = _context(root, tree.files, tree.directories)
    fingerprint = cache_fingerprint(detectors)
    store = ScanCache(cache_dir or default_cache_dir(), root, fingerprint, enabled=cache)
    plan = _Plan(root, context, detectors, store)
    for relpath in tree.files:
        plan.add(relpath)
    results = plan.run(jobs)
    store.save()
    references = _finish(results, config, root)
    logger.info("scanned %d files: %d references", len(plan.facts), len(references))
    return ScanResult(
        references=references,
        skipped=tuple(tree.skipped) + tuple(plan.skipped),
        files_scanned=len(plan.facts),
    )


def _context(root: Path, files: Iterable[str], directories: Iterable[str]) -> ProjectContext:
    """The module map: each .py file by its path from the root, then by the name Python
    imports it as (registered last, so it is the file's own name for relative imports)."""
    python = [relpath for relpath in files if relpath.endswith(".py")]
    packages = {relpath.rpartition("/")[0] for relpath in python if relpath.endswith("__init__.py")}
    modules: dict[str, str] = {}
    for relpath in python:
        parts = relpath[:-3].split("/")
        if parts[-1] == "__init__":
            parts.pop()
        if parts:
            modules.setdefault(".".join(parts), relpath)
    for relpath in python:
        name = _import_name(relpath, packages)
        if name and modules.get(name, relpath) == relpath:
            modules.pop(name, None)
            modules[name] = relpath
    shallow = frozenset(d for d in directories if d.count("/") <= 1)  # see ProjectContext
    return ProjectContext(root=root, modules=modules, directories=shallow)


def _import_name(relpath: str, packages: set[str]) -> str:
    """How Python imports ``relpath``: its path below the nearest folder that is not a
    package (no ``__init__.py``), as for ``src/pkg/mod.py`` or ``app/pkg/mod.py`` -> ``pkg.mod``."""
    parts = relpath[:-3].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    start = len(parts) - 1
    while start > 0 and "/".join(parts[:start]) in packages:
        start -= 1
    return ".".join(parts[start:])


class _Plan:
    """Which detector reads which file, under which cache key; then running the misses."""

    def __init__(
        self, root: Path, context: ProjectContext, detectors: Sequence[Detector], store: ScanCache
    ) -> None:
        self.root, self.context, self.detectors, self.store = root, context, detectors, store
        self.markers = {d.name: _markers(d) for d in detectors}
        self.facts: dict[str, Facts] = {}
        self.texts: dict[str, str] = {}
        self.skipped: list[Skipped] = []
        self._shape = directory_digest(context.directories)
        self._base = str(root)

    def add(self, relpath: str) -> None:
        path = f"{self._base}/{relpath}"  # plain strings, not pathlib: this runs for every file
        limit = MAX_BYTES.get(relpath[relpath.rfind(".") :], DEFAULT_MAX_BYTES)
        try:
            stat = os.stat(path)  # noqa: PTH116
            if stat.st_size > limit:
                self.skipped.append(Skipped(path=relpath, reason=f"larger than {limit >> 20} MB"))
                return
            facts = self.store.facts(relpath, stat) or self._examine(relpath, _read(path))
        except OSError as error:
            self.skipped.append(Skipped(path=relpath, reason=f"unreadable: {error.strerror}"))
            return
        self.store.remember(relpath, stat, facts)
        self.facts[relpath] = facts

    def _examine(self, relpath: str, data: bytes) -> Facts:
        names: tuple[str, ...] = ()
        if b"\0" not in data[:8192]:  # binary files have no references
            names = tuple(
                d.name
                for d in self.detectors
                if d.handles(relpath) and _contains_any(data, self.markers[d.name])
            )
        text = data.decode("utf-8", errors="replace") if names or relpath.endswith(".py") else ""
        if names:
            self.texts[relpath] = text
        python_like = relpath.endswith(".py") or PYTHONISH.intersection(names)
        imports = tuple(import_names(relpath, text)) if python_like else ()
        return Facts(hashlib.sha256(data).hexdigest(), names, imports)

    def run(self, jobs: int | None) -> list[Reference]:
        results: list[Reference] = []
        misses: list[tuple[str, str, str]] = []
        for relpath, facts in self.facts.items():
            for detector in facts.detectors:
                key = self._key(relpath, detector, facts)
                cached = self.store.get(key)
                if cached is None:
                    misses.append((key, relpath, detector))
                else:
                    results += cached
        tasks = [(relpath, detector, self._text(relpath)) for _, relpath, detector in misses]
        for (key, _, _), found in zip(misses, self._detect(tasks, jobs), strict=True):
            self.store.put(key, found)
            results += found
        logger.debug("%d files, %d detector runs", len(self.facts), len(misses))
        return results

    def _key(self, relpath: str, detector: str, facts: Facts) -> str:
        modules = self.context.modules
        return result_key(detector, relpath, facts, self._shape, self._facts_of, modules)

    def _facts_of(self, relpath: str) -> Facts:
        if relpath not in self.facts:  # a module outside the scanned set (excluded, too big)
            try:
                self.facts[relpath] = self._examine(relpath, (self.root / relpath).read_bytes())
            except OSError:
                self.facts[relpath] = Facts("missing", (), ())
        return self.facts[relpath]

    def _text(self, relpath: str) -> str:
        if relpath not in self.texts:
            data = (self.root / relpath).read_bytes()
            self.texts[relpath] = data.decode("utf-8", errors="replace")
        return self.texts[relpath]

    def _detect(self, tasks: list[tuple[str, str, str]], jobs: int | None) -> list[list[Reference]]:
        workers = min(jobs or os.cpu_count() or 1, 32)
        if workers <= 1 or len(tasks) < POOL_THRESHOLD:
            return [_run_task(self.detectors, self.context, task) for task in tasks]
        chunk = max(1, len(tasks) // (workers * 8))
        setup = (self.context, list(self.detectors))
        pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=setup)
        with pool:
            return list(pool.map(_worker_task, tasks, chunksize=chunk))


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:  # noqa: PTH123  (a str path, per file, on the hot path)
        return handle.read()


def _contains_any(data: bytes, markers: Sequence[bytes] | None) -> bool:
    return markers is None or any(marker in data for marker in markers)


def _markers(detector: Detector) -> Sequence[bytes] | None:
    """The detector's marker bytes (None: it reads every file it handles)."""
    markers: Sequence[bytes] | None = getattr(detector, "markers", None)
    if markers is None and detector.name == "python":
        markers = _python_markers()
    return markers


def _python_markers() -> list[bytes]:
    """Bytes one of which any file the AST analysis can find a loader in contains: the names
    of the loader libraries in its signature table (the same pre-check it runs on text)."""
    try:
        from ptmlock.scan.signatures import ROOT_MODULES
    except ImportError:
        roots: Iterable[str] = _PYTHON_FALLBACK
    else:
        roots = {*ROOT_MODULES, "from_pretrained", "import *"}
    return sorted(root.encode() for root in roots)


def _run_task(
    detectors: Sequence[Detector], context: ProjectContext, task: tuple[str, str, str]
) -> list[Reference]:
    relpath, name, text = task
    detector = next(d for d in detectors if d.name == name)
    try:
        return detector.detect(relpath, text, context)
    except Exception as error:
        error.add_note(f"while the {name} detector read {relpath}")
        raise


_WORKER: dict[str, Any] = {}


def _init_worker(context: ProjectContext, detectors: list[Detector]) -> None:
    _WORKER["context"] = context
    _WORKER["detectors"] = detectors


def _worker_task(task: tuple[str, str, str]) -> list[Reference]:
    return _run_task(_WORKER["detectors"], _WORKER["context"], task)


# -- after detection ------------------------------------------------------------------------------
def _finish(found: Iterable[Reference], config: ProjectConfig, root: Path) -> tuple[Reference, ...]:
    """Drop ignored references, add declared ones, label families, sort, deduplicate."""
    ignored = set(config.ignore)
    kept = {r for r in found if r.model not in ignored and r.location not in ignored}
    kept.update(_declared(config, root))
    labelled = [_with_family(ref) for ref in kept]
    return tuple(sorted(labelled, key=_order))


def _declared(config: ProjectConfig, root: Path) -> list[Reference]:
    try:
        lines = (root / PYPROJECT).read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    return [
        Reference(
            file=PYPROJECT,
            line=next((i for i, text in enumerate(lines, 1) if f'"{model.id}"' in text), 1),
            hub=model.hub,
            model=model.id,
            revision=model.revision,
            api="declared",
            how="declared",
            library=model.library,
        )
        for model in config.models
    ]


def _with_family(ref: Reference) -> Reference:
    if ref.family is not None or ref.model is None:
        return ref
    family, modality = family_of(ref.model)
    return replace(ref, family=family, modality=modality) if family else ref


def _order(ref: Reference) -> tuple[str, int, bool, str, str, str, str]:
    return (ref.file, ref.line, ref.model is None, ref.model or "", ref.api, ref.hub,
            ref.revision or "")  # fmt: skip
