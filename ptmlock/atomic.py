"""Replace a file all at once: write a temporary file beside it, then rename it over.

Readers see the old bytes or the new ones, never half a file. A durable write (the default, for
files people commit: ptm.lock, pyproject.toml, exports) is flushed to disk before the rename, so
a crash leaves the old file or the new one. Cache bookkeeping (the verified record, refs, the scan
cache) skips the flush, as huggingface_hub does for its whole cache: on ext4 one fsync waits for
every dirty page of the filesystem, which after a multi-GB install cost 2-3 s (bench/README.md),
and a cache file lost in a crash only costs a rehash.
The new file keeps the old one's permission bits (a new one gets the umask's default, not
mkstemp's 0600: ptm.lock and pyproject.toml are committed and shared).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]

_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically, creating its folder if needed; ``durable``
    flushes it to disk first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_UMASK
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
