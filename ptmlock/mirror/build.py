"""Filling a store: from plain folders of model files, or from a Hugging Face cache.

``import_folders`` turns ``SRC/<org>/<name>/`` (and legacy ``SRC/<name>/``) folders into repos,
one commit each. ``import_hf_cache`` turns the snapshots of a Hugging Face cache
(``models--<org>--<name>/snapshots/<commit>/``) into commits **with the same ids**, and its
``refs/`` into branches, so an air-gapped machine can serve what another machine downloaded and a
``ptm.lock`` written against huggingface.co installs from the mirror unchanged (for the files the
cache holds: a snapshot only has the files someone downloaded).
"""

from __future__ import annotations

import logging
from pathlib import Path

from ptmlock.mirror.store import RepoStore

__all__ = ["import_folders", "import_hf_cache"]

logger = logging.getLogger(__name__)


def _subdirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def import_folders(
    store: RepoStore, source: Path, *, message: str = "Import", link: bool = False
) -> dict[str, str]:
    """Commit every repo folder under ``source`` to ``main``; returns ``{repo_id: commit}``.

    ``link`` hard-links files into the store instead of copying them (see ``RepoStore.commit``).
    A folder with files at its top level is a repo named after it (``SRC/gpt2``); one holding
    only folders is a namespace whose sub-folders are repos (``SRC/org/name``).
    """
    commits: dict[str, str] = {}
    for top in _subdirs(source):
        if any(p.is_file() for p in top.iterdir()):
            repos = [(top.name, top)]
        else:
            repos = [(f"{top.name}/{sub.name}", sub) for sub in _subdirs(top)]
        for repo_id, folder in repos:
            commits[repo_id] = store.commit(
                repo_id, folder, message=f"{message} {folder.name}", link=link
            )
            logger.info("imported %s from %s at %s", repo_id, folder, commits[repo_id])
    return commits


def _cache_refs(repo_dir: Path) -> dict[str, str]:
    """``refs/main`` -> {"main": sha}; ``refs/refs/pr/1`` -> {"refs/pr/1": sha}."""
    refs_dir = repo_dir / "refs"
    if not refs_dir.is_dir():
        return {}
    return {
        p.relative_to(refs_dir).as_posix(): p.read_text().strip()
        for p in sorted(refs_dir.rglob("*"))
        if p.is_file()
    }


def import_hf_cache(
    store: RepoStore, cache_dir: Path, *, link: bool = False
) -> dict[str, list[str]]:
    """Import every model snapshot of a Hugging Face hub cache; returns ``{repo_id: [commits]}``.

    Each snapshot keeps its commit id; each ref of the cache becomes a branch at the same commit
    (``main`` falls back to the last snapshot imported when the cache has no ``refs/main``).
    """
    imported: dict[str, list[str]] = {}
    for repo_dir in sorted(cache_dir.glob("models--*")):
        repo_id = repo_dir.name.removeprefix("models--").replace("--", "/")
        snapshots = _subdirs(repo_dir / "snapshots") if (repo_dir / "snapshots").is_dir() else []
        for snapshot in snapshots:
            store.commit(
                repo_id,
                snapshot,
                commit_id=snapshot.name,
                message=f"Snapshot {snapshot.name}",
                link=link,
            )
            imported.setdefault(repo_id, []).append(snapshot.name)
        for ref, sha in _cache_refs(repo_dir).items():
            if sha in imported.get(repo_id, []):
                store.set_branch(repo_id, ref, sha)
        if imported.get(repo_id):
            logger.info("imported %d snapshot(s) of %s", len(imported[repo_id]), repo_id)
    return imported
