"""The scan's cache: phase-1 facts by content hash, file hashes by stat, and the last result.

- A file's facts (references, candidates, Python index) depend on its bytes and the detectors
  that read it alone, so they are kept by (sha256, detectors); the Python summaries, the bulky
  part, live apart in content-addressed files loaded only when phase 2 needs one.
- A file's sha256 and marker verdict are kept by (size, mtime_ns, inode), like git's index, and
  only for files older than 2 s, so a re-scan of an unchanged tree reads no file at all.
- The final result is kept under a key over every file's (path, sha256, detectors), the
  project's folders and ``[tool.ptmlock]``: an unchanged tree is answered without linking.

Everything is keyed on the scanner's own source too (``cache_fingerprint``), and losing the
cache only costs a re-scan, so nothing here is flushed to disk.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import shutil
import time
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ptmlock.atomic import write_atomic
from ptmlock.scan.detectors.interface import Detector

__all__ = ["RACY_NS", "ScanCache", "cache_fingerprint", "digest"]

logger = logging.getLogger(__name__)

CACHE_FORMAT = 3
RACY_NS = 2_000_000_000  # a file modified this close to a scan may change again unseen by mtime

Stat = tuple[int, int, int]  # size, mtime_ns, inode
FileRecord = tuple[int, int, int, str, tuple[str, ...]]  # stat, sha256, detectors


def digest(parts: Iterable[str]) -> str:
    """One sha256 over ``parts`` (each NUL-terminated)."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return hasher.hexdigest()


@lru_cache(maxsize=1)
def _source_digest() -> str:
    here = Path(__file__).parent
    hasher = hashlib.sha256()
    for path in sorted(here.rglob("*.py")):
        hasher.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes())
    # the name tables transforms read (timm's default tags, open_clip's Hub repos)
    for path in sorted((here.parent / "named" / "data").glob("*.json")):
        hasher.update(path.name.encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()


def cache_fingerprint(detectors: Sequence[Detector]) -> str:
    """What every cached fact depends on besides its key: format, version, scanner code."""
    try:
        version = metadata.version("ptmlock")
    except metadata.PackageNotFoundError:
        version = "0"
    names = ",".join(sorted(d.name for d in detectors))
    return f"{CACHE_FORMAT}:{version}:{names}:{_source_digest()}"


class ScanCache:
    """One file per scanned root (stat records, facts, the last result) and a shared folder of
    Python summaries. Entries a scan did not use are dropped when it saves. Disabled, it keeps
    nothing on disk (summaries stay in memory for the one scan)."""

    def __init__(self, directory: Path, root: Path, fingerprint: str, *, enabled: bool) -> None:
        name = hashlib.sha256(str(root).encode()).hexdigest()[:32]
        self.directory, self.path = directory, directory / f"{name}.marshal"
        tag = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
        self.blobs = directory / f"summaries-{tag}"
        self.fingerprint, self.enabled = fingerprint, enabled
        self.started = time.time_ns()
        old = self._load() if enabled else {}
        self.old_files: dict[str, FileRecord] = old.get("files", {})
        self.old_facts: dict[str, Any] = old.get("facts", {})
        self.old_result: tuple[str, Any] | None = old.get("result")
        self.old_links: Any | None = old.get("links")
        self.links_: Any | None = None
        self.old_mentions: Any | None = old.get("mentions")
        self.mentions_: Any | None = None
        self.files: dict[str, FileRecord] = {}
        self.facts_: dict[str, Any] = {}
        self.result_: tuple[str, Any] | None = None
        self.memory: dict[str, bytes] = {}  # summaries made this scan that are not on disk

    def _load(self) -> dict[str, Any]:
        try:
            data = marshal.loads(self.path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return {}
        if not isinstance(data, dict) or data.get("fingerprint") != self.fingerprint:
            return {}
        return data

    # -- file hashes by stat --------------------------------------------------------------
    def record(self, relpath: str, stat: os.stat_result) -> FileRecord | None:
        """The (stat, sha256, detectors) remembered for an unchanged file, else None."""
        record = self.old_files.get(relpath)
        if record and tuple(record[:3]) == (stat.st_size, stat.st_mtime_ns, stat.st_ino):
            return record
        return None

    def remember(
        self, relpath: str, stat: os.stat_result, sha: str, names: tuple[str, ...]
    ) -> None:
        if self.enabled and stat.st_mtime_ns < self.started - RACY_NS:
            self.files[relpath] = (stat.st_size, stat.st_mtime_ns, stat.st_ino, sha, names)

    # -- facts by content -----------------------------------------------------------------
    def facts(self, key: str) -> Any | None:
        found = self.old_facts.get(key)
        if found is not None:
            self.facts_[key] = found
        return found

    def put_facts(self, key: str, facts: Any, summary: bytes | None) -> None:
        self.facts_[key] = facts
        # kept in memory only when it could not go to disk: phase 2 reads back what it needs
        if summary is not None and not (self.enabled and self._write_blob(key, summary)):
            self.memory[key] = summary

    def summary(self, key: str) -> bytes | None:
        if key in self.memory:
            return self.memory[key]
        try:
            return (self.blobs / key[:2] / key).read_bytes()
        except OSError:
            return None

    def _write_blob(self, key: str, data: bytes) -> bool:
        path = self.blobs / key[:2] / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data, durable=False)
        except OSError as error:
            logger.warning("could not write the scan cache %s: %s", path, error)
            return False
        return True

    # -- the last result ------------------------------------------------------------------
    def result(self, key: str, facts_keys: Iterable[str]) -> Any | None:
        """The last result when its key is ``key``; the facts it came from are kept too."""
        if self.old_result is None or self.old_result[0] != key:
            return None
        self.result_ = self.old_result
        for facts_key in facts_keys:
            if facts_key in self.old_facts:
                self.facts_[facts_key] = self.old_facts[facts_key]
        return self.old_result[1]

    def put_result(self, key: str, value: Any) -> None:
        self.result_ = (key, value)

    # -- the last Python links, kept per module (see ``linker.ModuleLink``) ---------------
    def links(self) -> Any | None:
        return self.old_links

    def put_links(self, value: Any) -> None:
        self.links_ = value

    # -- the words each file was searched for and holds (see ``scan.mentions``) ----------
    def mentions(self) -> Any | None:
        return self.old_mentions

    def put_mentions(self, value: Any) -> None:
        self.mentions_ = value

    def save(self) -> None:
        if not self.enabled:
            return
        unchanged = (
            self.files == self.old_files
            and self.facts_.keys() == self.old_facts.keys()
            and self.result_ == self.old_result
            and self.links_ in (None, self.old_links)
            and self.mentions_ in (None, self.old_mentions)
        )
        if unchanged:
            return
        links = self.links_ if self.links_ is not None else self.old_links
        mentions = self.mentions_ if self.mentions_ is not None else self.old_mentions
        payload = {"fingerprint": self.fingerprint, "files": self.files, "facts": self.facts_,
                   "result": self.result_, "links": links, "mentions": mentions}  # fmt: skip
        try:
            write_atomic(self.path, marshal.dumps(payload), durable=False)
        except (OSError, ValueError) as error:
            logger.warning("could not write the scan cache %s: %s", self.path, error)
        self._drop_old_blobs()

    def _drop_old_blobs(self) -> None:
        """Summaries of another scanner version are never read again."""
        try:
            stale = [p for p in self.directory.glob("summaries-*") if p != self.blobs]
        except OSError:
            return
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)
