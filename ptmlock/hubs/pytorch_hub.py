"""torch.hub repos: a GitHub repo pinned to a commit, its files hashed one by one, its weights.

``torch.hub.load("owner/repo[:ref]", entry)`` downloads a GitHub archive of the ref into
``$TORCH_HOME/hub/<owner>_<repo>_<ref>`` and runs ``hubconf.py`` from there. Archives are not
byte-stable, so the lock pins the commit and every file of its tree (sha256 and size; each is
also checked against the tree's git blob id while it is hashed); the folder is rebuilt from
those files at install. With no ref, torch.hub uses ``main`` when the repo has it, else
``master``: the same rule picks the branch here (``LockedModel.branch``). Weight URLs that the
entry points download (``hubconf.entry_weights``) are locked beside the code as files with a
``url``, installed in ``$TORCH_HOME/hub/checkpoints`` where ``load_state_dict_from_url`` looks.

File paths in the lock: the tree's own paths for code, ``checkpoints/<file>`` for weights.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ptmlock import errors
from ptmlock.hubs.github import GitHub, TreeEntry
from ptmlock.hubs.hubconf import entry_weights
from ptmlock.hubs.interface import Hub, OpenFile
from ptmlock.hubs.selection import exact_patterns
from ptmlock.hubs.url import UrlHub, file_name
from ptmlock.lockfile import safe_relpath
from ptmlock.models import LockedFile, LockedModel, ModelRequest
from ptmlock.retry import DEFAULT_POLICY, RetryPolicy, call_with_retries
from ptmlock.url_mirrors import UrlMirrors

__all__ = ["WEIGHTS_FOLDER", "PytorchHub"]

log = logging.getLogger(__name__)
WEIGHTS_FOLDER = "checkpoints"
_DEFAULT_BRANCHES = ("main", "master")  # torch.hub's own rule, in its order
_PY_LIMIT = 2 * 1024 * 1024  # Python files read for weight URLs (hubconf and its imports)


@dataclass(frozen=True, slots=True)
class _Hashed:
    entry: TreeEntry
    sha256: str
    text: str | None  # the source, for Python files small enough to read


class PytorchHub(Hub):
    name = "pytorch_hub"

    def __init__(
        self,
        *,
        github: GitHub | None = None,
        mirrors: UrlMirrors | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
        jobs: int = 8,
    ) -> None:
        self._github = github or GitHub(mirrors=mirrors, policy=policy)
        self._urls = UrlHub(mirrors=mirrors, policy=policy)
        self._policy, self._jobs = policy, jobs

    def accepts(self, model_id: str) -> bool:
        owner, sep, repo = model_id.partition("/")
        return bool(sep and owner and repo and "/" not in repo and safe_relpath(model_id))

    def resolve(self, request: ModelRequest) -> LockedModel:
        owner, _, repo = request.id.partition("/")
        branch, sha = self._commit(owner, repo, request.requested)
        tree = self._github.tree(owner, repo, sha)
        for entry in tree:
            if not safe_relpath(entry.path):
                raise errors.UnsafePathError(
                    f"{request.id}@{sha}: {self._github.endpoint} listed an unsafe path "
                    f"{entry.path!r}",
                    hint="the answer is refused whole; report it to the server's operators",
                )
        with ThreadPoolExecutor(max_workers=max(1, self._jobs)) as pool:
            hashed = list(pool.map(lambda e: self._hash(owner, repo, sha, e), tree))
        code = tuple(
            LockedFile(path=h.entry.path, size=h.entry.size, sha256=h.sha256) for h in hashed
        )
        sources = {h.entry.path: h.text for h in hashed if h.text is not None}
        entries = tuple(sorted(set(request.files)))
        weights = tuple(self._weight(url) for url in entry_weights(sources, entries))
        return LockedModel(
            hub="pytorch_hub",
            id=request.id,
            revision=sha,
            requested=request.requested,
            branch=branch,
            files=tuple(sorted(code + weights, key=lambda f: f.path)),  # as the lock writes them
            used_by=request.used_by,
            loaders=request.loaders,
            group=request.group,
            libraries=("torch_hub",),
            patterns=exact_patterns(entries),
            entries=entries,
        )

    def _commit(self, owner: str, repo: str, ref: str | None) -> tuple[str | None, str]:
        """(the default branch used, when no ref was asked; the commit)."""
        for candidate in (ref,) if ref else _DEFAULT_BRANCHES:
            sha = self._github.commit(owner, repo, candidate)
            if sha is not None:
                return (None if ref else candidate), sha
        what = f"ref {ref!r}" if ref else "branch main or master"
        raise errors.RevisionNotFoundError(f"{owner}/{repo}: no {what} on {self._github.endpoint}")

    def _hash(self, owner: str, repo: str, sha: str, entry: TreeEntry) -> _Hashed:
        def once() -> _Hashed:
            digest, blob = hashlib.sha256(), hashlib.sha1(usedforsecurity=False)
            blob.update(f"blob {entry.size}\0".encode())
            keep = entry.path.endswith(".py") and entry.size <= _PY_LIMIT
            body, size = bytearray(), 0
            view = memoryview(bytearray(256 * 1024))
            with self._github.open_raw(owner, repo, sha, entry.path) as stream:
                while got := stream.readinto(view):
                    digest.update(view[:got])
                    blob.update(view[:got])
                    size += got
                    if keep:
                        body += view[:got]
            if size != entry.size or blob.hexdigest() != entry.git_sha:
                raise errors.IntegrityError(
                    f"{owner}/{repo}@{sha}: {entry.path}: the bytes served are not the tree's "
                    f"blob {entry.git_sha} ({size} of {entry.size} bytes)"
                )
            text = body.decode("utf-8", "replace") if keep else None
            return _Hashed(entry, digest.hexdigest(), text)

        return call_with_retries(once, what=f"{owner}/{repo}/{entry.path}", policy=self._policy)

    def _weight(self, url: str) -> LockedFile:
        name = file_name(url)
        if name is None:
            raise errors.ConfigError(f"{url}: a weight URL with no usable file name")
        size, sha256, _ = self._urls.hash_url(url)
        return LockedFile(path=f"{WEIGHTS_FOLDER}/{name}", size=size, sha256=sha256, url=url)

    def open_file(self, model: LockedModel, file: LockedFile, *, offset: int = 0) -> OpenFile:
        if file.url:
            return self._urls.open_file_url(file.url, offset)
        owner, _, repo = model.id.partition("/")
        return self._github.open_raw(owner, repo, model.revision, file.path, offset)
