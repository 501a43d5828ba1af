"""Writes that stay inside the folder they belong to, whatever symlinks were planted there.

Caches are shared between CI jobs, so a file or folder in one may have been put there by someone
else: ``blobs/<sha>.incomplete`` as a symlink to a file outside (a "resumed" download would grow
that file), ``snapshots/<commit>`` as a symlink to an outside folder (it would receive the
links). ptmlock never follows a symlink it did not create when it writes: every folder on the way
to a write must resolve inside the root (a user's own symlink that stays inside is fine), and
partial files are opened with ``O_NOFOLLOW``. A refusal is an UnsafePathError naming the path.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path
from typing import BinaryIO

from ptmlock.errors import UnsafePathError

__all__ = ["Confinement", "open_partial", "refuse_link"]

_HINT = "someone planted a link in a shared folder; remove it (ptmlock never follows one to write)"


class Confinement:
    """Folders under ``root``, made and checked once each (the checks are remembered)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._real: Path | None = None
        self._checked: set[Path] = set()
        self._lock = threading.Lock()

    def folder(self, folder: Path) -> Path:
        """``folder`` made if missing, after checking that every existing folder on the way
        from the root resolves inside the root; UnsafePathError otherwise."""
        with self._lock:
            if folder in self._checked:
                return folder
        if self._real is None:
            if self.root.exists() and not self.root.is_dir():  # said as the OS says it
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(self.root))
            self.root.mkdir(parents=True, exist_ok=True)
            self._real = self.root.resolve()
        try:
            parts = folder.relative_to(self.root).parts
        except ValueError:
            raise UnsafePathError(f"{folder}: outside {self.root}") from None
        here = self.root
        for part in parts:
            here = here / part
            if here.is_symlink() or here.exists():
                self._check(here)
            else:
                here.mkdir(exist_ok=True)
                self._check(here)  # a link planted between the look and the mkdir
        with self._lock:
            self._checked.add(folder)
        return folder

    def _check(self, here: Path) -> None:
        real = here.resolve()
        assert self._real is not None
        if real != self._real and self._real not in real.parents:
            raise UnsafePathError(f"{here}: leads outside {self.root} (to {real})", hint=_HINT)
        if not real.is_dir():
            raise UnsafePathError(f"{here}: not a folder", hint=_HINT)


def open_partial(partial: Path, have: int) -> BinaryIO:
    """``partial`` open for writing at byte ``have`` without following a symlink: kept up to
    there, or a new file when ``have`` is 0.

    Never truncate a file to zero: ext4 then flushes the whole file to disk when it is closed
    (its ``auto_da_alloc`` rule for replace-by-truncate), 0.3 s for every 900 MB on this
    machine, during which the download's thread waits. A new file is made instead.
    """
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    if not have:
        refuse_link(partial)
        partial.unlink(missing_ok=True)
        flags |= os.O_EXCL
    try:
        fd = os.open(partial, flags, 0o666)
    except OSError as exc:
        if partial.is_symlink():
            raise UnsafePathError(
                f"{partial}: a symlink; refusing to write through it", hint=_HINT
            ) from None
        raise exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePathError(f"{partial}: not a regular file; refusing to write into it")
    out = os.fdopen(fd, "wb", buffering=0)
    if have:
        out.truncate(have)
        out.seek(have)
    return out


def refuse_link(path: Path) -> None:
    """UnsafePathError if ``path`` is a symlink (ptmlock never writes through one)."""
    if path.is_symlink():
        raise UnsafePathError(f"{path}: a symlink; refusing to write through it", hint=_HINT)
