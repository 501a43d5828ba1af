"""``scan(root)``: every model reference in a project, from every kind of file.

The pipeline: walk the tree (skipping what is not the project's own code, see
``ptmlock.scan.walk``); phase 1 reads each file that some detector handles and whose text holds
one of its marker bytes into ``FileFacts`` (cached by content hash, misses read in a process
pool when there are many); phase 2 links them across the project (``ptmlock.scan.link``); then
``[tool.ptmlock]`` applies (ignore, declared models), families are labelled and the references
sorted. An unchanged tree is answered from the last result without linking again.
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import logging
import marshal
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from ptmlock.limits import FILE_BYTES, NOTEBOOK_BYTES
from ptmlock.models import Reference, ScanResult, Skipped
from ptmlock.project_config import PYPROJECT, ProjectConfig, load_config
from ptmlock.scan.cache import ScanCache, cache_fingerprint, digest
from ptmlock.scan.detectors.interface import Detector, FileFacts
from ptmlock.scan.detectors.registry import default_detectors
from ptmlock.scan.families import family_of
from ptmlock.scan.link import FileEntry, link_project
from ptmlock.scan.mentions import demote_unnamed_configs, load_mentions
from ptmlock.scan.python.ir import Summary
from ptmlock.scan.python.linker import Links, ModuleLink
from ptmlock.scan.python.project import Index, index_of
from ptmlock.scan.urls import names_data
from ptmlock.scan.walk import walk_project

__all__ = ["default_cache_dir", "scan", "scan_files"]

logger = logging.getLogger(__name__)

POOL_THRESHOLD = 48  # below this many files to read, a process pool costs more than it saves
_DOC_SUFFIXES = (".md", ".markdown", ".mdx", ".rst")
# progress(stage, done, total): stage "files" (the walk's files looked at) then "read" (files
# parsed that the cache did not know); called from the scanning thread, a few times a second
Progress = Callable[[str, int, int], None]
_EVERY = 256  # files between two progress calls


def _no_progress(stage: str, done: int, total: int) -> None:
    """The default: nobody is watching."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/ptmlock/scan``, else ``~/.cache/ptmlock/scan``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ptmlock" / "scan"


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a scan runs. Summaries are acyclic tuples, lists and
    dicts, millions of them on a large tree: each collection walks all of them, which was half
    the time of relinking after an edit. Nothing a scan builds needs the collector to be freed;
    it runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _return_freed_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere
    nothing). The texts phase 1 read and its workers' results, freed, otherwise stay in the
    process through the whole link: 80 MB on the transformers tree, which Python's own
    allocator, holding the summaries, never reuses."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # no glibc; Windows has no CDLL(None)
        return
    trim(0)


@_collector_paused()
def scan(
    root: Path,
    *,
    config: ProjectConfig | None = None,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    cache: bool = True,
    detectors: Sequence[Detector] | None = None,
    progress: Progress = _no_progress,
) -> ScanResult:
    """Every model reference under ``root``, sorted by file, line and model.

    ``jobs`` caps the worker processes (1 = in-process); ``cache=False`` neither reads nor writes
    the cache. ``config`` defaults to ``[tool.ptmlock]`` in ``root/pyproject.toml``.
    ``progress`` hears how far the walk and the parsing are (the CLI draws it on a terminal).
    """
    root = root.resolve()
    config = config if config is not None else load_config(root)
    detectors = list(detectors) if detectors is not None else default_detectors()
    tree = walk_project(root, config.exclude, [d.handles for d in detectors])
    directories = frozenset(d for d in tree.directories if d.count("/") <= 1)
    fingerprint = cache_fingerprint(detectors)
    store = ScanCache(cache_dir or default_cache_dir(), root, fingerprint, enabled=cache)
    plan = _Plan(root, detectors, store)
    for done, relpath in enumerate(tree.files, 1):
        plan.add(relpath)
        if done % _EVERY == 0:
            progress("files", done, len(tree.files))
    key = plan.key(fingerprint, directories)
    cached = store.result(key, plan.keys.values())
    if cached is not None:
        found, skipped = _decode(cached)
    else:
        entries = plan.read(jobs, progress)
        _return_freed_memory()
        # what the Python linker saw of each file: an edit that leaves a module's summary as it
        # was (a comment, blank lines at the end) relinks nothing that read it
        shapes = {relpath: entry.shape or plan.keys[relpath] for relpath, entry in entries.items()}
        found, links, copies = link_project(
            entries, plan.summary, directories, shapes, _links_decode(store.links())
        )
        found, named = demote_unnamed_configs(
            found, plan.shas, plan.bytes_of, load_mentions(store.mentions())
        )
        store.put_mentions(named)
        skipped = plan.skipped + copies
        store.put_result(key, _encode(found, skipped))
        store.put_links(_links_encode(links))
    store.save()
    references = _finish(found, config, root)
    logger.info("scanned %d files: %d references", len(plan.keys), len(references))
    return ScanResult(
        references=references,
        skipped=tuple(tree.skipped) + tuple(plan.unreadable) + tuple(skipped),
        files_scanned=len(plan.shas),
    )


