"""The JSON bodies of the Hub's API, built from stored commits.

Shapes copy huggingface.co as huggingface_hub 2.4.0 reads them (see HUB-PROTOCOL.md): ``siblings``
carry ``lfs.sha256`` while tree entries carry ``lfs.oid``, ``blobId``/``oid`` is the git oid of the
content or of the LFS pointer, keys with no value are left out as the Hub does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ptmlock.mirror.metadata import lfs_pointer
from ptmlock.mirror.store import Commit, FileEntry

__all__ = [
    "commit_item",
    "directories",
    "file_entry",
    "last_commits",
    "model_info",
    "refs_body",
    "tree_entries",
]


def model_info(
    repo_id: str,
    commit: Commit,
    *,
    created_at: str,
    gated: Any,
    blobs: bool,
    entries: Iterable[FileEntry],
) -> dict[str, Any]:
    """``GET /api/models/{repo_id}[/revision/{rev}]``; ``blobs`` adds sizes, oids and LFS data."""
    card = dict(commit.card)
    entries = list(entries)
    info: dict[str, Any] = {
        "_id": hashlib.sha1(repo_id.encode(), usedforsecurity=False).hexdigest()[:24],
        "id": repo_id,
        "modelId": repo_id,
        "author": repo_id.split("/")[0] if "/" in repo_id else None,
        "sha": commit.id,
        "lastModified": commit.date,
        "createdAt": created_at,
        "private": False,
        "gated": gated,
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "library_name": card.get("library_name"),
        "tags": _tags(card, entries),
        "pipeline_tag": card.get("pipeline_tag"),
        "cardData": card or None,
        "config": dict(commit.config) if commit.config else None,
        "safetensors": dict(commit.safetensors) if commit.safetensors else None,
        "siblings": [_sibling(e, blobs) for e in entries],
        "spaces": [],
        "usedStorage": sum(e.size for e in entries),
    }
    return {k: v for k, v in info.items() if v is not None or k in ("author", "gated")}


def _tags(card: Mapping[str, Any], entries: Sequence[FileEntry]) -> list[str]:
    """Tags as the Hub derives them: library, formats, card tags, task, licence, datasets."""
    tags: list[str] = []
    if isinstance(card.get("library_name"), str):
        tags.append(card["library_name"])
    if any(e.path.endswith(".safetensors") for e in entries):
        tags.append("safetensors")
    tags.extend(_strings(card.get("tags")))
    if isinstance(card.get("pipeline_tag"), str):
        tags.append(card["pipeline_tag"])
    tags.extend(f"license:{x}" for x in _strings(card.get("license")))
    tags.extend(f"dataset:{x}" for x in _strings(card.get("datasets")))
    tags.extend(f"base_model:{x}" for x in _strings(card.get("base_model")))
    tags.append("region:us")
    return list(dict.fromkeys(tags))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int | float)]
    return []


def _sibling(entry: FileEntry, blobs: bool) -> dict[str, Any]:
    sibling: dict[str, Any] = {"rfilename": entry.path}
    if blobs:
        sibling["size"] = entry.size
        sibling["blobId"] = entry.git_oid
        if entry.lfs:
            sibling["lfs"] = {
                "sha256": entry.sha256,
                "size": entry.size,
                "pointerSize": len(lfs_pointer(entry.sha256, entry.size)),
            }
    return sibling


def directories(paths: Iterable[str]) -> set[str]:
    """Every folder that holds at least one of ``paths`` (the root excluded)."""
    found: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        found.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return found


def last_commits(history: Sequence[Commit]) -> dict[str, Commit]:
    """For each file of ``history[0]``, the commit that gave it its current content."""
    head = history[0]
    found: dict[str, Commit] = {}
    for path, entry in head.tree.items():
        last = head
        for older in history[1:]:
            if older.tree.get(path) != entry:
                break
            last = older
        found[path] = last
    return found


def tree_entries(
    files: Mapping[str, FileEntry],
    folder: str,
    *,
    recursive: bool,
    history: Sequence[Commit] | None = None,
) -> list[dict[str, Any]] | None:
    """Entries under ``folder`` ("" = root), sorted by path; None when the folder doesn't exist.

    With ``history`` (newest first) entries carry ``lastCommit`` and ``securityFileStatus`` as
    ``expand=true`` asks.
    """
    dirs = directories(files)
    if folder and folder not in dirs:
        return None
    prefix = f"{folder}/" if folder else ""

    def wanted(path: str) -> bool:
        return path.startswith(prefix) and (recursive or "/" not in path[len(prefix) :])

    lasts = last_commits(history) if history else {}
    entries = [file_entry(e, lasts.get(e.path)) for p, e in files.items() if wanted(p)]
    for d in dirs:
        if wanted(d):
            inside = [e for p, e in files.items() if p.startswith(f"{d}/")]
            newest = max((lasts[e.path] for e in inside), key=lambda c: c.date) if lasts else None
            entries.append(_folder_entry(d, inside, newest))
    return sorted(entries, key=lambda e: str(e["path"]))


def file_entry(entry: FileEntry, last: Commit | None = None) -> dict[str, Any]:
    """One file of a tree or paths-info answer; ``last`` adds the ``expand=true`` fields."""
    item: dict[str, Any] = {"type": "file", "oid": entry.git_oid, "size": entry.size}
    item["path"] = entry.path
    if entry.lfs:
        pointer = lfs_pointer(entry.sha256, entry.size)
        item["lfs"] = {"oid": entry.sha256, "size": entry.size, "pointerSize": len(pointer)}
    if last is not None:
        item["lastCommit"] = _last_commit(last)
        item["securityFileStatus"] = {"status": "safe", "avScan": None, "pickleImportScan": None}
    return item


def _folder_entry(path: str, inside: Sequence[FileEntry], last: Commit | None) -> dict[str, Any]:
    listing = "".join(sorted(f"{e.path}\0{e.git_oid}\n" for e in inside))
    oid = hashlib.sha1(listing.encode(), usedforsecurity=False).hexdigest()
    item: dict[str, Any] = {"type": "directory", "oid": oid, "size": 0, "path": path}
    if last is not None:
        item["lastCommit"] = _last_commit(last)
    return item


def _last_commit(commit: Commit) -> dict[str, str]:
    return {"id": commit.id, "title": commit.title, "date": commit.date}


def refs_body(settings: Mapping[str, Any], *, include_prs: bool) -> dict[str, Any]:
    """``GET /api/models/{repo_id}/refs``: branches, tags and (``include_prs``) PR refs."""
    branches = settings["branches"]
    heads = {n: s for n, s in branches.items() if not n.startswith("refs/pr/")}
    prs = {n: s for n, s in branches.items() if n.startswith("refs/pr/")}
    body: dict[str, Any] = {
        "branches": [
            {"name": n, "ref": f"refs/heads/{n}", "targetCommit": s} for n, s in heads.items()
        ],
        "converts": [],
        "tags": [
            {"name": n, "ref": f"refs/tags/{n}", "targetCommit": s}
            for n, s in settings["tags"].items()
        ],
    }
    if include_prs:
        body["pullRequests"] = [
            {"name": n.removeprefix("refs/pr/"), "ref": n, "targetCommit": s}
            for n, s in prs.items()
        ]
    return body


def commit_item(commit: Commit) -> dict[str, Any]:
    """One item of ``GET /api/models/{repo_id}/commits/{rev}``."""
    return {
        "id": commit.id,
        "title": commit.title,
        "message": commit.message,
        "authors": [{"user": "ptmlock"}],
        "date": commit.date,
    }
