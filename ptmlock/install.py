"""Fetch exactly the locked files, verify every byte, place them where loaders look.

For each file: reuse the blob when the verified record (or a rehash) says it is right;
otherwise stream it into ``blobs/<sha256>.incomplete`` (resuming a partial one with HTTP
Range), hashing while writing, and rename it into place only when size and sha256 match the
lock. A mismatch deletes the partial file and fails naming model, file, expected and actual
sha256: wrong bytes are never retried into the cache. Transient failures (429, 5xx, dropped
or truncated bodies) are retried with backoff, resuming where the bytes stopped.
A file lock per blob (huggingface_hub's own ``.locks`` layout) keeps two installs, or an
install and huggingface_hub, from writing the same blob at once. Before the first byte, the
files still missing are checked against each filesystem's free space; a local failure later
(disk full, no permission) is a StorageError naming the file, and the partial file stays.
Nothing is written through a symlink ptmlock did not make (confine.py): partial files open with
``O_NOFOLLOW``, and every folder written into must resolve inside the cache (or the target).
"""

from __future__ import annotations

import errno
import functools
import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

from ptmlock.atomic import write_atomic
from ptmlock.cache import ModelCache
from ptmlock.confine import Confinement, open_partial, refuse_link
from ptmlock.errors import (
    HubError,
    IntegrityError,
    OfflineError,
    PtmlockError,
    StorageError,
    TransientHubError,
    UnsafePathError,
)
from ptmlock.events import Progress, no_progress
from ptmlock.hashing import sha256_file, sha256_prefix
from ptmlock.hubs.interface import Hub, OpenFile
from ptmlock.layout import Layout, Placement
from ptmlock.lockfile import safe_relpath
from ptmlock.models import Lock, LockedFile, LockedModel
from ptmlock.named import check_embedded
from ptmlock.retry import DEFAULT_POLICY, RetryPolicy, call_with_retries
from ptmlock.sizes import human_size
from ptmlock.sources.interface import Source

__all__ = ["FileResult", "InstallReport", "install"]

log = logging.getLogger(__name__)
# bytes per network read; a read fills it before returning, so progress and resume move in
# steps of this size
BUFFER = 256 * 1024
# errors of a local folder that a hint can help with (EDQUOT: a quota; not on every platform)
_NO_ROOM = frozenset({errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)})
_NO_PERMISSION = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


@dataclass(frozen=True, slots=True)
class FileResult:
    model: str
    path: str
    size: int
    action: str  # fetched | reused | resumed


@dataclass(slots=True)
class InstallReport:
    files: list[FileResult] = field(default_factory=list)
    bytes_fetched: int = 0
    seconds: float = 0.0

    @property
    def fetched(self) -> list[FileResult]:
        return [f for f in self.files if f.action != "reused"]

    @property
    def reused(self) -> list[FileResult]:
        return [f for f in self.files if f.action == "reused"]


@dataclass(slots=True)
class _Job:
    model: LockedModel
    file: LockedFile
    place: Placement

    @property
    def name(self) -> str:
        return f"{self.model.id}/{self.file.path}"


def install(
    lock: Lock,
    *,
    hubs: Mapping[str, Hub] | Callable[[str], Hub],
    cache_dir: Path | None = None,
    torch_dir: Path | None = None,
    target: Path | None = None,
    jobs: int = 8,
    offline: bool = False,
    progress: Progress = no_progress,
    policy: RetryPolicy = DEFAULT_POLICY,
    sources: Sequence[Source] = (),
    hub_fallback: bool = True,
) -> InstallReport:
    """Install every file of ``lock`` where its loader looks (and under ``target``, if given).

    Hub models go to the HF cache (``cache_dir``), URL checkpoints to torch's (``torch_dir``).
    Each file is fetched from the first of ``sources`` that delivers it, then from its hub when
    there are no sources or ``hub_fallback`` is set; every byte is verified whatever the origin.
    """
    started = time.monotonic()
    layout = Layout(cache_dir, torch_dir)
    get_hub = hubs.__getitem__ if isinstance(hubs, Mapping) else hubs
    for model in lock.models:  # a lock whose sha256 disagrees with the library's own hash
        if model.hub == "url":
            for file in model.files:
                check_embedded(model.id, file.sha256)
    work = [_Job(m, f, layout.place(m, f)) for m in lock.models for f in m.files]
    with _local_io(layout.hf_cache):
        if offline:
            _require_installed(work)
        else:
            _check_space(work)
        try:
            worker = _Worker(_origins(get_hub, sources, hub_fallback), progress, policy)
            report = _fetch_all(work, worker, jobs)
        finally:
            layout.save()
        for model in lock.models:
            if model.hub == "huggingface":
                _write_ref(ModelCache(layout.hf_cache, model.id), model, layout.hf_within)
                _write_absent(ModelCache(layout.hf_cache, model.id), model, layout.hf_within)
            elif model.hub == "pytorch_hub":
                _trust(layout.torch_hub / "trusted_list", model.id.replace("/", "_", 1))
            if target is not None:
                _materialize(layout, model, target)
    report.files.sort(key=lambda r: (r.model, r.path))
    report.seconds = time.monotonic() - started
    return report


