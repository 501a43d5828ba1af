"""The scan's content-addressed cache: detector results by key, and file facts by stat.

Soundness: a detector result is keyed on the file's bytes (sha256), the detector (name, ptmlock
version, source of the scan and detector modules), the project's directory set (local paths are
not models), and, for files that run through the Python analysis (``.py``, notebooks, Markdown),
the hashes of every project module they import, transitively (a regex over the text finds imports:
over-approximate, never under), since imported constants change what a loader receives. A file's
hash, marker verdict and imports are kept by (size, mtime_ns, inode), like git's index, and only
for files older than 2 s, so a re-scan of an unchanged tree reads no file at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ptmlock.atomic import write_atomic
from ptmlock.models import Reference
from ptmlock.scan.detectors.interface import Detector

__all__ = [
    "PYTHONISH",
    "Facts",
    "ScanCache",
    "cache_fingerprint",
    "directory_digest",
    "import_names",
    "result_key",
]

logger = logging.getLogger(__name__)

CACHE_FORMAT = 2
RACY_NS = 2_000_000_000  # a file modified this close to a scan may change again unseen by mtime
PYTHONISH = frozenset({"python", "notebook", "markdown"})  # run the Python analysis
# the source of every module of the scan package is part of every key
_SECTIONS = ("files", "results")


@dataclass(frozen=True, slots=True)
class Facts:
    """What the scan needs to know of a file, kept by (size, mtime, inode) so a re-scan of an
    unchanged file does not even read it."""

    sha256: str
    detectors: tuple[str, ...]  # the detectors whose marker bytes it contains
    imports: tuple[str, ...]  # dotted names it may import (Python-like files only)


# -- keys -----------------------------------------------------------------------------------------
def directory_digest(directories: Iterable[str]) -> str:
    """The directories a hub id could name (``ProjectContext.directories``), as one hash: part
    of every key, so a new top-level or second-level folder re-runs the detectors, a deeper one
    does not."""
    return hashlib.sha256("\n".join(sorted(directories)).encode()).hexdigest()


def result_key(
    detector: str,
    relpath: str,
    facts: Facts,
    shape: str,
    facts_of: Callable[[str], Facts],
    modules: dict[str, str],
) -> str:
    """The key of ``detector``'s result on ``relpath``; ``shape`` is the ``directory_digest``."""
    parts = [detector, relpath, facts.sha256, shape]
    if detector in PYTHONISH:  # imported constants reach loaders: key on imported modules
        deps = _closure(relpath, facts_of, modules)
        parts += [f"{dep}={facts_of(dep).sha256}" for dep in deps]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _closure(relpath: str, facts_of: Callable[[str], Facts], modules: dict[str, str]) -> list[str]:
    """Project modules ``relpath`` imports, transitively (an over-approximation)."""
    seen: set[str] = set()
    todo = [relpath]
    while todo:
        for name in facts_of(todo.pop()).imports:
            for dep in _modules_named(name, modules):
                if dep not in seen and dep != relpath:
                    seen.add(dep)
                    todo.append(dep)
    return sorted(seen)


_IMPORT = re.compile(r"\bfrom\s+(\.*[\w.]*)\s+import\s+([\w\s,()*]+)|\bimport\s+([\w.]+)")


def import_names(relpath: str, text: str) -> Iterator[str]:
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
    files = sorted(here.rglob("*.py"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_fingerprint(detectors: Sequence[Detector]) -> str:
    """What every cached result depends on besides its key: format, version, detectors' code."""
    try:
        version = metadata.version("ptmlock")
    except metadata.PackageNotFoundError:
        version = "0"
    names = ",".join(sorted(d.name for d in detectors))
    return f"{CACHE_FORMAT}:{version}:{names}:{_source_digest()}"


# -- the store ------------------------------------------------------------------------------------
class ScanCache:
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

    def facts(self, relpath: str, stat: os.stat_result) -> Facts | None:
        record = self.old_files.get(relpath)
        if not record or record[:3] != [stat.st_size, stat.st_mtime_ns, stat.st_ino]:
            return None
        try:
            return Facts(record[3], tuple(record[4]), tuple(record[5]))
        except (IndexError, TypeError):
            return None

    def remember(self, relpath: str, stat: os.stat_result, facts: Facts) -> None:
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
            data = json.dumps(payload, separators=(",", ":")).encode()
            write_atomic(self.path, data, durable=False)  # a cache: losing it costs a re-scan
        except OSError as error:
            logger.warning("could not write the scan cache %s: %s", self.path, error)
