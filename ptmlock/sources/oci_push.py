"""``ptmlock push``: each locked model, at its locked revision, as one ModelPack artifact.

First the lock is installed (a no-op costing one ``stat`` per file when the cache already holds
the verified bytes; missing files are fetched from the hub and verified), so every blob is sent
from the cache without hashing it again: its digest is the lock's sha256, and the registry
checks it once more when the upload closes. Per blob: a ``HEAD`` skips what the repository
already has, a cross-repository mount links what another model of the lock's repositories holds
(sent earlier in this push, or by an earlier one), anything else is uploaded (in chunks when
large). Then the config blob, and the manifest under the
revision tag and the requested ref's tag (oci_names.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ptmlock import errors
from ptmlock.events import Progress, no_progress
from ptmlock.hubs.interface import Hub
from ptmlock.install import install
from ptmlock.layout import Layout
from ptmlock.models import Lock, LockedFile, LockedModel
from ptmlock.retry import DEFAULT_POLICY, RetryPolicy
from ptmlock.sources.interface import SourceError
from ptmlock.sources.oci_artifact import build_artifact
from ptmlock.sources.oci_client import Registry, named
from ptmlock.sources.oci_names import OciLocation, ref_tag, repository, revision_tag

__all__ = ["PushReport", "PushedModel", "push"]


@dataclass(frozen=True, slots=True)
class PushedModel:
    model: str
    revision: str
    reference: str  # host/repository, what `docker pull`-style tools take
    tags: tuple[str, ...]
    digest: str  # the manifest's
    uploaded: int  # blobs sent
    skipped: int  # blobs the repository already had
    mounted: int  # blobs linked from another repository
    bytes_uploaded: int


@dataclass(slots=True)
class PushReport:
    models: list[PushedModel] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(slots=True)
class _Blob:
    name: str  # for messages and progress: model@rev: path
    digest: str
    size: int
    body: Path | bytes


def push(
    lock: Lock,
    location: OciLocation,
    *,
    hubs: Mapping[str, Hub] | Callable[[str], Hub],
    insecure: bool = False,
    cache_dir: Path | None = None,
    torch_dir: Path | None = None,
    jobs: int = 8,
    offline: bool = False,
    progress: Progress = no_progress,
    policy: RetryPolicy = DEFAULT_POLICY,
    chunk_size: int | None = None,
) -> PushReport:
    """Push every model of ``lock`` to ``location``; see the module docstring."""
    started = time.monotonic()
    install(lock, hubs=hubs, cache_dir=cache_dir, torch_dir=torch_dir, jobs=jobs,
            offline=offline, policy=policy)  # fmt: skip
    layout = Layout(cache_dir, torch_dir)
    extra = {"chunk_size": chunk_size} if chunk_size else {}
    registry = Registry(location, insecure=insecure, policy=policy, **extra)
    pusher = _Pusher(registry, location, progress, jobs)
    pusher.expect(lock)
    report = PushReport()
    try:
        for model in lock.models:
            report.models.append(pusher.model(model, layout))
    finally:
        registry.close()
    report.seconds = time.monotonic() - started
    return report


class _Pusher:
    def __init__(
        self, registry: Registry, location: OciLocation, progress: Progress, jobs: int
    ) -> None:
        self.registry, self.location, self.progress, self.jobs = registry, location, progress, jobs
        self.holders: dict[str, str] = {}  # digest -> a repository known to hold it
        self.elsewhere: dict[str, list[str]] = {}  # digest -> repositories of the lock's models

    def expect(self, lock: Lock) -> None:
        """Note which repositories the lock's models go to, so a blob one of them may already
        hold (from an earlier push) is mounted from there rather than sent again."""
        for model in lock.models:
            repo = repository(self.location, model)
            for file in model.files:
                self.elsewhere.setdefault(f"sha256:{file.sha256}", []).append(repo)

    def model(self, model: LockedModel, layout: Layout) -> PushedModel:
        repo = repository(self.location, model)
        artifact = build_artifact(model)
        label = f"{model.id}@{model.revision[:12]}"
        blobs = {
            f"sha256:{f.sha256}": self._file_blob(label, f, model, layout) for f in model.files
        }
        blobs[artifact.config_digest] = _Blob(
            f"{label}: (config)", artifact.config_digest, len(artifact.config), artifact.config
        )
        with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as pool:
            outcomes = list(pool.map(lambda b: self._blob(repo, b), blobs.values()))
        tags = [revision_tag(model)]
        if model.requested and ref_tag(model.requested) not in tags:
            tags.append(ref_tag(model.requested))
        for tag in tags:
            self._manifest(repo, tag, artifact.manifest, artifact.digest, label)
        sent = [b for b, o in zip(blobs.values(), outcomes, strict=True) if o == "uploaded"]
        return PushedModel(
            model=model.id,
            revision=model.revision,
            reference=f"{self.location.host}/{repo}",
            tags=tuple(tags),
            digest=artifact.digest,
            uploaded=len(sent),
            skipped=outcomes.count("skipped"),
            mounted=outcomes.count("mounted"),
            bytes_uploaded=sum(b.size for b in sent),
        )

    def _file_blob(self, label: str, file: LockedFile, model: LockedModel, layout: Layout) -> _Blob:
        path = layout.place(model, file).final  # verified by the install above
        return _Blob(f"{label}: {file.path}", f"sha256:{file.sha256}", file.size, path)

    def _blob(self, repo: str, blob: _Blob) -> str:
        """Make ``repo`` hold ``blob``: "skipped", "mounted" or "uploaded"."""
        try:
            outcome = self._send(repo, blob)
        except errors.PtmlockError as exc:
            raise named(exc, f"{blob.name} to {self.location.url}") from None
        self.holders.setdefault(blob.digest, repo)
        return outcome

    def _send(self, repo: str, blob: _Blob) -> str:
        if self.registry.has_blob(repo, blob.digest):
            self.progress("reused", blob.name, blob.size)
            return "skipped"
        holder = self._holder(repo, blob.digest)
        if holder and self.registry.mount(repo, blob.digest, holder):
            self.progress("reused", blob.name, blob.size)
            return "mounted"
        self.progress("start", blob.name, blob.size)
        self.registry.upload(
            repo, blob.digest, blob.size, blob.body, lambda n: self.progress("bytes", blob.name, n)
        )
        self.progress("done", blob.name, blob.size)
        return "uploaded"

    def _holder(self, repo: str, digest: str) -> str | None:
        """Another repository of this registry that holds ``digest``, if one is known."""
        known = self.holders.get(digest)
        if known and known != repo:
            return known
        others = [r for r in self.elsewhere.get(digest, []) if r != repo]
        return next((r for r in others if self.registry.has_blob(r, digest)), None)

    def _manifest(self, repo: str, tag: str, body: bytes, digest: str, label: str) -> None:
        try:
            stored = self.registry.put_manifest(repo, tag, body)
        except errors.PtmlockError as exc:
            raise named(exc, f"{label}: manifest to {self.location.url}") from None
        if stored and stored != digest:
            raise SourceError(
                f"{label}: {self.location.host}/{repo}:{tag} stored the manifest as {stored}, "
                f"not {digest}"
            )
