"""An OCI registry as a source: ``install --from oci://HOST/NAMESPACE``.

Per model, the manifest under the revision tag is read once and checked against the lock
(oci_artifact.check_manifest: a missing tag or a manifest that disagrees is one clear line);
then each file is fetched *by the lock's digest* (``/v2/<repo>/blobs/sha256:<locked>``) through
transfer.RawGet, with HTTP Range for resuming. install.py hashes every byte as for a hub, so a
registry that returns other bytes for a digest never gets them into the cache. Every error
names the model, the file and the source.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import TracebackType

from ptmlock import errors
from ptmlock.hubs.interface import OpenFile
from ptmlock.models import LockedFile, LockedModel
from ptmlock.retry import DEFAULT_POLICY, TRANSIENT_STATUS, RetryPolicy, retry_after
from ptmlock.sources.interface import Source, SourceAuthError, SourceError
from ptmlock.sources.oci_artifact import check_manifest
from ptmlock.sources.oci_client import TIMEOUT, Registry, named
from ptmlock.sources.oci_names import OciLocation, parse_location, repository, revision_tag
from ptmlock.transfer import USER_AGENT, Failure, RawGet

__all__ = ["OciSource"]

_HOST = ("", "")  # the key of a failure that concerns the whole registry


def _transient(error: errors.PtmlockError) -> bool:
    return isinstance(error, errors.TransientHubError)


class OciSource(Source):
    def __init__(
        self,
        location: OciLocation,
        *,
        insecure: bool = False,
        timeout: float = TIMEOUT,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.location, self.url, self.policy = location, location.url, policy
        self.registry = Registry(location, insecure=insecure, timeout=timeout, policy=policy)
        self._checked: set[tuple[str, str]] = set()  # (repository, tag) whose manifest is good
        # (repository, tag), or _HOST for the whole registry -> (failed tries, the last error)
        self._failed: dict[tuple[str, str], tuple[int, errors.PtmlockError]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, *, insecure: bool = False) -> OciSource:
        return cls(parse_location(url), insecure=insecure)

    def close(self) -> None:
        self.registry.close()

    def open_file(self, model: LockedModel, file: LockedFile, *, offset: int = 0) -> OpenFile:
        name = f"{model.id}@{model.revision[:12]}: {file.path} from {self.url}"
        repo = repository(self.location, model)
        try:
            self._check(model, repo)
            headers = {"User-Agent": USER_AGENT}
            held = self.registry.auth.header(repo)
            if held:
                headers["Authorization"] = held
        except errors.PtmlockError as exc:
            raise named(exc, name) from None
        url = self.registry.blob_url(repo, f"sha256:{file.sha256}")
        return _Named(RawGet(url, headers, offset, self._failure(model, repo)), name)

    def _check(self, model: LockedModel, repo: str) -> None:
        """Read and check the model's manifest, once per run. install.py retries a transient
        failure; once it has failed as often as the policy allows (or for good), every other
        file of the model (of the registry, when it can't be reached) fails at once."""
        key = (repo, revision_tag(model))
        with self._lock:
            if key in self._checked:
                return
            for known in (_HOST, key):
                tries, error = self._failed.get(known, (0, None))
                if error is not None and not _transient(error):
                    raise error
                if error is not None and tries >= self.policy.attempts:  # given up: no retrying
                    raise SourceError(str(error), hint=error.hint)
            try:
                self._fetch_and_check(model, repo, key)
            except errors.PtmlockError as exc:
                where = _HOST if isinstance(exc, errors.HubUnreachableError) else key
                self._failed[where] = (self._failed.get(where, (0, exc))[0] + 1, exc)
                raise
            self._checked.add(key)

    def _fetch_and_check(self, model: LockedModel, repo: str, key: tuple[str, str]) -> None:
        raw = self.registry.get_manifest(*key, retry=False)  # install.py does the retrying
        where = f"{self.location.host}/{repo}:{key[1]}"
        if raw is None:
            raise SourceError(
                f"{where}: no such tag in the registry",
                hint=f"push the lock there first: ptmlock push {self.url}",
            )
        check_manifest(raw, model, where)

    def _failure(self, model: LockedModel, repo: str) -> Failure:
        def fail(status: int, headers: Mapping[str, str], url: str) -> errors.PtmlockError:
            if status in TRANSIENT_STATUS:
                return errors.TransientHubError(f"HTTP {status}", retry_after=retry_after(headers))
            if status == 401:  # the token expired: check the manifest again, which renews it
                self.registry.auth.forget(repo)
                with self._lock:
                    self._checked.discard((repo, revision_tag(model)))
                return errors.TransientHubError("authorization expired (HTTP 401)")
            if status == 403:
                return SourceAuthError(f"access denied (HTTP {status})")
            if status == 404:
                return SourceError("the blob is not in the registry (HTTP 404)")
            return SourceError(f"HTTP {status}")

        return fail


class _Named(OpenFile):
    """An open blob whose errors say which model, file and source they are about."""

    def __init__(self, inner: RawGet, name: str) -> None:
        self._inner, self._name = inner, name
        self.offset = 0

    def __enter__(self) -> _Named:
        try:
            self._inner.__enter__()
        except errors.PtmlockError as exc:
            raise named(exc, self._name) from None
        self.offset = self._inner.offset
        return self

    def readinto(self, buffer: memoryview) -> int:
        try:
            return self._inner.readinto(buffer)
        except errors.PtmlockError as exc:
            raise named(exc, self._name) from None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)
