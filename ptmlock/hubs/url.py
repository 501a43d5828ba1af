"""Plain URLs (``load_state_dict_from_url``, ``download_url_to_file``, wget/curl of a checkpoint).

A URL model is one file, pinned by its sha256: ``revision`` is that sha256, so a server that
starts serving different bytes at the same URL is caught at install, not loaded.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from ptmlock import errors
from ptmlock.hubs.interface import Hub, OpenFile
from ptmlock.lockfile import safe_relpath
from ptmlock.models import LockedFile, LockedModel, ModelRequest
from ptmlock.retry import DEFAULT_POLICY, RetryPolicy, call_with_retries
from ptmlock.transfer import USER_AGENT, RawGet, status_error

__all__ = ["UrlHub", "file_name"]


def file_name(url: str) -> str | None:
    """The checkpoint's file name (the URL path's last part), or None when it isn't usable."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    name = unquote(PurePosixPath(parts.path).name)
    return name if name and safe_relpath(name) and "/" not in name else None


class UrlHub(Hub):
    name = "url"

    def __init__(self, *, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self._policy = policy

    def accepts(self, model_id: str) -> bool:
        return file_name(model_id) is not None

    def resolve(self, request: ModelRequest) -> LockedModel:
        """Download the file once, hashing it: its sha256 and size are the pin."""
        url = request.id
        name = file_name(url)
        if name is None:
            raise errors.ConfigError(f"{url}: not an http(s) URL of a file")
        size, sha256 = call_with_retries(lambda: self._hash(url), what=url, policy=self._policy)
        return LockedModel(
            hub="url",
            id=url,
            revision=sha256,
            files=(LockedFile(path=name, size=size, sha256=sha256, url=url),),
            used_by=request.used_by,
            loaders=request.loaders,
            group=request.group,
            libraries=tuple(sorted(set(request.libraries))),
        )

    def _hash(self, url: str) -> tuple[int, str]:
        digest, size = hashlib.sha256(), 0
        view = memoryview(bytearray(1024 * 1024))
        with self.open_file_url(url, 0) as stream:
            while got := stream.readinto(view):
                digest.update(view[:got])
                size += got
        return size, digest.hexdigest()

    def open_file(self, model: LockedModel, file: LockedFile, *, offset: int = 0) -> OpenFile:
        return self.open_file_url(file.url or model.id, offset)

    def open_file_url(self, url: str, offset: int) -> RawGet:
        return RawGet(url, {"User-Agent": USER_AGENT}, offset, status_error)
