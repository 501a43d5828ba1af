"""SHA-256 of files and streams: the one place integrity is computed.

Hubs only move bytes; install and verify call these. hashlib releases the GIL on large
buffers, so threads hashing different files use every core.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

__all__ = ["CHUNK", "sha256_file", "sha256_prefix"]

CHUNK = 4 * 1024 * 1024  # large reads keep hashlib at its per-core limit


def sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    """The hex sha256 of the whole file at ``path``; ``progress(n)`` after each ``n`` bytes."""
    return sha256_prefix(path, None, progress).hexdigest()


def sha256_prefix(
    path: Path, length: int | None, progress: Callable[[int], None] | None = None
) -> hashlib._Hash:
    """A sha256 object fed the first ``length`` bytes of ``path`` (all of it when None).

    Used to continue hashing where a partial download left off.
    """
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    remaining = length
    with path.open("rb", buffering=0) as handle:
        while remaining is None or remaining > 0:
            want = CHUNK if remaining is None else min(CHUNK, remaining)
            got = handle.readinto(view[:want])
            if not got:
                break
            digest.update(view[:got])
            if progress is not None:
                progress(got)
            if remaining is not None:
                remaining -= got
    return digest
