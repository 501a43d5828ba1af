"""Getting file contents into the store: streamed, hashed while copied, written atomically.

A multi-GB weight file is read once in 8 MiB chunks: sha256 (and, for small files, the git blob
sha1) are updated as the bytes go to a temporary file beside ``blobs/<sha256>``, which is then
renamed into place, so a crash never leaves a half-written blob under a real name.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def ingest(blobs: Path, path: str, source: bytes | Path) -> FileEntry:
    """Store ``source`` (bytes or a file) as ``blobs/<sha256>`` and describe it as repo ``path``."""
    if isinstance(source, bytes | bytearray):
        return _ingest_chunks(blobs, path, len(source), iter([bytes(source)]))
    size = source.stat().st_size
    with source.open("rb") as f:
        return _ingest_chunks(blobs, path, size, iter(lambda: f.read(_CHUNK), b""))


def _ingest_chunks(blobs: Path, path: str, size: int, chunks: Iterator[bytes]) -> FileEntry:
    lfs = metadata.is_lfs(path, size)
    sha256 = hashlib.sha256()
    # LFS files are named by sha256 only; skipping their sha1 halves the hashing of big weights.
    sha1 = None if lfs else hashlib.sha1(metadata.git_blob_header(size), usedforsecurity=False)
    blobs.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=blobs, prefix=".incoming-")
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                sha256.update(chunk)
                if sha1 is not None:
                    sha1.update(chunk)
                out.write(chunk)
                written += len(chunk)
        if written != size:
            raise OSError(f"{path} changed size while being read ({size} -> {written})")
        Path(tmp).replace(blobs / sha256.hexdigest())
    finally:
        Path(tmp).unlink(missing_ok=True)
    digest = sha256.hexdigest()
    pointer = metadata.lfs_pointer(digest, size)
    oid = metadata.git_oid(pointer) if sha1 is None else sha1.hexdigest()
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    Path(tmp).replace(path)
