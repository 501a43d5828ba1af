"""A GitHub-compatible part of the mirror, and plain file serving with redirects.

The repos of the store double as GitHub repos (``owner/repo``, branches and tags as stored):

- ``GET /github/repos/{o}/{r}/commits/{ref}``: ``{"sha": ...}`` (404 unknown repo, 422 no ref)
- ``GET /github/repos/{o}/{r}/git/trees/{sha}?recursive=1``: every folder and file, with git
  blob ids (always of the content: GitHub has no LFS pointers in a torch.hub repo)
- ``GET /github-raw/{o}/{r}/{ref}/{path}``: raw.githubusercontent.com's file at a ref
  (``Range`` honoured)
- ``GET /github/repos/{o}/{r}/releases/tags/{tag}``: the tag's top-level files as assets,
  each with ``size``, ``digest`` (``sha256:...``) and ``browser_download_url``
- ``GET /{o}/{r}/releases/download/{tag}/{name}``: 302 to a signed CDN URL, as github.com does

A repo gated in the store is private here: without one of its tokens it is a 404, as on
GitHub. ``PTMLOCK_GITHUB_ENDPOINT`` is ``<mirror>/github``; ``https://github.com/`` and
``https://raw.githubusercontent.com/`` are reached through URL mirrors to ``<mirror>/`` and
``<mirror>/github-raw/``.

Plain files: ``GET /files/<path>`` serves ``<store>/files/<path>``; ``<store>/redirects.json``
(``{"/files/a.pt": "/files/b.pt", ...}``) answers listed paths with a 302 first (the query is
not part of the path: ``/files/drive.google.com/uc`` serves every ``uc?id=...``). The
``Content-Type`` is guessed from the file name (a ``.html`` page is ``text/html``).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from typing import Any
from urllib.parse import quote

from ptmlock.lockfile import safe_relpath
from ptmlock.mirror.handler import HubTransport
from ptmlock.mirror.metadata import git_blob_header
from ptmlock.mirror.store import Commit, FileEntry, UnknownRevision

__all__ = ["GitHubRoutes"]


class GitHubRoutes(HubTransport):
    """Mixed into the mirror's handler; each method answers the request itself."""

    def github_api(self, segs: list[str]) -> None:
        if len(segs) < 4 or segs[0] != "repos":
            self._gh_error(404, "Not Found")
            return
        repo_id, rest = f"{segs[1]}/{segs[2]}", segs[3:]
        if not self._gh_visible(repo_id):
            return
        if rest[0] == "commits" and len(rest) >= 2:
            commit = self._gh_commit(repo_id, "/".join(rest[1:]), 422)
            if commit is not None:
                self.send_json(200, {"sha": commit.id, "commit": {"message": commit.message}})
        elif rest[:2] == ["git", "trees"] and len(rest) == 3:
            commit = self._gh_commit(repo_id, rest[2], 404)
            if commit is not None:
                self.send_json(200, {"sha": commit.id, "tree": self._gh_tree(commit),
                                     "truncated": False})  # fmt: skip
        elif rest[:2] == ["releases", "tags"] and len(rest) == 3:
            self._gh_release(repo_id, rest[2])
        else:
            self._gh_error(404, "Not Found")

    def github_release_download(self, segs: list[str]) -> None:
        """``/{o}/{r}/releases/download/{tag}/{name}`` -> 302 to the signed CDN URL."""
        repo_id, tag, name = f"{segs[0]}/{segs[1]}", segs[4], "/".join(segs[5:])
        if not self._gh_visible(repo_id):
            return
        commit = self._gh_commit(repo_id, tag, 404)
        entry = commit.tree.get(name) if commit is not None else None
        if commit is None:
            return
        if entry is None:
            self._gh_error(404, "Not Found")
            return
        self.redirect(302, self.cdn_url(repo_id, commit.id, entry.path, entry.sha256), {})

    def plain_file(self, segs: list[str]) -> None:
        """``/files/<path>``, after any redirect ``redirects.json`` lists for it."""
        root = self.server.store.root
        try:
            redirects = json.loads((root / "redirects.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            redirects = {}
        path = "/" + "/".join(segs)
        if path in redirects:
            self.redirect(302, redirects[path], {})
            return
        rel = "/".join(segs[1:])
        target = root / "files" / rel
        if not safe_relpath(rel) or not target.is_file():
            self.send_json(404, {"error": "Not Found"})
            return
        kind = mimetypes.guess_type(target.name)[0]
        self.send_file(target, {"Content-Type": kind} if kind else {})

    # -- helpers ---------------------------------------------------------------------------
    def _gh_error(self, status: int, message: str) -> None:
        self.send_json(status, {"message": message, "status": str(status)})

    def _gh_visible(self, repo_id: str) -> bool:
        store = self.server.store
        if not store.exists(repo_id):
            self._gh_error(404, "Not Found")
            return False
        settings = store.settings(repo_id)
        if settings.get("gated") and self.token not in settings.get("tokens", []):
            self._gh_error(404, "Not Found")  # a private repo does not exist for outsiders
            return False
        return True

    def _gh_commit(self, repo_id: str, ref: str, missing: int) -> Commit | None:
        try:
            sha = self.server.store.resolve(repo_id, ref)
        except UnknownRevision:
            self._gh_error(missing, f"No commit found for SHA: {ref}")
            return None
        return self.server.store.get_commit(repo_id, sha)

    def _git_oid(self, entry: FileEntry) -> str:
        if not entry.lfs:
            return entry.git_oid
        digest = hashlib.sha1(git_blob_header(entry.size), usedforsecurity=False)
        with self.server.store.blob_path(entry.sha256).open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()

    def _gh_tree(self, commit: Commit) -> list[dict[str, Any]]:
        folders = sorted({p.rsplit("/", i)[0] for p in commit.tree for i in
                          range(1, p.count("/") + 1)})  # fmt: skip
        items: list[dict[str, Any]] = [
            {"path": f, "mode": "040000", "type": "tree", "sha": "0" * 40} for f in folders
        ]
        for path, entry in sorted(commit.tree.items()):
            items.append({"path": path, "mode": "100644", "type": "blob", "size": entry.size,
                          "sha": self._git_oid(entry)})  # fmt: skip
        return sorted(items, key=lambda item: str(item["path"]))

    def github_raw(self, segs: list[str]) -> None:
        """``/github-raw/{o}/{r}/{ref}/{path}``: one file at a ref, as raw.githubusercontent.com."""
        if len(segs) < 4:
            self._gh_error(404, "Not Found")
            return
        repo_id, ref, path = f"{segs[0]}/{segs[1]}", segs[2], "/".join(segs[3:])
        if not self._gh_visible(repo_id):
            return
        commit = self._gh_commit(repo_id, ref, 404)
        if commit is None:
            return
        entry = commit.tree.get(path)
        if entry is None:
            self._gh_error(404, "Not Found")
            return
        self.send_file(self.server.store.blob_path(entry.sha256), {"ETag": f'"{entry.git_oid}"'})

    def _gh_release(self, repo_id: str, tag: str) -> None:
        if tag not in self.server.store.settings(repo_id)["tags"]:
            self._gh_error(404, "Not Found")
            return
        commit = self._gh_commit(repo_id, tag, 404)
        if commit is None:
            return
        base = f"{self.base_url}/{quote(repo_id)}/releases/download/{quote(tag)}"
        assets = [
            {
                "name": path,
                "size": entry.size,
                "digest": f"sha256:{entry.sha256}",
                "browser_download_url": f"{base}/{quote(path)}",
            }
            for path, entry in sorted(commit.tree.items())
            if "/" not in path
        ]
        self.send_json(200, {"tag_name": tag, "assets": assets})
