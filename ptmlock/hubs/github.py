"""The subset of GitHub's REST API that locking a torch.hub repo needs.

Ref to commit (``GET /repos/{o}/{r}/commits/{ref}``), the tree at a commit
(``GET /repos/{o}/{r}/git/trees/{sha}?recursive=1``) and a release's assets
(``GET /repos/{o}/{r}/releases/tags/{tag}``). The base is ``PTMLOCK_GITHUB_ENDPOINT`` (default
https://api.github.com). A file at a commit comes from ``https://raw.githubusercontent.com/
{o}/{r}/{sha}/{path}`` (through the URL mirrors like any URL): one API request per file would
spend the API's hourly limit on a single repo of a few thousand files.

``GITHUB_TOKEN``, when set, goes in the ``Authorization`` header to the API's origin, and to
raw.githubusercontent.com when no URL mirror stands in for it or the mirror is the API's own
origin (a private repo's files need it; an artifact proxy elsewhere does not get it).
transfer.py drops it on a redirect to another origin; it is never logged, recorded or put in
an error message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from ptmlock import errors
from ptmlock.retry import DEFAULT_POLICY, RetryPolicy, call_with_retries
from ptmlock.transfer import USER_AGENT, RawGet, status_error
from ptmlock.url_mirrors import UrlMirrors

__all__ = ["DEFAULT_API", "ENDPOINT_ENV", "GitHub", "TreeEntry"]

DEFAULT_API = "https://api.github.com"
RAW = "https://raw.githubusercontent.com"
ENDPOINT_ENV = "PTMLOCK_GITHUB_ENDPOINT"
_MAX_JSON = 64 * 1024 * 1024  # a recursive tree of a big repo is a few MB


@dataclass(frozen=True, slots=True)
class TreeEntry:
    path: str
    size: int
    git_sha: str  # the git blob id: sha1 over "blob <size>\0" + content


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def _api_error(status: int, headers: Mapping[str, str], url: str) -> errors.PtmlockError:
    """GitHub's statuses: 422 is a ref that names nothing; a spent rate limit (403 or 429 with
    ``X-RateLimit-Remaining: 0``) is not worth retrying for an hour."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if status == 422:
        return errors.EntryNotFoundError(f"{url}: no such ref (HTTP 422)")
    if status in (403, 429) and lowered.get("x-ratelimit-remaining") == "0":
        return errors.HubError(
            f"{url}: GitHub's API rate limit is spent (HTTP {status})",
            hint="set GITHUB_TOKEN (a token gets 5000 requests an hour, none gets 60)",
        )
    if status in (401, 403):
        return errors.GatedModelError(
            f"{url}: access denied (HTTP {status})",
            hint="set GITHUB_TOKEN to a token that may read the repository",
        )
    return status_error(status, headers, url)


class GitHub:
    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        mirrors: UrlMirrors | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.endpoint = (endpoint or os.environ.get(ENDPOINT_ENV) or DEFAULT_API).rstrip("/")
        self._token = token if token is not None else os.environ.get("GITHUB_TOKEN") or None
        self._mirrors = mirrors if mirrors is not None else UrlMirrors.from_environment()
        self._policy = policy

    def _headers(self, *, token: bool = True) -> dict[str, str]:
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        if self._token and token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _url(self, owner: str, repo: str, *rest: str) -> str:
        return "/".join([self.endpoint, "repos", quote(owner), quote(repo), *rest])

    def _json(self, url: str) -> Any:
        def once() -> Any:
            body = bytearray()
            view = memoryview(bytearray(256 * 1024))
            with RawGet(url, self._headers(), 0, _api_error) as stream:
                while got := stream.readinto(view):
                    body += view[:got]
                    if len(body) > _MAX_JSON:
                        raise errors.HubError(f"{url}: answer larger than {_MAX_JSON} bytes")
            try:
                return json.loads(body)
            except ValueError:
                raise errors.HubError(f"{url}: not a JSON answer") from None

        return call_with_retries(once, what=url, policy=self._policy)

    def commit(self, owner: str, repo: str, ref: str) -> str | None:
        """The full sha ``ref`` (branch, tag or sha) points to; None when there is no such ref."""
        url = self._url(owner, repo, "commits", quote(ref, safe=""))
        try:
            data = self._json(url)
        except errors.EntryNotFoundError:  # 404, or 422: GitHub's answer for a ref of no commit
            return None
        sha = data.get("sha") if isinstance(data, dict) else None
        if not isinstance(sha, str) or len(sha) != 40:
            raise errors.HubError(f"{url}: the answer names no commit")
        return sha.lower()

    def tree(self, owner: str, repo: str, sha: str) -> list[TreeEntry]:
        """Every file (blob) of the commit's tree; submodules and symlinks are not files."""
        url = self._url(owner, repo, "git", "trees", sha) + "?recursive=1"
        data = self._json(url)
        if not isinstance(data, dict) or not isinstance(data.get("tree"), list):
            raise errors.HubError(f"{url}: not a tree")
        if data.get("truncated"):
            raise errors.HubError(f"{owner}/{repo}@{sha}: the tree is too large for one answer")
        entries = []
        for item in data["tree"]:
            if not isinstance(item, dict) or item.get("type") != "blob":
                continue
            if item.get("mode") == "120000":
                continue  # a symlink: torch.hub's zip extraction does not follow them either
            path, size, blob = item.get("path"), item.get("size"), item.get("sha")
            if not (isinstance(path, str) and isinstance(size, int) and isinstance(blob, str)):
                raise errors.HubError(f"{url}: a tree entry without path, size or sha")
            entries.append(TreeEntry(path=path, size=size, git_sha=blob))
        return sorted(entries, key=lambda e: e.path)

    def open_raw(self, owner: str, repo: str, sha: str, path: str, offset: int = 0) -> RawGet:
        """One file's bytes at commit ``sha``."""
        url = "/".join([RAW, quote(owner), quote(repo), sha, quote(path)])
        fetched = self._mirrors.rewrite(url)
        trusted = fetched == url or _origin(fetched) == _origin(self.endpoint)
        headers = self._headers(token=trusted) | {"Accept": "*/*"}
        return RawGet(fetched, headers, offset, status_error)

    def release_asset(self, owner: str, repo: str, tag: str, name: str) -> dict[str, Any] | None:
        """The asset ``name`` of release ``tag`` (name, size, digest, ...), or None."""
        url = self._url(owner, repo, "releases", "tags", quote(tag, safe=""))
        try:
            data = self._json(url)
        except errors.EntryNotFoundError:
            return None
        assets = data.get("assets") if isinstance(data, dict) else None
        for asset in assets if isinstance(assets, list) else []:
            if isinstance(asset, dict) and asset.get("name") == name:
                return asset
        return None
