"""Plain URLs (``load_state_dict_from_url``, ``download_url_to_file``, wget/curl of a checkpoint)
and the weights libraries name by architecture (``ptmlock.named``: torchvision, whisper, CLIP,
open_clip, ultralytics), which are one file at a URL the library's own table gives.

A URL model is one file, pinned by its sha256: ``revision`` is that sha256, so a server that
starts serving different bytes at the same URL is caught at install, not loaded. The lock keeps
the URL the project (or the library) names; ``resolved_url`` records where its redirects ended
at lock time. Where the library embeds a hash in the URL, the bytes must agree with it, and a
GitHub release asset must agree with the digest the release lists for it.
URL mirrors (``ptmlock.url_mirrors``) change only where the bytes are fetched from.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit, urlunsplit

from ptmlock import errors, gdrive
from ptmlock.hubs.interface import Hub, OpenFile
from ptmlock.hubs.selection import recorded_selection
from ptmlock.lockfile import safe_relpath
from ptmlock.models import LockedFile, LockedModel, ModelRequest
from ptmlock.named import check_embedded, named_download
from ptmlock.retry import DEFAULT_POLICY, RetryPolicy, call_with_retries
from ptmlock.transfer import USER_AGENT, RawGet, status_error
from ptmlock.url_mirrors import UrlMirrors

log = logging.getLogger(__name__)

__all__ = ["UrlHub", "file_name", "release_asset"]

_RELEASE_ASSET = re.compile(
    r"^https://github\.com/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/releases/download/"
    r"(?P<tag>[^/]+)/(?P<name>[^/]+)$"
)


def file_name(url: str) -> str | None:
    """The checkpoint's file name (the URL path's last part), or None when it isn't usable."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    name = unquote(PurePosixPath(parts.path).name)
    return name if name and safe_relpath(name) and "/" not in name else None


def _is_page(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "text/html"


def _disposition_name(header: str | None) -> str | None:
    """The file name of ``Content-Disposition: attachment; filename="x.pth"`` (or
    ``filename*=UTF-8''x.pth``), when it is a safe single name."""
    if not header:
        return None
    match = re.search(r"filename\*=UTF-8''([^;]+)", header, re.I) or re.search(
        r'filename="?([^";]+)"?', header, re.I
    )
    name = unquote(match.group(1).strip()) if match else ""
    return name if name and safe_relpath(name) and "/" not in name else None


def release_asset(url: str) -> tuple[str, str, str, str] | None:
    """(owner, repo, tag, asset name) of a GitHub release asset URL."""
    match = _RELEASE_ASSET.match(url)
    if match is None:
        return None
    return match["owner"], match["repo"], unquote(match["tag"]), unquote(match["name"])


class UrlHub(Hub):
    name = "url"

    def __init__(
        self, *, mirrors: UrlMirrors | None = None, policy: RetryPolicy = DEFAULT_POLICY
    ) -> None:
        self._mirrors = mirrors if mirrors is not None else UrlMirrors.from_environment()
        self._policy = policy

    def accepts(self, model_id: str) -> bool:
        return named_download(model_id) is not None or file_name(model_id) is not None

    def resolve(self, request: ModelRequest) -> LockedModel:
        """Download the file once, hashing it: its sha256 and size are the pin."""
        named = named_download(request.id)
        url = named.url if named else request.id
        name = named.file if named else file_name(url)
        if name is None:
            raise errors.ConfigError(f"{url}: not an http(s) URL of a file")
        size, sha256, final, served_as = self._hash_named(url)
        if gdrive.file_id(url) is not None:
            name = served_as or f"{gdrive.file_id(url)}"
        check_embedded(request.id, sha256)
        self._check_release(url, size, sha256)
        libraries = (named.library,) if named else tuple(sorted(set(request.libraries)))
        # the file the code names (facexlib's name -> its checkpoint), recorded as the lock
        # records any exact file, so ``check`` sees the same choice
        _, patterns = recorded_selection(request.libraries, request.patterns, request.files)
        return LockedModel(
            hub="url",
            id=request.id,
            revision=sha256,
            files=(
                LockedFile(
                    path=name,
                    size=size,
                    sha256=sha256,
                    url=url,
                    resolved_url=final if final != url else None,
                ),
            ),
            used_by=request.used_by,
            loaders=request.loaders,
            group=request.group,
            libraries=libraries,
            patterns=patterns,
            folder=request.folder,
        )

    def hash_url(self, url: str) -> tuple[int, str, str]:
        """(size, sha256, the URL its redirects ended at) of the file at ``url``."""
        size, sha256, final, _ = self._hash_named(url)
        return size, sha256, final

    def _hash_named(self, url: str) -> tuple[int, str, str, str | None]:
        """``hash_url`` and the file name the server gave (Content-Disposition), if any."""
        return call_with_retries(lambda: self._hash(url), what=url, policy=self._policy)

    def _hash(self, url: str) -> tuple[int, str, str, str | None]:
        digest, size = hashlib.sha256(), 0
        view = memoryview(bytearray(1024 * 1024))
        with self.open_file_url(url, 0) as stream:
            if gdrive.file_id(url) is not None and _is_page(stream.header("Content-Type")):
                raise errors.HubError(
                    f"{url}: Google Drive answered with a page, not the file (a large file's "
                    "virus-scan confirmation, or a file that needs a sign-in)",
                    hint="put the file where it can be downloaded (a release asset, a Hub repo) "
                    "and load it from there",
                )
            served_as = _disposition_name(stream.header("Content-Disposition"))
            while got := stream.readinto(view):
                digest.update(view[:got])
                size += got
            final = self._mirrors.restore(stream.final_url)
        # recorded without its query: a storage redirect's signature expires, and may grant access
        clean = urlunsplit(urlsplit(final)._replace(query="", fragment=""))
        return size, digest.hexdigest(), clean, served_as

    def _check_release(self, url: str, size: int, sha256: str) -> None:
        """A GitHub release lists each asset's sha256; the bytes must be that asset."""
        asset = release_asset(url)
        if asset is None:
            return
        from ptmlock.hubs.github import GitHub

        owner, repo, tag, name = asset
        try:
            listed = GitHub(policy=self._policy).release_asset(owner, repo, tag, name)
        except errors.HubUnreachableError as exc:  # an air-gapped site with only a URL mirror
            log.info("%s: release not checked: %s", url, exc)
            return
        if listed is None:
            raise errors.EntryNotFoundError(f"{url}: release {tag} of {owner}/{repo} has no {name}")
        digest = listed.get("digest")
        want = digest.removeprefix("sha256:") if isinstance(digest, str) else None
        if listed.get("size") != size or (want is not None and want != sha256):
            raise errors.IntegrityError(
                f"{url}: the release lists {listed.get('size')} bytes, {digest}; the download "
                f"gave {size} bytes, sha256:{sha256}"
            )

    def open_file(self, model: LockedModel, file: LockedFile, *, offset: int = 0) -> OpenFile:
        return self.open_file_url(file.url or model.id, offset)

    def open_file_url(self, url: str, offset: int) -> RawGet:
        return RawGet(self._mirrors.rewrite(url), {"User-Agent": USER_AGENT}, offset, status_error)