def _require_installed(work: list[_Job]) -> None:
    """Offline: every file present with the locked bytes. A present file with other bytes is
    corrupt (an integrity failure, like ``verify``'s), not merely missing."""
    bad = [j for j in work if not _reusable(j)]
    corrupt = [j.name for j in bad if j.place.final.is_file()]
    if corrupt:
        raise IntegrityError(
            f"offline, and {len(corrupt)} installed file(s) are corrupt (size or sha256 differ "
            "from the lock): " + ", ".join(corrupt),
            hint="run `ptmlock install` once with network access to replace them",
        )
    missing = [j.name for j in bad]
    if missing:
        raise OfflineError(
            f"offline, and {len(missing)} locked file(s) are not installed: " + ", ".join(missing),
            hint="run `ptmlock install` once with network access",
        )


def _check_space(work: list[_Job]) -> None:
    """Fail before the first download when a filesystem can't hold the files still missing
    (sizes are exact: they come from the lock)."""
    need: dict[int, tuple[Path, int]] = {}  # device -> (a folder on it, bytes to write there)
    for job in work:
        final, partial = job.place.final, job.place.partial
        if final.exists():
            continue  # reused, or replaced by the same number of bytes
        have = partial.stat().st_size if partial.exists() else 0
        folder = next(p for p in (final.parent, *final.parents) if p.exists())
        device = folder.stat().st_dev
        shown, total = need.get(device, (folder, 0))
        need[device] = (shown, total + max(job.file.size - have, 0))
    for folder, total in need.values():
        free = shutil.disk_usage(folder).free
        if total > free:
            raise StorageError(
                f"{folder}: the locked files still missing need {human_size(total)}, "
                f"and {human_size(free)} is free",
                hint="free some space, or install elsewhere with --cache-dir (HF_HUB_CACHE) "
                "or TORCH_HOME",
            )


def _fetch_all(work: list[_Job], worker: _Worker, jobs: int) -> InstallReport:
    """Every job on a pool of ``jobs`` threads, largest file first; the first failure raised
    once all have ended. Ctrl-C stops the workers at their next chunk."""
    report = InstallReport()
    failures: list[PtmlockError] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(worker.run, job) for job in sorted(work, key=lambda j: -j.file.size)]
        try:
            for future in as_completed(futures):
                try:
                    result = future.result()
                except PtmlockError as exc:
                    failures.append(exc)
                    continue
                report.files.append(result)
                if result.action != "reused":
                    report.bytes_fetched += result.size
        except BaseException:
            worker.cancel.set()  # partial files stay hidden (and resumable)
            raise
    if failures:
        raise failures[0]
    return report


@contextmanager
def _local_io(where: Path) -> Iterator[None]:
    """A local filesystem failure as a StorageError naming the file (``where`` when the OS
    doesn't say: a failed write names no file)."""
    try:
        yield
    except OSError as exc:
        path = exc.filename or where
        if exc.errno in _NO_ROOM:
            hint = (
                "free some space (the partial download is kept and resumes), or install "
                "elsewhere with --cache-dir (HF_HUB_CACHE) or TORCH_HOME"
            )
        elif exc.errno in _NO_PERMISSION:
            hint = "install where you may write: --cache-dir (HF_HUB_CACHE) or TORCH_HOME"
        else:
            hint = None
        raise StorageError(f"{path}: {exc.strerror or exc}", hint=hint) from None


