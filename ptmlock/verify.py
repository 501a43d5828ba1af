"""Check that every locked file in the cache is present and holds exactly the locked bytes.

A file is read through the snapshot entry the application would open, so a broken link, a
missing blob, and a flipped byte all count. The verified record (cache.py) makes an unchanged
cache cost one stat per file; ``full=True`` rehashes everything, several files at once.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ptmlock.events import Progress, no_progress
from ptmlock.hashing import sha256_file
from ptmlock.layout import Layout, Placement
from ptmlock.models import Lock, LockedFile, LockedModel

__all__ = ["Problem", "VerifyReport", "verify"]


@dataclass(frozen=True, slots=True)
class Problem:
    model: str
    path: str
    kind: str  # missing | size | sha256
    expected: str
    actual: str

    def __str__(self) -> str:
        where = f"{self.model}: {self.path}"
        if self.kind == "missing":
            return f"{where}: missing (nothing at {self.expected})"
        return f"{where}: {self.kind} (expected {self.expected}, got {self.actual})"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    checked: int
    hashed: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    lock: Lock,
    *,
    cache_dir: Path | None = None,
    torch_dir: Path | None = None,
    full: bool = False,
    jobs: int | None = None,
    progress: Progress = no_progress,
) -> VerifyReport:
    """Check every locked file; ``full`` ignores the record and rehashes all of them."""
    layout = Layout(cache_dir, torch_dir)
    work = [(m, f, layout.place(m, f)) for m in lock.models for f in m.files]
    work.sort(key=lambda w: -w[1].size)  # largest first: the cores finish together
    workers = jobs or min(len(work), os.cpu_count() or 1) or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda w: _check(*w, full=full, progress=progress), work))
    layout.save()
    problems = tuple(
        sorted((p for p, _ in results if p is not None), key=lambda p: (p.model, p.path))
    )
    return VerifyReport(
        checked=len(work), hashed=sum(1 for _, hashed in results if hashed), problems=problems
    )


def _check(
    model: LockedModel, file: LockedFile, place: Placement, *, full: bool, progress: Progress
) -> tuple[Problem | None, bool]:
    """(the problem, or None; whether the file was hashed)."""
    name = f"{model.id}/{file.path}"
    problem, hashed = _inspect(model, file, place, full=full, name=name, progress=progress)
    progress("done" if hashed else "reused", name, file.size)
    return problem, hashed


def _inspect(
    model: LockedModel,
    file: LockedFile,
    place: Placement,
    *,
    full: bool,
    name: str,
    progress: Progress,
) -> tuple[Problem | None, bool]:
    record = place.record
    try:
        real = place.opened.resolve(strict=True)
        size = real.stat().st_size
    except (OSError, RuntimeError):
        return Problem(model.id, file.path, "missing", str(place.opened), ""), False
    if size != file.size:
        record.forget(file.sha256)
        return Problem(model.id, file.path, "size", str(file.size), str(size)), False
    if not full and record.is_verified(file.sha256, real):
        return None, False
    progress("start", name, file.size)
    actual = sha256_file(real, lambda n: progress("bytes", name, n))
    if actual != file.sha256:
        record.forget(file.sha256)
        return Problem(model.id, file.path, "sha256", file.sha256, actual), True
    if real == place.final.resolve():
        record.mark(file.sha256, real)
    return None, True
