"""``trust_remote_code=True``: which code files the model would run, and whether the lock pins
them. transformers imports the modules named in ``auto_map`` (config.json,
tokenizer_config.json, ...), which import their neighbours; an entry ``org/repo--module.Class``
fetches the module from another repo. So the files are every ``.py`` of the repo at the locked
commit plus the modules of the repos ``auto_map`` points to, and each must be a locked file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from ptmlock.audit.code_rules import RemoteCodeSite
from ptmlock.audit.findings import Finding
from ptmlock.models import Lock, LockedModel

__all__ = ["auto_map_modules", "remote_code_finding"]

_CONFIGS = ("config.json", "tokenizer_config.json", "preprocessor_config.json")
ReadLocked = Callable[[LockedModel, str], bytes | None]
RepoFiles = Callable[[LockedModel], tuple[str, ...] | None]


def auto_map_modules(config: bytes) -> Iterator[tuple[str | None, str]]:
    """(other repo or None, module file) for each ``auto_map`` entry of a config."""
    try:
        data = json.loads(config)
    except ValueError:
        return
    auto_map = data.get("auto_map") if isinstance(data, dict) else None
    if not isinstance(auto_map, dict):
        return
    for value in auto_map.values():
        for entry in value if isinstance(value, list) else [value]:
            if not isinstance(entry, str) or "." not in entry:
                continue
            repo, _, reference = entry.rpartition("--")
            module = reference.rsplit(".", 1)[0]
            yield (repo or None, module.replace(".", "/") + ".py")


def remote_code_finding(
    site: RemoteCodeSite, lock: Lock, read_locked: ReadLocked, repo_files: RepoFiles
) -> Finding:
    """PTM202 when every code file is pinned, PTM201 listing what is not."""

    def unpinned(message: str, fix: str, model: str | None = None) -> Finding:
        return Finding(
            rule="PTM201",
            severity="high",
            message=message,
            fix=fix,
            model=model,
            file=site.file,
            line=site.line,
        )

    if site.model is None:
        return unpinned(
            "trust_remote_code=True with a model the scan cannot name: its code is not pinned",
            "name the model with a literal or declare it in [[tool.ptmlock.models]]",
        )
    model = lock.find("huggingface", site.model)
    if model is None:
        return unpinned(
            f"trust_remote_code=True runs code of {site.model}, which is not in the lock",
            "run ptmlock scan so the model and its code files are pinned",
            site.model,
        )
    needed = _needed(model, lock, read_locked, repo_files)
    missing = [
        f"{repo}/{path}" if repo != model.id else path
        for repo, path in needed
        if not _locked(lock, repo, path)
    ]
    if missing:
        return unpinned(
            f"trust_remote_code=True runs code files the lock does not pin: {', '.join(missing)}",
            f'lock them: patterns = ["*.py", ...] for {model.id} in [[tool.ptmlock.models]]',
            model.id,
        )
    listed = ", ".join(p if r == model.id else f"{r}/{p}" for r, p in needed) or "none found"
    return Finding(
        rule="PTM202",
        severity="low",
        message=f"trust_remote_code=True runs {model.id}@{model.revision[:12]} code: {listed}"
        " (all pinned)",
        fix="review the listed files at the locked commit before upgrading the pin",
        model=model.id,
        file=site.file,
        line=site.line,
    )


def _needed(
    model: LockedModel, lock: Lock, read_locked: ReadLocked, repo_files: RepoFiles
) -> list[tuple[str, str]]:
    """(repo, path) of every code file: the model's ``.py`` files, the modules ``auto_map``
    names, and the ``.py`` files of each other repo it points to (they import neighbours)."""
    needed = set(_python_files(model, repo_files))
    for config in _CONFIGS:
        data = read_locked(model, config)
        for repo, module in auto_map_modules(data) if data else ():
            needed.add((repo or model.id, module))
            other = lock.find("huggingface", repo) if repo else None
            if other is not None:
                needed |= set(_python_files(other, repo_files))
    return sorted(needed)


def _python_files(model: LockedModel, repo_files: RepoFiles) -> list[tuple[str, str]]:
    listing = repo_files(model)
    names = listing if listing is not None else tuple(f.path for f in model.files)
    return [(model.id, p) for p in names if p.endswith(".py")]


def _locked(lock: Lock, repo: str, path: str) -> bool:
    model = lock.find("huggingface", repo)
    return model is not None and any(f.path == path for f in model.files)
