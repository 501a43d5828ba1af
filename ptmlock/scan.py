"""``scan(root)``: every model reference in a project, from every kind of file.

The pipeline: walk the tree (skipping what is not the project's own code, see ``walk``), build the
``ProjectContext``, drop files that contain none of their detectors' cheap marker bytes, look the
rest up in a content-addressed cache, run the detectors on the misses (in a process pool when there
are many), then apply ``[tool.ptmlock]`` (ignore, declared models) and label families.

Cache soundness: a file's entry is keyed on its bytes, the detector (name and source), the
project's directory set (local paths are not models), and, for files that run through the Python
analysis (``.py``, notebooks, Markdown), on the bytes of every project module they import,
transitively, since imported constants can change what a loader receives.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ptmlock.detectors.families import family_of
from ptmlock.detectors.interface import Detector, ProjectContext
from ptmlock.detectors.registry import default_detectors
from ptmlock.models import Reference, ScanResult, Skipped
from ptmlock.project_config import PYPROJECT, ProjectConfig, load_config

__all__ = ["default_cache_dir", "scan"]

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
POOL_THRESHOLD = 48  # below this many files to parse, a process pool costs more than it saves
MAX_BYTES = {".ipynb": 32 << 20}
DEFAULT_MAX_BYTES = 4 << 20
_PYTHONISH = frozenset({"python", "notebook", "markdown"})
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
    plan = _Plan(root, context, detectors)
    for relpath in tree.files:
        plan.add(relpath)
    store = None
    if cache:
        store = _Cache(cache_dir or default_cache_dir(), root, _fingerprint(detectors))
    results = plan.run(store, jobs)
    if store is not None:
        store.save()
    references = _finish(results, config, root)
    logger.info("scanned %d files: %d references", plan.files_read, len(references))
    return ScanResult(
        references=references,
        skipped=tuple(tree.skipped) + tuple(plan.skipped),
        files_scanned=plan.files_read,
    )


def _context(root: Path, files: Iterable[str], directories: Iterable[str]) -> ProjectContext:
    modules: dict[str, str] = {}
    for relpath in files:
        if relpath.endswith(".py"):
            parts = relpath[:-3].split("/")
            if parts[-1] == "__init__":
                parts.pop()
            if parts:
                modules[".".join(parts)] = relpath
                if parts[0] == "src" and len(parts) > 1:
                    modules.setdefault(".".join(parts[1:]), relpath)
    return ProjectContext(root=root, modules=modules, directories=frozenset(directories))


@dataclass(frozen=True, slots=True)
class _Job:
    relpath: str
    detector: str
    key: str
    text: str


class _Plan:
    """Which detector reads which file, and the cache key of each pair."""

    def __init__(self, root: Path, context: ProjectContext, detectors: Sequence[Detector]) -> None:
        self.root, self.context, self.detectors = root, context, detectors
        self.markers = {d.name: _marker_pattern(d) for d in detectors}
        self.jobs: list[_Job] = []
        self.skipped: list[Skipped] = []
        self.files_read = 0
        self._hashes: dict[str, str] = {}
        self._imports = _ImportGraph(context)
        shape = "\n".join(sorted(context.directories)).encode()
        self._shape = hashlib.sha256(shape).hexdigest()

    def add(self, relpath: str) -> None:
        data = self._read(relpath)
        if data is None:
            return
        text: str | None = None
        for detector in self.detectors:
            if not detector.handles(relpath):
                continue
            pattern = self.markers[detector.name]
            if pattern is not None and not pattern.search(data):
                continue
            if text is None:
                text = data.decode("utf-8", errors="replace")
            key = self._key(relpath, detector.name, text)
            self.jobs.append(_Job(relpath, detector.name, key, text))

    def _read(self, relpath: str) -> bytes | None:
        path = self.root / relpath
        limit = MAX_BYTES.get(path.suffix, DEFAULT_MAX_BYTES)
        try:
            if path.stat().st_size > limit:
                self.skipped.append(Skipped(path=relpath, reason=f"larger than {limit >> 20} MB"))
                return None
            data = path.read_bytes()
        except OSError as error:
            self.skipped.append(Skipped(path=relpath, reason=f"unreadable: {error.strerror}"))
            return None
        self.files_read += 1
        self._hashes[relpath] = hashlib.sha256(data).hexdigest()
        return None if b"\0" in data[:8192] else data

    def _hash_of(self, relpath: str) -> str:
        if relpath not in self._hashes:
            try:
                data = (self.root / relpath).read_bytes()
                self._hashes[relpath] = hashlib.sha256(data).hexdigest()
            except OSError:
                self._hashes[relpath] = "missing"
        return self._hashes[relpath]

    def _key(self, relpath: str, detector: str, text: str) -> str:
        parts = [detector, relpath, self._hashes[relpath], self._shape]
        if detector in _PYTHONISH:
            parts += [f"{dep}={self._hash_of(dep)}" for dep in self._imports.closure(relpath, text)]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def run(self, store: _Cache | None, jobs: int | None) -> list[Reference]:
        results: list[Reference] = []
        misses: list[_Job] = []
        for job in self.jobs:
            cached = store.get(job.key) if store is not None else None
            if cached is None:
                misses.append(job)
            else:
                results += cached
        for job, found in zip(misses, self._detect(misses, jobs), strict=True):
            if store is not None:
                store.put(job.key, found)
            results += found
        logger.debug("%d detector runs, %d cache misses", len(self.jobs), len(misses))
        return results

    def _detect(self, misses: list[_Job], jobs: int | None) -> list[list[Reference]]:
        workers = min(jobs or os.cpu_count() or 1, 32)
        if workers <= 1 or len(misses) < POOL_THRESHOLD:
            return [_run_job(self.detectors, self.context, job) for job in misses]
        tasks = [(job.relpath, job.detector, job.text) for job in misses]
        chunk = max(1, len(tasks) // (workers * 8))
        setup = (self.context, list(self.detectors))
        pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=setup)
        with pool:
            return list(pool.map(_worker_job, tasks, chunksize=chunk))


def _marker_pattern(detector: Detector) -> re.Pattern[bytes] | None:
    markers: Sequence[bytes] | None = getattr(detector, "markers", None)
    if markers is None and detector.name == "python":
        markers = _python_markers()
    return re.compile(b"|".join(map(re.escape, markers))) if markers else None


def _python_markers() -> list[bytes]:
    """Bytes one of which any file the AST analysis can find a loader in contains: the names
    of the loader libraries in its signature table (the same pre-check it runs on text)."""
    try:
        from ptmlock.detectors.signatures import ROOT_MODULES
    except ImportError:
        roots: Iterable[str] = _PYTHON_FALLBACK
    else:
        roots = {*ROOT_MODULES, "from_pretrained", "import *"}
    return sorted(root.encode() for root in roots)


def _run_job(detectors: Sequence[Detector], context: ProjectContext, job: _Job) -> list[Reference]:
    detector = next(d for d in detectors if d.name == job.detector)
    try:
        return detector.detect(job.relpath, job.text, context)
    except Exception as error:
        error.add_note(f"while the {job.detector} detector read {job.relpath}")
        raise


_WORKER: dict[str, Any] = {}


def _init_worker(context: ProjectContext, detectors: list[Detector]) -> None:
    _WORKER["context"] = context
    _WORKER["detectors"] = detectors


def _worker_job(task: tuple[str, str, str]) -> list[Reference]:
    relpath, detector, text = task
    return _run_job(_WORKER["detectors"], _WORKER["context"], _Job(relpath, detector, "", text))


_IMPORT = re.compile(r"\bfrom\s+(\.*[\w.]*)\s+import\s+([\w\s,()*]+)|\bimport\s+([\w.]+)")


class _ImportGraph:
    """Project modules a file imports, transitively (a regex over the text: over-approximate)."""

    def __init__(self, context: ProjectContext) -> None:
        self.context = context
        self._direct: dict[str, frozenset[str]] = {}
        self._root = context.root

    def closure(self, relpath: str, text: str) -> list[str]:
        seen: set[str] = set()
        todo = list(self._imports_of(relpath, text))
        while todo:
            dep = todo.pop()
            if dep in seen or dep == relpath:
                continue
            seen.add(dep)
            if dep not in self._direct:
                try:
                    dep_text = (self._root / dep).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    dep_text = ""
                self._direct[dep] = self._imports_of(dep, dep_text)
            todo += self._direct[dep]
        return sorted(seen)

    def _imports_of(self, relpath: str, text: str) -> frozenset[str]:
        if relpath in self._direct:
            return self._direct[relpath]
        found: set[str] = set()
        package = relpath.rsplit("/", 1)[0].replace("/", ".") if "/" in relpath else ""
        for match in _IMPORT.finditer(text):
            base, names, plain = match.groups()
            if plain:
                found.update(self._lookup(plain))
                continue
            absolute = _absolute(base, package)
            found.update(self._lookup(absolute))
            for name in re.findall(r"\w+", names):
                found.update(self._lookup(f"{absolute}.{name}" if absolute else name))
        self._direct[relpath] = frozenset(found)
        return self._direct[relpath]

    def _lookup(self, dotted: str) -> list[str]:
        parts = dotted.split(".")
        modules = self.context.modules
        names = (".".join(parts[:i]) for i in range(len(parts), 0, -1))
        return [modules[name] for name in names if name in modules]


def _absolute(base: str, package: str) -> str:
    dots = len(base) - len(base.lstrip("."))
    if not dots:
        return base
    parts = package.split(".") if package else []
    parts = parts[: len(parts) - (dots - 1)] if dots > 1 else parts
    return ".".join([*parts, base[dots:]] if base[dots:] else parts)


@lru_cache(maxsize=1)
def _source_digest() -> str:
    here = Path(__file__).parent
    files = [Path(__file__), *sorted((here / "detectors").glob("*.py"))]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _fingerprint(detectors: Sequence[Detector]) -> str:
    try:
        version = metadata.version("ptmlock")
    except metadata.PackageNotFoundError:
        version = "0"
    names = ",".join(sorted(d.name for d in detectors))
    return f"{CACHE_FORMAT}:{version}:{names}:{_source_digest()}"


# -- the walk -------------------------------------------------------------------------------------
# never reported: nothing of the project's own lives there
_SILENT_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox",
     ".nox", ".cache"}
)  # fmt: skip
_SKIP_DIRS = {
    "node_modules": "node_modules",
    ".venv": "virtualenv",
    "venv": "virtualenv",
    "site-packages": "installed packages",
    "dist-packages": "installed packages",
    ".ipynb_checkpoints": "notebook autosave copies",
}
_VENDOR_DIRS = frozenset({"vendor", "vendored", "third_party", "third-party", "thirdparty",
                          "3rdparty", "_vendor"})  # fmt: skip
# skipped only when they hold a copied package (their own setup.py / pyproject.toml)
_VENDORISH_DIRS = frozenset({"external", "externals", "extern", "deps", "libs", "contrib"})
_PACKAGE_FILES = ("setup.py", "pyproject.toml", "setup.cfg")

_Rule = tuple[str, re.Pattern[str], bool, bool]  # base dir, regex, negated, directories only


@dataclass(slots=True)
class _Tree:
    files: list[str]
    directories: list[str]
    skipped: list[Skipped]


def walk_project(root: Path, exclude: Sequence[str], handles: Sequence[Any]) -> _Tree:
    """Files some detector handles, every directory, and what was skipped on purpose (and why)."""
    tree = _Tree([], [], [])
    excluded = [_rule("", pattern) for pattern in exclude]
    stack: list[tuple[str, tuple[_Rule, ...]]] = [("", _gitignore(root, "", ()))]
    while stack:
        reldir, rules = stack.pop()
        try:
            entries = sorted(os.scandir(root / reldir), key=lambda e: e.name)
        except OSError as error:
            tree.skipped.append(Skipped(path=reldir or ".", reason=f"unreadable: {error.strerror}"))
            continue
        for entry in entries:
            rel = f"{reldir}/{entry.name}" if reldir else entry.name
            if entry.is_dir(follow_symlinks=False):
                if entry.name in _SILENT_DIRS:
                    continue
                tree.directories.append(rel)
                reason = _dir_reason(Path(entry.path), rel, rules, excluded)
                if reason:
                    tree.skipped.append(Skipped(path=f"{rel}/", reason=reason))
                else:
                    stack.append((rel, _gitignore(root, rel, rules)))
            elif entry.is_file() and any(handle(rel) for handle in handles):
                reason = _file_reason(rel, rules, excluded)
                if reason:
                    tree.skipped.append(Skipped(path=rel, reason=reason))
                else:
                    tree.files.append(rel)
    tree.files.sort()
    return tree


def _dir_reason(path: Path, rel: str, rules: Sequence[_Rule], excluded: Sequence[_Rule]) -> str:
    name = path.name
    if name in _SKIP_DIRS:
        return _SKIP_DIRS[name]
    if (path / "pyvenv.cfg").is_file():
        return "virtualenv"
    if name in _VENDOR_DIRS:
        return "vendored code"
    if name in _VENDORISH_DIRS and _holds_package(path):
        return "vendored package"
    if (path / ".git").exists():
        return "nested git repository"
    if _matches(rel, True, excluded):
        return "excluded by tool.ptmlock.exclude"
    return "gitignored" if _matches(rel, True, rules) else ""


def _file_reason(rel: str, rules: Sequence[_Rule], excluded: Sequence[_Rule]) -> str:
    if _matches(rel, False, excluded):
        return "excluded by tool.ptmlock.exclude"
    return "gitignored" if _matches(rel, False, rules) else ""


def _holds_package(path: Path) -> bool:
    candidates = [path, *(p for p in path.iterdir() if p.is_dir())] if path.is_dir() else []
    return any((c / f).is_file() for c in candidates for f in _PACKAGE_FILES)


def _gitignore(root: Path, reldir: str, inherited: tuple[_Rule, ...]) -> tuple[_Rule, ...]:
    path = root / reldir / ".gitignore"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return inherited
    rules = [_rule(reldir, line) for line in lines if line.strip() and not line.startswith("#")]
    return inherited + tuple(rules)


def _rule(base: str, pattern: str) -> _Rule:
    """One gitignore line: ``!`` negates, a trailing ``/`` means directories, a ``/`` anchors."""
    pattern = pattern.rstrip()
    negated = pattern.startswith("!")
    pattern = pattern.removeprefix("!").removeprefix("\\")
    dir_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    anchored = "/" in pattern
    body = _glob_to_regex(pattern.lstrip("/"))
    return (base, re.compile(body if anchored else f"(?:.*/)?{body}"), negated, dir_only)


def _glob_to_regex(glob: str) -> str:
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and (end := glob.find("]", i + 2)) > 0:
            out.append("[" + glob[i + 1 : end].replace("!", "^", 1).replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


def _matches(rel: str, is_dir: bool, rules: Sequence[_Rule]) -> bool:
    ignored = False
    for base, regex, negated, dir_only in rules:
        if dir_only and not is_dir:
            continue
        sub = rel[len(base) + 1 :] if base else rel
        if regex.fullmatch(sub):
            ignored = not negated
    return ignored


# -- the cache ------------------------------------------------------------------------------------
class _Cache:
    """Detector results by key, one JSON file per scanned root; entries unused by a scan expire."""

    def __init__(self, directory: Path, root: Path, fingerprint: str) -> None:
        name = hashlib.sha256(str(root).encode()).hexdigest()[:32]
        self.path = directory / f"{name}.json"
        self.fingerprint = fingerprint
        self.old = self._load()
        self.new: dict[str, list[dict[str, Any]]] = {}
        self.dirty = False

    def _load(self) -> dict[str, list[dict[str, Any]]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("fingerprint") != self.fingerprint:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, key: str) -> list[Reference] | None:
        raw = self.old.get(key)
        if raw is None:
            return None
        try:
            found = [Reference(**{**item, "files": tuple(item["files"])}) for item in raw]
        except (TypeError, KeyError):
            return None
        self.new[key] = raw
        return found

    def put(self, key: str, references: list[Reference]) -> None:
        self.new[key] = [asdict(ref) for ref in references]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty and len(self.new) == len(self.old):
            return
        payload = json.dumps({"fingerprint": self.fingerprint, "entries": self.new})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".scan.", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
            Path(tmp).replace(self.path)
        except OSError as error:
            logger.warning("could not write the scan cache %s: %s", self.path, error)


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
