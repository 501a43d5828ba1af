"""Getting file contents into the store: streamed, hashed while copied, written atomically.

A file is copied by the kernel (``shutil.copyfile``, several GB/s) to a temporary file beside
``blobs/``, then that copy, exactly the bytes that will be served, is hashed (sha256 and, for
small files, the git blob sha1) in 8 MiB chunks and renamed to ``blobs/<sha256>``: a crash never
leaves a half-written blob under a real name, and multi-GB weights go in at hashing speed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ptmlock.atomic import write_atomic
from ptmlock.mirror import metadata

__all__ = ["FileEntry", "ingest", "walk_folder", "write_json"]

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file of a commit's tree: ``git_oid`` is the Hub's ``blobId`` (see ``store``)."""

    path: str
    size: int
    sha256: str
    git_oid: str
    lfs: bool


def ingest(blobs: Path, path: str, source: bytes | Path, *, link: bool = False) -> FileEntry:
    """Store ``source`` (bytes or a file) as ``blobs/<sha256>`` and describe it as repo ``path``.

    ``link`` hard-links a source file instead of copying it when both are on one filesystem (for
    multi-GB benchmark repos); the blob then changes if someone edits the source in place.
    """
    blobs.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=blobs, prefix=".incoming-")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(source, Path):
                out.close()
                _copy_or_link(source, tmp, link)
            else:
                out.write(source)
        entry = _describe(tmp, path)
        tmp.replace(blobs / entry.sha256)
    finally:
        tmp.unlink(missing_ok=True)
    return entry


def _copy_or_link(source: Path, target: Path, link: bool) -> None:
    if link:
        target.unlink()
        try:
            target.hardlink_to(source)
            return
        except OSError:  # another filesystem, or links not allowed: copy instead
            pass
    shutil.copyfile(source, target)


def _describe(file: Path, path: str) -> FileEntry:
    """Hash ``file`` (stored as repo ``path``) into a ``FileEntry``."""
    size = file.stat().st_size
    lfs = metadata.is_lfs(path, size)
    sha256 = hashlib.sha256()
    # LFS files are named by sha256 only; skipping their sha1 halves the hashing of big weights.
    sha1 = None if lfs else hashlib.sha1(metadata.git_blob_header(size), usedforsecurity=False)
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with file.open("rb", buffering=0) as f:
        while n := f.readinto(buffer):
            sha256.update(view[:n])
            if sha1 is not None:
                sha1.update(view[:n])
    digest = sha256.hexdigest()
    oid = metadata.git_oid(metadata.lfs_pointer(digest, size)) if sha1 is None else sha1.hexdigest()
    return FileEntry(path=path, size=size, sha256=digest, git_oid=oid, lfs=lfs)


def walk_folder(folder: Path) -> dict[str, Path]:
    """Every file under ``folder`` (symlinks followed) by "/"-separated path, skipping ``.git``."""
    found: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in filenames:
            full = Path(dirpath) / name
            found[full.relative_to(folder).as_posix()] = full
    return found


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` atomically (temporary file, then rename)."""
    write_atomic(path, json.dumps(data, indent=1, sort_keys=True).encode())
