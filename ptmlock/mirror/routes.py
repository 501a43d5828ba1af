"""The Hub's read-only routes over a ``RepoStore`` (see HUB-PROTOCOL.md for the client side).

``GET /api/agent-harnesses``, ``GET /api/models/{repo}[/revision/{rev}]``,
``GET /api/models/{repo}/tree/{rev}[/{path}]``, ``POST /api/models/{repo}/paths-info/{rev}``,
``GET /api/models/{repo}/refs``, ``GET /api/models/{repo}/commits/{rev}``,
``HEAD|GET /{repo}/resolve/{rev}/{path}``: 307 to the commit-pinned
``/api/resolve-cache/models/{repo}/{sha}/{path}`` for small files, 302 to a signed same-origin
``/cdn/{sha256}?...`` URL for LFS files. Unknown repos, revisions and files, and gated repos,
answer with the Hub's status codes and ``X-Error-Code`` values.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from ptmlock.mirror import api
from ptmlock.mirror.faults import hostile_entries
from ptmlock.mirror.github import GitHubRoutes
from ptmlock.mirror.store import Commit, FileEntry, UnknownRevision

__all__ = ["HubRequestHandler"]

_API_WORDS = frozenset({"revision", "tree", "paths-info", "refs", "commits"})
_EMPTY_AGENT_REGISTRY: dict[str, Any] = {"standardEnvVars": [], "harnesses": {}}


class HubRequestHandler(GitHubRoutes):
    """Answers the Hub API and file routes from the server's store (and, under ``/github``,
    ``/github-raw``, ``/files`` and ``/{o}/{r}/releases/download``, the GitHub and plain-file
    parts)."""

    def route(self, segments: list[str]) -> None:
        if self.command not in ("GET", "HEAD", "POST"):
            self.hub_error(405, None, f"Method {self.command} not allowed: this hub is read-only")
        elif segments[:2] == ["api", "agent-harnesses"]:
            self.send_json(200, _EMPTY_AGENT_REGISTRY)
        elif segments[:2] == ["api", "models"] and len(segments) > 2:
            self._api_models(segments[2:])
        elif self.command == "POST":
            self.hub_error(405, None, "Method POST not allowed here")
        elif segments[0] == "github":
            self.github_api(segments[1:])
        elif segments[0] == "github-raw":
            self.github_raw(segments[1:])
        elif segments[0] == "files" and len(segments) > 1:
            self.plain_file(segments)
        elif segments[2:4] == ["releases", "download"] and len(segments) > 5:
            self.github_release_download(segments)
        elif segments[:3] == ["api", "resolve-cache", "models"] and len(segments) > 5:
            self._resolve_cache(segments[3:])
        elif segments[0] == "cdn" and len(segments) == 2:
            self._cdn(segments[1])
        elif "resolve" in segments[1:3]:
            self._resolve(segments)
        else:
            self.hub_error(404, None, "Not Found")

    # -- repo, revision and access checks (each answers the error itself) ---------------------
    def _split_repo(self, segs: list[str], words: frozenset[str]) -> tuple[str, list[str]]:
        """Split ``org/name/rest...`` or legacy ``name/rest...`` into repo id and the rest."""
        store = self.server.store
        if len(segs) >= 2 and store.exists(f"{segs[0]}/{segs[1]}"):
            return f"{segs[0]}/{segs[1]}", segs[2:]
        if store.exists(segs[0]) or len(segs) == 1 or segs[1] in words:
            return segs[0], segs[1:]
        return f"{segs[0]}/{segs[1]}", segs[2:]

    def _repo_ok(self, repo_id: str) -> bool:
        if self.server.store.exists(repo_id):
            return True
        if self.token is None:  # the Hub hides whether a repo exists from anonymous callers
            self.hub_error(401, "RepoNotFound", "Invalid username or password.")
        else:
            self.hub_error(404, "RepoNotFound", "Repository not found")
        return False

    def _commit(self, repo_id: str, revision: str) -> Commit | None:
        try:
            sha = self.server.store.resolve(repo_id, revision)
        except UnknownRevision:
            self.hub_error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return None
        return self.server.store.get_commit(repo_id, sha)

    def _access_ok(self, repo_id: str) -> bool:
        settings = self.server.store.settings(repo_id)
        if not settings.get("gated"):
            return True
        if self.token is None:
            self.hub_error(
                401,
                "GatedRepo",
                f"Access to model {repo_id} is restricted. You must "
                "have access to it and be authenticated to access it. Please log in.",
            )
            return False  # fmt: skip
        if self.token not in settings.get("tokens", []):
            self.hub_error(
                403,
                "GatedRepo",
                f"Access to model {repo_id} is restricted and you "
                "are not in the authorized list. Visit the model page to ask for access.",
            )
            return False  # fmt: skip
        return True

    # -- /api/models/... ----------------------------------------------------------------------
    def _api_models(self, segs: list[str]) -> None:
        repo_id, rest = self._split_repo(segs, _API_WORDS)
        if not self._repo_ok(repo_id):
            return
        word, arg = (rest[0], "/".join(rest[1:])) if rest else ("", "")
        if (self.command == "POST") != (word == "paths-info"):
            self.hub_error(405, None, f"Method {self.command} not allowed here")
        elif word in ("", "revision") and (word == "" or arg):
            self._model_info(repo_id, arg or "main")
        elif word == "tree" and arg:
            self._tree(repo_id, rest[1], "/".join(rest[2:]))
        elif word == "paths-info" and arg:
            self._paths_info(repo_id, arg)
        elif word == "refs" and not arg:
            include_prs = self.query.get("include_prs", [""])[0] in ("1", "true")
            self.send_json(
                200, api.refs_body(self.server.store.settings(repo_id), include_prs=include_prs)
            )
        elif word == "commits":
            self._commits(repo_id, arg or "main")
        else:
            self.hub_error(404, None, "Not Found")

    def _flag(self, name: str) -> bool:
        return self.query.get(name, ["false"])[0].lower() in ("1", "true")

    def _hostile(self) -> list[FileEntry]:
        fault = self.fault("hostile_names")
        return hostile_entries(fault.names) if fault is not None else []

    def _model_info(self, repo_id: str, revision: str) -> None:
        commit = self._commit(repo_id, revision)
        if commit is None:
            return
        store = self.server.store
        body = api.model_info(
            repo_id,
            commit,
            created_at=store.commits(repo_id, commit.id)[-1].date,
            gated=store.settings(repo_id).get("gated", False),
            blobs=self._flag("blobs"),
            entries=[*commit.tree.values(), *self._hostile()],
        )
        self.send_json(200, body)

    def _tree(self, repo_id: str, revision: str, folder: str) -> None:
        commit = self._commit(repo_id, revision)
        if commit is None:
            return
        expand = self._flag("expand")
        history = self.server.store.commits(repo_id, commit.id) if expand else None
        entries = api.tree_entries(
            commit.tree, folder, recursive=self._flag("recursive"), history=history
        )
        if entries is None:
            self.hub_error(404, "EntryNotFound", f"{folder} does not exist on {revision!r}",
                           {"X-Repo-Commit": commit.id})  # fmt: skip
            return
        if not folder:
            entries += [api.file_entry(e) for e in self._hostile()]
        self._send_page(entries, self.server.small_page_size if expand else self.server.page_size)

    def _send_page(self, items: list[dict[str, Any]], size: int) -> None:
        """One page of ``items``; a ``Link: <next>; rel="next"`` header when more remain."""
        raw = self.query.get("cursor", ["0"])[0] or "0"
        if not raw.isdigit() or len(raw) > 18:
            self.hub_error(400, None, f"Invalid cursor: {raw[:40]!r}")
            return
        cursor = int(raw)
        headers = {}
        if cursor + size < len(items):
            params = [(k, v) for k, vs in self.query.items() if k != "cursor" for v in vs]
            path = urlsplit(self.path).path
            next_url = f"{self.base_url}{path}?{urlencode([*params, ('cursor', cursor + size)])}"
            headers["Link"] = f'<{next_url}>; rel="next"'
        self.send_json(200, items[cursor : cursor + size], headers)

    def _paths_info(self, repo_id: str, revision: str) -> None:
        commit = self._commit(repo_id, revision)
        if commit is None:
            return
        form = parse_qs(self.body.decode("utf-8", errors="replace"))
        wanted = set(form.get("paths", []))
        expand = form.get("expand", ["false"])[0].lower() == "true"
        history = self.server.store.commits(repo_id, commit.id) if expand else None
        every = api.tree_entries(commit.tree, "", recursive=True, history=history) or []
        found = [e for e in every if e["path"] in wanted]
        self.send_json(200, found + [api.file_entry(e) for e in self._hostile()])

    def _commits(self, repo_id: str, revision: str) -> None:
        if self._commit(repo_id, revision) is not None:
            history = self.server.store.commits(repo_id, revision)
            self._send_page([api.commit_item(c) for c in history], self.server.small_page_size)

    # -- files --------------------------------------------------------------------------------
    def _resolve(self, segs: list[str]) -> None:
        repo_id, rest = self._split_repo(segs, frozenset({"resolve"}))
        if not self._repo_ok(repo_id):
            return
        if len(rest) < 3 or rest[0] != "resolve":
            self.hub_error(404, None, "Not Found")
            return
        if not self._access_ok(repo_id) or (commit := self._commit(repo_id, rest[1])) is None:
            return
        entry = self._entry(commit, "/".join(rest[2:]))
        if entry is None:
            return
        headers = {"X-Repo-Commit": commit.id}
        if entry.lfs:
            headers |= {"X-Linked-Etag": f'"{entry.sha256}"', "X-Linked-Size": str(entry.size)}
            self.redirect(302, self.cdn_url(repo_id, commit.id, entry.path, entry.sha256), headers)
        else:
            location = f"/api/resolve-cache/models/{repo_id}/{commit.id}/{quote(entry.path)}"
            self.redirect(307, location, headers)

    def _entry(self, commit: Commit, path: str) -> FileEntry | None:
        entry = commit.tree.get(path)
        if entry is None:
            self.hub_error(404, "EntryNotFound", "Entry not found", {"X-Repo-Commit": commit.id})
        return entry

    def _resolve_cache(self, segs: list[str]) -> None:
        repo_id, rest = self._split_repo(segs, frozenset())
        if not self._repo_ok(repo_id) or not self._access_ok(repo_id):
            return
        commit = self._commit(repo_id, rest[0]) if len(rest) >= 2 else None
        entry = self._entry(commit, "/".join(rest[1:])) if commit is not None else None
        if commit is not None and entry is not None:
            headers = {"ETag": f'"{entry.git_oid}"', "X-Repo-Commit": commit.id}
            self.send_file(self.server.store.blob_path(entry.sha256), headers)

    def _cdn(self, sha256: str) -> None:
        """A blob by sha256, for holders of a URL signed by this server (like a CDN's)."""
        q = {k: v[0] for k, v in self.query.items()}
        repo_id, commit, path = q.get("repo", ""), q.get("commit", ""), q.get("path", "")
        blob = self.server.store.blob_path(sha256)
        if q.get("sig") != self.server.sign(sha256, repo_id, commit, path) or not blob.is_file():
            self.hub_error(403, None, "Request has expired or its signature is invalid")
            return
        headers = {
            "ETag": f'"{sha256}"',
            "X-Repo-Commit": commit,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(path.split('/')[-1])}",
        }
        self.send_file(blob, headers)