def _reusable(job: _Job) -> bool:
    """Whether the file is present with the locked bytes (by the record, else by hashing)."""
    final, record = job.place.final, job.place.record
    if not record.is_verified(job.file.sha256, final):
        if not final.is_file() or final.stat().st_size != job.file.size:
            return False
        if sha256_file(final) != job.file.sha256:
            return False
        record.mark(job.file.sha256, final)
    return True


# where a file's bytes can come from: (model, file, offset) -> an open stream
_Opener = Callable[[LockedModel, LockedFile, int], OpenFile]


def _origins(
    get_hub: Callable[[str], Hub], sources: Sequence[Source], hub_fallback: bool
) -> list[tuple[str, _Opener]]:
    """The sources in order, then the model's hub (when allowed), each with a name for logs."""
    origins = [(source.url, _source_opener(source)) for source in sources]
    if hub_fallback or not sources:
        origins.append(("hub", _hub_opener(get_hub)))
    return origins


def _source_opener(source: Source) -> _Opener:
    return lambda model, file, at: source.open_file(model, file, offset=at)


def _hub_opener(get_hub: Callable[[str], Hub]) -> _Opener:
    return lambda model, file, at: get_hub(model.hub).open_file(model, file, offset=at)


class _Worker:
    def __init__(
        self, origins: list[tuple[str, _Opener]], progress: Progress, policy: RetryPolicy
    ) -> None:
        self.origins, self.progress, self.policy = origins, progress, policy
        self.cancel = threading.Event()

    def run(self, job: _Job) -> FileResult:
        with _local_io(job.place.partial):
            return self._run(job)

    def _run(self, job: _Job) -> FileResult:
        action = "reused"
        if not _reusable(job):
            job.place.within.folder(job.place.lock.parent)
            with FileLock(str(job.place.lock)):
                # another process may have finished it while we waited for the lock
                if not _reusable(job):
                    action = self._download(job, job.name)
        if action == "reused":
            self.progress("reused", job.name, job.file.size)
        if job.place.link_target is not None:
            _link(job.place.opened, job.place.link_target, job.place.within)
        return FileResult(job.model.id, job.file.path, job.file.size, action)

    def _download(self, job: _Job, name: str) -> str:
        blob = job.place.final
        job.place.within.folder(blob.parent)
        partial = job.place.partial
        refuse_link(partial)  # planted: "resuming" would write into whatever it points at
        if blob.exists():  # present but wrong: not a good file, replace it
            job.place.record.forget(job.file.sha256)
            blob.unlink()
        resumed = partial.exists() and 0 < partial.stat().st_size <= job.file.size
        if partial.exists() and not resumed:
            partial.unlink()
        self.progress("start", name, job.file.size)
        digest = self._fetch(job, partial, name)
        if digest != job.file.sha256:
            partial.unlink(missing_ok=True)
            raise IntegrityError(
                f"{job.model.id}@{job.model.revision[:12]}: {job.file.path}: sha256 mismatch "
                f"(expected {job.file.sha256}, got {digest}); nothing was written to the cache",
                hint="the hub or mirror served different bytes than the lock pins; re-lock only "
                "if intended",
            )
        partial.replace(blob)
        job.place.record.mark(job.file.sha256, blob)
        self.progress("done", name, job.file.size)
        return "resumed" if resumed else "fetched"

    def _fetch(self, job: _Job, partial: Path, name: str) -> str:
        """The file from the first origin that delivers it whole (each with its retries); a
        later origin resumes what an earlier one left in ``partial``."""
        failure: PtmlockError | None = None
        for origin, open_file in self.origins:
            try:
                return call_with_retries(
                    functools.partial(self._fetch_once, job, partial, name, open_file),
                    what=name,
                    policy=self.policy,
                )
            except HubError as exc:
                log.info("%s: not from %s: %s", name, origin, exc)
                failure = exc
        assert failure is not None, "there is always at least one origin"
        raise failure

    def _fetch_once(self, job: _Job, partial: Path, name: str, open_file: _Opener) -> str:
        """One attempt: continue ``partial`` from its length; the sha256 of the whole file."""
        have = partial.stat().st_size if partial.exists() else 0
        digest = sha256_prefix(partial, have) if have else hashlib.sha256()
        with open_file(job.model, job.file, have) as stream:
            if stream.offset != have:  # the server ignored Range: start over
                have, digest = 0, hashlib.sha256()
            view = memoryview(bytearray(BUFFER))  # one buffer per file: no per-chunk copies
            with open_partial(partial, have) as out:
                while got := stream.readinto(view):
                    if self.cancel.is_set():
                        raise KeyboardInterrupt
                    have += got
                    if have > job.file.size:
                        break  # longer than locked: the hash will say it is wrong
                    out.write(view[:got])
                    digest.update(view[:got])
                    self.progress("bytes", name, got)
        if have < job.file.size:
            raise TransientHubError(f"{name}: body ended at {have} of {job.file.size} bytes")
        return digest.hexdigest() if have == job.file.size else "(longer than the locked size)"