def scan_files(
    files: Mapping[str, str],
    *,
    directories: Iterable[str] = (),
    detectors: Sequence[Detector] | None = None,
) -> list[Reference]:
    """The references in a project given as text (relpath -> content), without touching disk:
    both phases, no cache, no ``[tool.ptmlock]``. ``directories`` are the project's folders
    (a Hub-shaped id naming one is a local path); by default those the paths imply."""
    detectors = list(detectors) if detectors is not None else default_detectors()
    folders = set(directories) or {
        "/".join(p.split("/")[: i + 1]) for p in files for i in range(min(p.count("/"), 2))
    }
    entries: dict[str, FileEntry] = {}
    summaries: dict[str, bytes | None] = {}
    for relpath, text in files.items():
        data = text.encode("utf-8", "surrogateescape")
        names = ".".join(
            d.name for d in detectors
            if d.handles(relpath) and (d.markers is None or any(m in data for m in d.markers))
        )  # fmt: skip
        if names:
            facts, summaries[relpath] = _read_task(detectors, (relpath, names, text))
            entries[relpath] = _entry(relpath, facts)

    def load(relpath: str) -> Summary | None:
        data = summaries.get(relpath)
        return Summary.load(marshal.loads(data), len(data)) if data else None

    shallow = frozenset(d for d in folders if d.count("/") <= 1)
    found, _links, _copies = link_project(entries, load, shallow)
    shas = dict.fromkeys(files, "")
    found, _named = demote_unnamed_configs(
        found, shas, lambda r: files[r].encode("utf-8", "surrogateescape"), ("", {})
    )
    return sorted({_labelled(ref) for ref in found}, key=_order)


