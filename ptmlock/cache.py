"""The Hugging Face cache layout, and ptmlock's record of files it has verified there.

Layout (what huggingface_hub 2.x reads, so applications load offline with no change)::

    <cache>/models--<org>--<name>/blobs/<sha256>
    <cache>/models--<org>--<name>/snapshots/<commit>/<path>   -> ../../blobs/<sha256> (relative)
    <cache>/models--<org>--<name>/refs/<requested>            holds <commit>
    <cache>/models--<org>--<name>/.no_exist/<commit>/<path>   empty: not in the repo there
    <cache>/.locks/models--<org>--<name>/<sha256>.lock        shared with huggingface_hub

ptmlock names every blob by its sha256 (huggingface_hub names small git files by their git
oid; it only ever reads blobs through the snapshot links, so both load the same).
The record ``models--<org>--<name>/.ptmlock-verified.json`` (kept by layout.py) maps a blob's
sha256 to the (size, mtime_ns, inode) it had when ptmlock last hashed it: an unchanged stat means an
unchanged file, which makes a warm install or verify cost one stat per file.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from ptmlock.atomic import write_atomic
from ptmlock.errors import UnsafePathError
from ptmlock.lockfile import safe_relpath

__all__ = ["ModelCache", "VerifiedRecord"]


def _stat_key(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


class VerifiedRecord:
    """sha256 -> stat of the blob when it was last verified; thread-safe, saved atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._dirty = False
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            self._entries: dict[str, list[int]] = {
                k: v for k, v in raw.items() if isinstance(v, list) and len(v) == 3
            }
        except (OSError, ValueError, AttributeError, RecursionError):  # a lost record: rehash
            self._entries = {}

    @property
    def dirty(self) -> bool:
        """Whether ``save`` would write."""
        return self._dirty

    def is_verified(self, sha256: str, blob: Path) -> bool:
        with self._lock:
            known = self._entries.get(sha256)
        return known is not None and known == _stat_key(blob)

    def mark(self, sha256: str, blob: Path) -> None:
        key = _stat_key(blob)
        with self._lock:
            if key is not None and self._entries.get(sha256) != key:
                self._entries[sha256] = key
                self._dirty = True

    def forget(self, sha256: str) -> None:
        with self._lock:
            self._dirty |= self._entries.pop(sha256, None) is not None

    def save(self) -> None:
        with self._lock:
            if not self._dirty:
                return
            data = json.dumps(self._entries, sort_keys=True).encode()
            self._dirty = False
        write_atomic(self.path, data, durable=False)  # a lost record only costs a rehash


@dataclass(frozen=True, slots=True)
class ModelCache:
    """Paths of one model repo in the cache."""

    root: Path  # the cache
    model_id: str

    @property
    def folder(self) -> str:
        return "models--" + self.model_id.replace("/", "--")

    @property
    def repo(self) -> Path:
        return self.root / self.folder

    def blob(self, sha256: str) -> Path:
        return self.repo / "blobs" / sha256

    def snapshot(self, commit: str, relpath: str) -> Path:
        if not safe_relpath(relpath):
            raise UnsafePathError(f"{self.model_id}: unsafe file name {relpath!r}")
        return self.repo / "snapshots" / commit / relpath

    def no_exist(self, commit: str, relpath: str) -> Path:
        """huggingface_hub's negative-cache marker: ``relpath`` is not in the repo at ``commit``."""
        if not safe_relpath(relpath):
            raise UnsafePathError(f"{self.model_id}: unsafe file name {relpath!r}")
        return self.repo / ".no_exist" / commit / relpath

    def ref(self, name: str) -> Path:
        if not safe_relpath(name):
            raise UnsafePathError(f"{self.model_id}: unsafe revision name {name!r}")
        return self.repo / "refs" / name

    def lock_file(self, sha256: str) -> Path:
        return self.root / ".locks" / self.folder / f"{sha256}.lock"

    def link_target(self, commit: str, relpath: str, sha256: str) -> str:
        """The relative symlink target from a snapshot entry to its blob."""
        depth = relpath.count("/") + 2  # up through the path's folders, <commit>, snapshots
        return "/".join([".."] * depth + ["blobs", sha256])