def _link(path: Path, target: str, within: Confinement) -> None:
    """Point ``path`` at ``target`` (relative symlink), atomically, unless it already does."""
    try:
        if str(path.readlink()) == target:
            return
    except OSError:
        pass
    within.folder(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    tmp.replace(path)


def _trust(trusted_list: Path, owner_repo: str) -> None:
    """Add ``owner_repo`` to torch.hub's ``trusted_list`` (what ``trust_repo=True`` writes), so
    ``trust_repo="check"`` does not prompt for a repo the lock pins; torch.hub already trusts
    a repo whose folder it finds, this says so for the whole repo."""
    try:
        known = trusted_list.read_text(encoding="utf-8").split()
    except FileNotFoundError:
        known = []
    if owner_repo not in known:
        refuse_link(trusted_list)  # appending through a planted link would write elsewhere
        with trusted_list.open("a", encoding="utf-8") as out:
            out.write(owner_repo + "\n")


def _write_ref(cache: ModelCache, model: LockedModel, within: Confinement) -> None:
    name = model.requested or "main"
    if name == model.revision:
        return  # a commit sha is looked up in snapshots/ directly
    ref = cache.ref(name)
    try:
        if ref.read_text(encoding="utf-8") == model.revision:
            return
    except OSError:
        pass
    within.folder(ref.parent)
    refuse_link(ref)
    write_atomic(ref, model.revision.encode(), durable=False)  # cache bookkeeping, as hf does


def _write_absent(cache: ModelCache, model: LockedModel, within: Confinement) -> None:
    """The ``.no_exist`` markers of the files the loaders probe and the repo lacks: empty files
    (not content: nothing to verify), as huggingface_hub writes them after a 404."""
    for path in model.absent:
        marker = cache.no_exist(model.revision, path)
        if not marker.is_file():
            within.folder(marker.parent)
            refuse_link(marker)  # touching a dangling link would create its target
            marker.touch()


def _materialize(layout: Layout, model: LockedModel, target: Path) -> None:
    """A plain folder per model under ``target`` (hardlinks from the cache, copies otherwise).

    Hub models go to ``target/<org>/<name>/<path>``, URL checkpoints to ``target/<file name>``.
    A file already there is left alone when it is the blob, or a copy of it with the blob's
    size and mtime (copies keep the mtime), so a re-run on another filesystem copies nothing.
    """
    folder = target if model.hub == "url" else target / model.id
    if model.hub != "url" and not safe_relpath(model.id):
        raise UnsafePathError(f"{model.id}: unsafe model id for a target folder")
    within = Confinement(target)
    for file in model.files:
        blob = layout.place(model, file).final
        dest = folder / file.path
        if _holds(dest, blob):
            continue
        within.folder(dest.parent)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        try:
            os.link(blob, tmp)
        except OSError:  # another filesystem, or no hard links here
            shutil.copy2(blob, tmp)
        tmp.replace(dest)


def _holds(dest: Path, blob: Path) -> bool:
    """Whether ``dest`` is ``blob`` (a hard link) or an unchanged copy of it."""
    try:
        have, want = dest.stat(), blob.stat()
    except OSError:
        return False
    if (have.st_dev, have.st_ino) == (want.st_dev, want.st_ino):
        return True
    return have.st_size == want.st_size and have.st_mtime_ns == want.st_mtime_ns