class _Plan:
    """Which detectors read which file, and reading the files the cache does not know."""

    def __init__(self, root: Path, detectors: Sequence[Detector], store: ScanCache) -> None:
        self.root, self.detectors, self.store = root, detectors, store
        self.shas: dict[str, str] = {}
        self.keys: dict[str, str] = {}  # relpath -> facts key, for files some detector reads
        self.texts: dict[str, bytes] = {}
        self.unreadable: list[Skipped] = []
        self.skipped: list[Skipped] = []
        self._base = str(root)
        self._limits = {".ipynb": NOTEBOOK_BYTES}  # larger files are skipped, with the reason
        self._bytes = {suffix: limit.value for suffix, limit in self._limits.items()}
        self._default_bytes = FILE_BYTES.value

    def add(self, relpath: str) -> None:
        path = f"{self._base}/{relpath}"  # plain strings, not pathlib: this runs for every file
        suffix = relpath[relpath.rfind(".") :]
        limit = self._bytes.get(suffix, self._default_bytes)
        try:
            stat = os.stat(path)  # noqa: PTH116
            if stat.st_size > limit:
                env = self._limits.get(suffix, FILE_BYTES).env
                size = f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit} bytes"
                reason = f"larger than {size} (raise {env} to read it)"
                self.unreadable.append(Skipped(path=relpath, reason=reason))
                return
            record = self.store.record(relpath, stat)
            if record is not None:
                sha, names = record[3], tuple(record[4])
            else:
                data = _read(path)
                sha, names = hashlib.sha256(data).hexdigest(), self._names(relpath, data)
                if names:
                    self.texts[relpath] = data
        except OSError as error:
            self.unreadable.append(Skipped(path=relpath, reason=f"unreadable: {error.strerror}"))
            return
        self.store.remember(relpath, stat, sha, names)
        self.shas[relpath] = sha
        if names:
            self.keys[relpath] = f"{sha}-{'.'.join(names)}"

    def _names(self, relpath: str, data: bytes) -> tuple[str, ...]:
        """The detectors that read this file: they handle it and it holds one of their marks."""
        if b"\0" in data[:8192]:  # binary files have no references
            return ()
        return tuple(
            d.name
            for d in self.detectors
            if d.handles(relpath) and (d.markers is None or any(m in data for m in d.markers))
        )

    def key(self, fingerprint: str, directories: Iterable[str]) -> str:
        """The result's key: every file read (path, content, detectors) and the folder set."""
        files = (f"{relpath}={key}" for relpath, key in sorted(self.keys.items()))
        return digest([fingerprint, *sorted(directories), "", *files])

    def read(self, jobs: int | None, progress: Progress = _no_progress) -> dict[str, FileEntry]:
        """Every file's phase-1 facts: from the cache, else read now."""
        entries: dict[str, FileEntry] = {}
        misses: list[tuple[str, str]] = []
        for relpath, key in self.keys.items():
            cached = self.store.facts(key)
            if cached is None:
                misses.append((relpath, key))
            else:
                entries[relpath] = _entry(relpath, cached)
        tasks = [(relpath, key.split("-", 1)[1], self._text(relpath)) for relpath, key in misses]
        results = zip(misses, self._run(tasks, jobs), strict=True)
        for done, ((relpath, key), result) in enumerate(results, 1):
            if done % _EVERY == 0:
                progress("read", done, len(misses))
            facts, summary = result
            self.store.put_facts(key, facts, summary)
            entries[relpath] = _entry(relpath, facts)
        for relpath, entry in entries.items():
            if entry.facts.skipped:
                self.skipped.append(Skipped(path=relpath, reason=entry.facts.skipped))
        return entries

    def summary(self, relpath: str) -> Summary | None:
        key = self.keys.get(relpath)
        data = self.store.summary(key) if key else None
        return Summary.load(marshal.loads(data), len(data)) if data else None

    def bytes_of(self, relpath: str) -> bytes:
        return _read(f"{self._base}/{relpath}")

    def _text(self, relpath: str) -> str:
        data = self.texts.pop(relpath, None)
        if data is None:
            data = (self.root / relpath).read_bytes()
        return data.decode("utf-8", errors="replace")

    def _run(self, tasks: list[tuple[str, str, str]], jobs: int | None) -> Iterator[Any]:
        workers = min(jobs or os.cpu_count() or 1, 32)
        if workers <= 1 or len(tasks) < POOL_THRESHOLD:
            yield from (_read_task(self.detectors, task) for task in tasks)
            return
        chunk = max(1, len(tasks) // (workers * 8))
        setup = (list(self.detectors),)
        pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=setup)
        with pool:
            yield from pool.map(_worker_task, tasks, chunksize=chunk)


def _entry(relpath: str, cached: Any) -> FileEntry:
    dump, index, shape = cached
    return FileEntry(
        facts=FileFacts.load(dump, relpath, None),
        index=Index.load(index) if index else None,
        shape=shape,
    )


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:  # noqa: PTH123  (a str path, per file, on the hot path)
        return handle.read()


def _read_task(detectors: Sequence[Detector], task: tuple[str, str, str]) -> Any:
    """Phase 1 for one file: (facts without the summary, with the index and the digest of
    what the linker sees of it), summary bytes."""
    relpath, names, text = task
    facts = FileFacts()
    for detector in detectors:
        if detector.name in names.split("."):
            try:
                facts = facts.merged(detector.read(relpath, text))
            except Exception as error:  # one bad file must not cost the whole scan
                logger.debug("the %s detector failed on %s", detector.name, relpath, exc_info=True)
                reason = f"the {detector.name} detector failed: {type(error).__name__}: {error}"
                facts = facts.merged(FileFacts(skipped=reason[:300]))
    summary = facts.python
    if summary is None:
        return (facts.dump(), None, None), None
    index = index_of(summary).dump()
    blob = marshal.dumps(summary.dump())
    shape = hashlib.sha256(blob + marshal.dumps(index)).hexdigest()
    return (facts.dump(), index, shape), blob


