"""What audit and outdated ask the Hugging Face Hub beyond pinning: a repo's file list at a
commit, one small file, its refs and a ref's history. Errors are translated as in
huggingface.py (this class is that hub, with a few more questions)."""

from __future__ import annotations

from dataclasses import dataclass

from ptmlock.hubs.huggingface import HuggingFaceHub

__all__ = ["CommitInfo", "HfRepoView"]


@dataclass(frozen=True, slots=True)
class CommitInfo:
    id: str
    date: str  # ISO 8601
    title: str


class HfRepoView(HuggingFaceHub):
    """Read-only questions about a repo's history and tree (never downloads large files)."""

    def files_at(self, model_id: str, commit: str) -> tuple[str, ...]:
        """Every file path in the repo at ``commit``."""
        names = self._call(model_id, lambda: self._api.list_repo_files(model_id, revision=commit))
        return tuple(sorted(names))

    def read_small(self, model_id: str, commit: str, path: str) -> bytes:
        """One (small) file of the repo at ``commit``: a signature, a config."""
        return self._read_small(model_id, commit, path)

    def refs(self, model_id: str) -> dict[str, str]:
        """Branch and tag names -> the commit each points to."""
        refs = self._call(model_id, lambda: self._api.list_repo_refs(model_id))
        return {r.name: r.target_commit for r in [*refs.branches, *refs.tags]}

    def history(self, model_id: str, revision: str) -> list[CommitInfo]:
        """The commits reachable from ``revision``, newest first."""
        commits = self._call(
            model_id, lambda: self._api.list_repo_commits(model_id, revision=revision)
        )
        return [CommitInfo(c.commit_id, c.created_at.isoformat(), c.title) for c in commits]
