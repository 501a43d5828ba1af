"""Model repos on disk, content-addressed, in the shape the Hub's API describes them.

Layout under ``root``::

    blobs/<sha256>                          file contents, one file per distinct content
    repos/<namespace>/<name>/refs.json      {"branches": {name: sha}, "tags": {name: sha},
                                             "gated": false | "auto" | "manual", "tokens": [...]}
    repos/<namespace>/<name>/commits/<sha>.json
        {"id", "parent", "message", "date",
         "tree": {path: {"size", "sha256", "git_oid", "lfs"}},
         "card": {...README front matter...}, "config": {...} | null,
         "safetensors": {"parameters": {dtype: n}, "total": n} | null}

Repo ids without a namespace (legacy ids such as ``gpt2``) live in ``repos/_/<name>`` (``_`` can't
start a Hub namespace, so it never collides). ``git_oid`` is what the Hub calls ``blobId``: the git
blob sha1 of the content, or of the LFS pointer for LFS files (see ``metadata.is_lfs``). Commits are
immutable and their ids deterministic (sha1 over parent, tree, message and date), so a test suite
that builds the same repos gets the same commit shas every run.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from ptmlock.mirror import metadata
from ptmlock.mirror.blobs import FileEntry, ingest, walk_folder, write_json

__all__ = ["Commit", "FileEntry", "GatedMode", "RepoStore", "UnknownRepo", "UnknownRevision"]

GatedMode = Literal[False, "auto", "manual"]
_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?"
_REPO_ID = re.compile(rf"^(?:{_PART}/)?{_PART}$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_DEFAULT_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


class UnknownRepo(LookupError):
    """No repo with that id in the store."""


class UnknownRevision(LookupError):
    """The repo exists but has no such branch, tag or commit."""


@dataclass(frozen=True, slots=True)
class Commit:
    """A commit as stored: its tree plus what the Hub derives from the files."""

    id: str
    parent: str | None
    message: str
    date: str
    tree: Mapping[str, FileEntry]
    card: Mapping[str, Any]
    config: Mapping[str, Any] | None
    safetensors: Mapping[str, Any] | None

    @property
    def title(self) -> str:
        return self.message.splitlines()[0] if self.message else ""


class RepoStore:
    """Read and write repos under ``root`` (see the module docstring for the layout)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._commits: dict[tuple[str, str], Commit] = {}

    # -- reading ----------------------------------------------------------------------------
    def repos(self) -> list[str]:
        """Every repo id in the store, sorted."""
        base = self.root / "repos"
        found = [p.parent.relative_to(base).as_posix() for p in base.glob("*/*/refs.json")]
        return sorted(r.removeprefix("_/") for r in found)

    def exists(self, repo_id: str) -> bool:
        return (
            _REPO_ID.match(repo_id) is not None and (self._repo_dir(repo_id) / "refs.json").exists()
        )

    def settings(self, repo_id: str) -> dict[str, Any]:
        """The repo's refs.json: branches, tags, gated mode and allowed tokens."""
        if not self.exists(repo_id):
            raise UnknownRepo(repo_id)
        data: dict[str, Any] = json.loads((self._repo_dir(repo_id) / "refs.json").read_text())
        return data

    def resolve(self, repo_id: str, revision: str) -> str:
        """Commit sha for a branch, tag, ``refs/heads/X``, ``refs/tags/X``, ``refs/pr/N`` or sha."""
        refs = self.settings(repo_id)
        branches, tags = refs["branches"], refs["tags"]
        if (
            _SHA1.match(revision)
            and (self._repo_dir(repo_id) / "commits" / f"{revision}.json").exists()
        ):
            return revision
        for table, name in (
            (branches, revision),
            (tags, revision),
            (branches, revision.removeprefix("refs/heads/")),
            (tags, revision.removeprefix("refs/tags/")),
        ):
            if name in table:
                return str(table[name])
        raise UnknownRevision(revision)

    def get_commit(self, repo_id: str, sha: str) -> Commit:
        """The stored commit ``sha`` (cached: commits never change)."""
        key = (repo_id, sha)
        if key not in self._commits:
            path = self._repo_dir(repo_id) / "commits" / f"{sha}.json"
            if not _SHA1.match(sha) or not path.exists():
                raise UnknownRevision(sha)
            self._commits[key] = _commit_from_json(json.loads(path.read_text()))
        return self._commits[key]

    def tree(self, repo_id: str, sha: str) -> Mapping[str, FileEntry]:
        return self.get_commit(repo_id, sha).tree

    def commits(self, repo_id: str, revision: str) -> list[Commit]:
        """History of ``revision``, newest first."""
        sha: str | None = self.resolve(repo_id, revision)
        history = []
        while sha is not None:
            commit = self.get_commit(repo_id, sha)
            history.append(commit)
            sha = commit.parent
        return history

    def blob_path(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256

    # -- writing ----------------------------------------------------------------------------
    def commit(
        self,
        repo_id: str,
        files: Path | Mapping[str, bytes | Path],
        *,
        branch: str = "main",
        message: str = "",
        date: datetime | str | None = None,
        commit_id: str | None = None,
        link: bool = False,
    ) -> str:
        """Make the tree of ``branch`` exactly ``files`` and return the new commit's sha.

        ``files`` is a folder (walked, ``.git`` skipped) or a mapping of repo paths to contents.
        Without ``date`` the commit is dated 2024-01-01 plus one minute per ancestor, so ids are
        reproducible. ``commit_id`` imports a commit whose id is already known (a snapshot from a
        Hugging Face cache): it keeps that id and has no parent, so locks made against the real
        Hub resolve unchanged against the mirror. ``link`` hard-links source files into the
        store instead of copying them (see ``blobs.ingest``).
        """
        if not _REPO_ID.match(repo_id):
            raise ValueError(f"invalid repo id: {repo_id!r}")
        if commit_id is not None and not _SHA1.match(commit_id):
            raise ValueError(f"invalid commit id: {commit_id!r}")
        sources = walk_folder(files) if isinstance(files, Path) else dict(files)
        blobs = self.root / "blobs"
        with self._lock:
            parent = None if commit_id else self._branch_head(repo_id, branch)
            tree = {
                path: ingest(blobs, path, src, link=link) for path, src in sorted(sources.items())
            }
            when = _iso(date) if date is not None else self._default_date(repo_id, parent)
            record = self._commit_record(parent, tree, message or "Update files", when)
            record["id"] = commit_id or record["id"]
            self._commits.pop((repo_id, record["id"]), None)
            write_json(self._repo_dir(repo_id) / "commits" / f"{record['id']}.json", record)
            refs = self._refs_or_new(repo_id)
            refs["branches"][branch] = record["id"]
            write_json(self._repo_dir(repo_id) / "refs.json", refs)
        return str(record["id"])

    def tag(self, repo_id: str, tag: str, revision: str) -> str:
        """Point ``tag`` at ``revision``; returns the commit sha."""
        return self._set_ref(repo_id, "tags", tag, revision)

    def set_branch(self, repo_id: str, branch: str, revision: str) -> str:
        """Point ``branch`` (e.g. ``main`` or ``refs/pr/1``) at ``revision``; returns the sha."""
        return self._set_ref(repo_id, "branches", branch, revision)

    def set_gated(self, repo_id: str, mode: GatedMode, tokens: list[str] | None = None) -> None:
        """Gate the repo's files: only ``Authorization: Bearer <token>`` in ``tokens`` may read."""
        with self._lock:
            refs = self.settings(repo_id)
            refs["gated"] = mode
            refs["tokens"] = list(tokens or [])
            write_json(self._repo_dir(repo_id) / "refs.json", refs)

    # -- internals --------------------------------------------------------------------------
    def _repo_dir(self, repo_id: str) -> Path:
        return self.root / "repos" / (repo_id if "/" in repo_id else f"_/{repo_id}")

    def _refs_or_new(self, repo_id: str) -> dict[str, Any]:
        if self.exists(repo_id):
            return self.settings(repo_id)
        return {"branches": {}, "tags": {}, "gated": False, "tokens": []}

    def _branch_head(self, repo_id: str, branch: str) -> str | None:
        head = self._refs_or_new(repo_id)["branches"].get(branch)
        return str(head) if head else None

    def _set_ref(self, repo_id: str, table: str, name: str, revision: str) -> str:
        with self._lock:
            sha = self.resolve(repo_id, revision)
            refs = self.settings(repo_id)
            refs[table][name] = sha
            write_json(self._repo_dir(repo_id) / "refs.json", refs)
        return sha

    def _default_date(self, repo_id: str, parent: str | None) -> str:
        depth = 0
        while parent is not None:
            depth += 1
            parent = self.get_commit(repo_id, parent).parent
        return _iso(_DEFAULT_EPOCH + timedelta(minutes=depth))

    def _commit_record(
        self, parent: str | None, tree: dict[str, FileEntry], message: str, date: str
    ) -> dict[str, Any]:
        tree_json = {p: _entry_json(e) for p, e in tree.items()}
        identity = json.dumps([parent, tree_json, message, date], sort_keys=True).encode()
        readme, config = tree.get("README.md"), tree.get("config.json")
        return {
            "id": hashlib.sha1(identity, usedforsecurity=False).hexdigest(),
            "parent": parent,
            "message": message,
            "date": date,
            "tree": tree_json,
            "card": metadata.card_data(self._read_small(readme)) if readme else {},
            "config": metadata.config_summary(self._read_small(config)) if config else None,
            "safetensors": self._parameters(tree),
        }

    def _read_small(self, entry: FileEntry) -> bytes:
        if entry.size > metadata.LFS_SIZE_THRESHOLD:
            return b""
        return self.blob_path(entry.sha256).read_bytes()

    def _parameters(self, tree: dict[str, FileEntry]) -> dict[str, Any] | None:
        totals: dict[str, int] = {}
        for entry in tree.values():
            if entry.path.endswith(".safetensors"):
                counts = metadata.safetensors_parameters(self.blob_path(entry.sha256)) or {}
                for dtype, n in counts.items():
                    totals[dtype] = totals.get(dtype, 0) + n
        return {"parameters": totals, "total": sum(totals.values())} if totals else None


def _iso(when: datetime | str) -> str:
    if isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _entry_json(entry: FileEntry) -> dict[str, Any]:
    return {"size": entry.size, "sha256": entry.sha256, "git_oid": entry.git_oid, "lfs": entry.lfs}


def _commit_from_json(data: Mapping[str, Any]) -> Commit:
    tree = {path: FileEntry(path=path, **entry) for path, entry in data["tree"].items()}
    return Commit(
        id=data["id"],
        parent=data["parent"],
        message=data["message"],
        date=data["date"],
        tree=tree,
        card=data.get("card") or {},
        config=data.get("config"),
        safetensors=data.get("safetensors"),
    )