_WORKER: dict[str, Any] = {}


def _init_worker(detectors: list[Detector]) -> None:
    gc.disable()  # a worker only parses, and ends with the pool (see ``_collector_paused``)
    _WORKER["detectors"] = detectors


def _worker_task(task: tuple[str, str, str]) -> Any:
    return _read_task(_WORKER["detectors"], task)


def _encode(found: list[Reference], skipped: list[Skipped]) -> Any:
    facts = FileFacts(references=tuple(found))
    files = [r.file for r in found]
    return (facts.dump(), files, [(s.path, s.reason) for s in skipped])


def _decode(value: Any) -> tuple[list[Reference], list[Skipped]]:
    dump, files, skipped = value
    loaded = FileFacts.load(dump, "", None).references
    found = [replace(ref, file=file) for ref, file in zip(loaded, files, strict=True)]
    return found, [Skipped(path=p, reason=r) for p, r in skipped]


def _links_encode(links: Links) -> Any:
    modules = {
        relpath: (
            _encode(list(link.references), []),
            link.reads,
            tuple(link.names),
            tuple(link.notes),
        )
        for relpath, link in links.modules.items()
    }
    files = {relpath: (key, tuple(names)) for relpath, (key, names) in links.files.items()}
    return (links.context, modules, files)


def _links_decode(value: Any) -> Links | None:
    if value is None:
        return None
    try:
        context, modules, files = value
        return Links(
            context,
            {
                relpath: ModuleLink(
                    references=tuple(_decode(refs)[0]),
                    reads=tuple((r, k) for r, k in reads),
                    names=frozenset(names),
                    notes=frozenset((kind, name) for kind, name in notes),
                )
                for relpath, (refs, reads, names, notes) in modules.items()
            },
            {relpath: (key, frozenset(names)) for relpath, (key, names) in files.items()},
        )
    except (TypeError, ValueError):
        return None


# -- after linking -------------------------------------------------------------------------------
def _finish(found: Iterable[Reference], config: ProjectConfig, root: Path) -> tuple[Reference, ...]:
    """Drop ignored references (and unresolved sites a declared model stands for), add
    declared ones, label families, sort, deduplicate."""
    ignored = set(config.ignore)
    declared_sites = {site for model in config.models for site in model.sites}
    kept = {
        r
        for r in found
        if r.model not in ignored
        and r.location not in ignored
        and not (r.model is None and r.location in declared_sites)
    }
    kept.update(_declared(config, root))
    return tuple(sorted({_labelled(ref) for ref in kept}, key=_order))


def _labelled(ref: Reference) -> Reference:
    return _as_data(_in_docs(_with_family(ref)))


def _as_data(ref: Reference) -> Reference:
    """A checkpoint-format file whose name says ground-truth data is listed, never locked: a
    project's download table holds training data beside its weights."""
    if ref.hub == "url" and ref.model and ref.confidence != "low" and names_data(ref.model):
        return replace(ref, confidence="low")
    return ref


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


def _in_docs(ref: Reference) -> Reference:
    """Whatever a README or docs page names is low confidence: listed, never locked."""
    if ref.file.lower().endswith(_DOC_SUFFIXES) and ref.confidence != "low":
        return replace(ref, confidence="low")
    return ref


def _order(ref: Reference) -> tuple[str, int, bool, str, str, str, str, str, tuple[str, ...]]:
    """A total order, so the same project always prints the same way (ties in a set of
    references would otherwise follow string hashing, which changes per process)."""
    return (ref.file, ref.line, ref.model is None, ref.model or "", ref.api, ref.hub,
            ref.revision or "", ref.reason or "", ref.chain)  # fmt: skip
