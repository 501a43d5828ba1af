"""``scan(root)``: every model reference in a project, from every kind of file.

The pipeline: walk the tree (skipping what is not the project's own code, see ``walk_project``),
build the ``ProjectContext``, drop files that contain none of their detectors' cheap marker bytes,
look the rest up in the cache, run the detectors on the misses (in a process pool when there are
many), then apply ``[tool.ptmlock]`` (ignore, declared models), label families and sort.

Cache soundness: a detector result is keyed on the file's bytes (sha256), the detector (name,
ptmlock version, source of the scan and detector modules), the project's directory set (local
paths are not models), and, for files that run through the Python analysis (``.py``, notebooks,
Markdown), the hashes of every project module they import, transitively (a regex over the text
finds imports: over-approximate, never under), since imported constants change what a loader
receives. A file's hash, marker verdict and imports are kept by (size, mtime_ns, inode), like git's
index, and only for files older than 2 s, so a re-scan of an unchanged tree reads no file at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
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

CACHE_FORMAT = 2
POOL_THRESHOLD = 48  # below this many files to parse, a process pool costs more than it saves
MAX_BYTES = {".ipynb": 32 << 20}
DEFAULT_MAX_BYTES = 4 << 20
RACY_NS = 2_000_000_000  # a file modified this close to a scan may change again unseen by mtime
_PYTHONISH = frozenset({"python", "notebook", "markdown"})  # run the Python analysis
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
    store = _Cache(cache_dir or default_cache_dir(), root, _fingerprint(detectors), enabled=cache)
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
    return ProjectContext(root=root, modules=modules, directories=frozenset(directories))


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


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the scan needs to know of a file, kept by (size, mtime, inode) so a re-scan of an
    unchanged file does not even read it."""

    sha256: str
    detectors: tuple[str, ...]  # the detectors whose marker bytes it contains
    imports: tuple[str, ...]  # dotted names it may import (Python-like files only)


class _Plan:
    """Which detector reads which file, under which cache key; then running the misses."""

    def __init__(
        self, root: Path, context: ProjectContext, detectors: Sequence[Detector], store: _Cache
    ) -> None:
        self.root, self.context, self.detectors, self.store = root, context, detectors, store
        self.markers = {d.name: _markers(d) for d in detectors}
        self.facts: dict[str, _Facts] = {}
        self.texts: dict[str, str] = {}
        self.skipped: list[Skipped] = []
        self._shape = hashlib.sha256("\n".join(sorted(context.directories)).encode()).hexdigest()
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

    def _examine(self, relpath: str, data: bytes) -> _Facts:
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
        python_like = relpath.endswith(".py") or _PYTHONISH.intersection(names)
        imports = tuple(_import_names(relpath, text)) if python_like else ()
        return _Facts(hashlib.sha256(data).hexdigest(), names, imports)

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

    def _key(self, relpath: str, detector: str, facts: _Facts) -> str:
        parts = [detector, relpath, facts.sha256, self._shape]
        if detector in _PYTHONISH:  # imported constants reach loaders: key on imported modules
            parts += [f"{dep}={self._facts_of(dep).sha256}" for dep in self._closure(relpath)]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def _closure(self, relpath: str) -> list[str]:
        """Project modules ``relpath`` imports, transitively (an over-approximation)."""
        seen: set[str] = set()
        todo = [relpath]
        while todo:
            for name in self._facts_of(todo.pop()).imports:
                for dep in _modules_named(name, self.context.modules):
                    if dep not in seen and dep != relpath:
                        seen.add(dep)
                        todo.append(dep)
        return sorted(seen)

    def _facts_of(self, relpath: str) -> _Facts:
        if relpath not in self.facts:  # a module outside the scanned set (excluded, too big)
            try:
                self.facts[relpath] = self._examine(relpath, (self.root / relpath).read_bytes())
            except OSError:
                self.facts[relpath] = _Facts("missing", (), ())
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
        from ptmlock.detectors.signatures import ROOT_MODULES
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


_IMPORT = re.compile(r"\bfrom\s+(\.*[\w.]*)\s+import\s+([\w\s,()*]+)|\bimport\s+([\w.]+)")


def _import_names(relpath: str, text: str) -> Iterator[str]:
    """Absolute dotted names ``text`` may import (``from a import b`` gives ``a`` and ``a.b``)."""
    package = relpath.rsplit("/", 1)[0].replace("/", ".") if "/" in relpath else ""
    for match in _IMPORT.finditer(text):
        base, names, plain = match.groups()
        if plain:
            yield plain
            continue
        absolute = _absolute(base, package)
        if absolute:
            yield absolute
        for name in re.findall(r"\w+", names):
            yield f"{absolute}.{name}" if absolute else name


def _modules_named(dotted: str, modules: dict[str, str]) -> Iterator[str]:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        if (found := modules.get(".".join(parts[:i]))) is not None:
            yield found


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
    """One JSON file per scanned root: file facts by (size, mtime, inode), and detector results by
    key. Entries a scan did not use are dropped when it saves. Disabled, it keeps nothing."""

    def __init__(self, directory: Path, root: Path, fingerprint: str, *, enabled: bool) -> None:
        name = hashlib.sha256(str(root).encode()).hexdigest()[:32]
        self.path = directory / f"{name}.json"
        self.fingerprint, self.enabled = fingerprint, enabled
        self.started = time.time_ns()
        old = self._load() if enabled else {}
        self.old_files: dict[str, list[Any]] = old.get("files", {})
        self.old_results: dict[str, list[dict[str, Any]]] = old.get("results", {})
        self.files: dict[str, list[Any]] = {}
        self.results: dict[str, list[dict[str, Any]]] = {}
        self.dirty = False

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        valid = isinstance(data, dict) and data.get("fingerprint") == self.fingerprint
        return data if valid and all(isinstance(data.get(k), dict) for k in _SECTIONS) else {}

    def facts(self, relpath: str, stat: os.stat_result) -> _Facts | None:
        record = self.old_files.get(relpath)
        if not record or record[:3] != [stat.st_size, stat.st_mtime_ns, stat.st_ino]:
            return None
        try:
            return _Facts(record[3], tuple(record[4]), tuple(record[5]))
        except (IndexError, TypeError):
            return None

    def remember(self, relpath: str, stat: os.stat_result, facts: _Facts) -> None:
        if self.enabled and stat.st_mtime_ns < self.started - RACY_NS:
            key = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
            self.files[relpath] = [*key, facts.sha256, list(facts.detectors), list(facts.imports)]
            self.dirty |= self.old_files.get(relpath) != self.files[relpath]

    def get(self, key: str) -> list[Reference] | None:
        raw = self.old_results.get(key)
        if raw is None:
            return None
        try:
            found = [Reference(**{**item, "files": tuple(item["files"])}) for item in raw]
        except (TypeError, KeyError):
            return None
        self.results[key] = raw
        return found

    def put(self, key: str, references: list[Reference]) -> None:
        if self.enabled:
            self.results[key] = [asdict(ref) for ref in references]
            self.dirty = True

    def save(self) -> None:
        unchanged = len(self.files) == len(self.old_files)
        if not self.enabled or (
            not self.dirty and unchanged and len(self.results) == len(self.old_results)
        ):
            return
        payload = {"fingerprint": self.fingerprint, "files": self.files, "results": self.results}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".scan.", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, separators=(",", ":"))
            Path(tmp).replace(self.path)
        except OSError as error:
            logger.warning("could not write the scan cache %s: %s", self.path, error)


_SECTIONS = ("files", "results")


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
