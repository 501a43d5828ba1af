"""The walk ``scan`` starts from: which files of a project are its own code.

Skipped on purpose, and reported as ``Skipped`` with the reason: virtualenvs, installed and vendored
packages, nested git repositories, ``[tool.ptmlock] exclude`` patterns and gitignored paths. As
git does, ``.gitignore`` files are read at every level, from the top of the repository that holds
the scanned folder (so ``ptmlock scan services/api`` honours the repository's own rules), and
``.git/info/exclude`` too; a file git tracks although a rule matches it (``git add -f``) is the
repository's all the same and is scanned (``git ls-files`` says which, when git is there). VCS
and tool caches are left out silently: nothing of the project's own lives there.
Patterns are matched in linear time: one with several wildcards (``**/**/**/x``, ``*a*a*a*b``
would make a backtracking regex exponential) is compiled with RE2; a simple one (most lines)
with ``re``, which is faster per match. A line that is not a valid pattern (``[z-a]``) matches
nothing, as in git, and is logged; in ``[tool.ptmlock] exclude`` it is a ConfigError.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import subprocess
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import re2

from ptmlock.errors import ConfigError
from ptmlock.limits import FILE_BYTES
from ptmlock.models import Skipped

__all__ = ["Tree", "walk_project"]

# never reported: nothing of the project's own lives there
_SILENT_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox",
     ".nox", ".cache"}
)  # fmt: skip
_SKIP_DIRS = {
    "node_modules": "node_modules",
    ".venv": "virtualenv",
    "venv": "virtualenv",
    "site-packages": "installed packages",
    "dist-packages": "installed packages",
    ".ipynb_checkpoints": "notebook autosave copies",
}
_VENDOR_DIRS = frozenset({"vendor", "vendored", "third_party", "third-party", "thirdparty",
                          "3rdparty", "_vendor"})  # fmt: skip
# skipped only when they hold a copied package (their own setup.py / pyproject.toml)
_VENDORISH_DIRS = frozenset({"external", "externals", "extern", "deps", "libs", "contrib"})
_PACKAGE_FILES = ("setup.py", "pyproject.toml", "setup.cfg")

logger = logging.getLogger(__name__)


class _Pattern(Protocol):
    def fullmatch(self, text: str) -> object: ...


_Rule = tuple[str, _Pattern, bool, bool]  # base dir, regex, negated, directories only


@dataclass(slots=True)
class Tree:
    """What the walk found: files to scan, every directory, and what it skipped and why."""

    files: list[str]
    directories: list[str]
    skipped: list[Skipped]


def walk_project(root: Path, exclude: Sequence[str], handles: Sequence[Any]) -> Tree:
    """Files some detector handles, every directory, and what was skipped on purpose (and why).

    Paths are relative to ``root``; gitignore rules see them relative to the repository's top
    (``in_repo``), ``[tool.ptmlock] exclude`` relative to ``root``.
    """
    tree = Tree([], [], [])
    excluded = [_exclude_rule(pattern) for pattern in exclude]
    top, prefix = _repository(root)
    tracked = _tracked_but_ignored(top)
    kept_dirs = {p.rsplit("/", i)[0] for p in tracked for i in range(1, p.count("/") + 1)}

    def in_repo(rel: str) -> str:
        return f"{prefix}/{rel}" if prefix and rel else prefix or rel

    # (folder, rules in force, whether only its tracked files count: an ignored folder
    # entered for the files git tracks in it anyway)
    stack: list[tuple[str, tuple[_Rule, ...], bool]] = [
        ("", _gitignore(top, prefix, _outer(top, prefix)), False)
    ]
    while stack:
        reldir, rules, only_tracked = stack.pop()
        try:
            entries = sorted(os.scandir(root / reldir), key=lambda e: e.name)
        except OSError as error:
            tree.skipped.append(Skipped(path=reldir or ".", reason=f"unreadable: {error.strerror}"))
            continue
        for entry in entries:
            rel = f"{reldir}/{entry.name}" if reldir else entry.name
            if entry.is_dir(follow_symlinks=False):
                if entry.name in _SILENT_DIRS:
                    continue
                tree.directories.append(rel)
                reason = _dir_reason(Path(entry.path), rel, in_repo(rel), rules, excluded)
                if reason in ("", "gitignored") and (only_tracked or reason):
                    # ignored (or inside an ignored folder): only the files git tracks count
                    kept = in_repo(rel) in kept_dirs
                    if kept:
                        stack.append((rel, _gitignore(top, in_repo(rel), rules), True))
                    if reason:
                        why = f"{reason}, but for the files git tracks in it" if kept else reason
                        tree.skipped.append(Skipped(path=f"{rel}/", reason=why))
                elif reason:
                    tree.skipped.append(Skipped(path=f"{rel}/", reason=reason))
                else:
                    stack.append((rel, _gitignore(top, in_repo(rel), rules), False))
            elif (link := entry.is_symlink()) or entry.is_file():
                if not any(handle(rel) for handle in handles):
                    continue
                if only_tracked and in_repo(rel) not in tracked:
                    continue  # inside an ignored folder: only what git tracks is the project's
                reason = _file_reason(rel, in_repo(rel), rules, excluded)
                if reason == "gitignored" and in_repo(rel) in tracked:
                    reason = ""  # git tracks it all the same: it is part of the repository
                reason = reason or (_link_reason(root, Path(entry.path)) if link else "")
                if reason:
                    tree.skipped.append(Skipped(path=rel, reason=reason))
                else:
                    tree.files.append(rel)
    tree.files.sort()
    return tree


def _tracked_but_ignored(top: Path) -> frozenset[str]:
    """Files the repository at ``top`` tracks although its ignore rules match them (added
    before the rule, or with ``git add -f``): part of the repository all the same. Asked of
    ``git`` itself (no hooks or fsmonitor run); none when there is no repository or no git."""
    if not (top / ".git").exists():
        return frozenset()
    command = ["git", "-c", "core.fsmonitor=false", "-C", str(top), "ls-files", "-z", "--cached",
               "--ignored", "--exclude-standard"]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.debug("git ls-files in %s: %s", top, error)
        return frozenset()
    if done.returncode != 0:
        logger.debug("git ls-files in %s: %s", top, done.stderr.decode(errors="replace")[:200])
        return frozenset()
    return frozenset(p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p)


def _link_reason(root: Path, link: Path) -> str:
    """Why a symlinked file is not read ("" when it is a file inside the project): a link
    can lead outside (what it names there is not the project's) or into a loop."""
    try:
        target = link.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 says a loop this way
        return "a symlink loop"
    except OSError as error:
        return "a symlink loop" if error.errno == errno.ELOOP else "a broken symlink"
    if not target.is_relative_to(root.resolve()):
        return "a symlink to outside the project"
    return "" if target.is_file() else "a symlink to something not a file"


def _dir_reason(
    path: Path, rel: str, repo_rel: str, rules: Sequence[_Rule], excluded: Sequence[_Rule]
) -> str:
    name = path.name
    if name in _SKIP_DIRS:
        return _SKIP_DIRS[name]
    if (path / "pyvenv.cfg").is_file():
        return "virtualenv"
    if name in _VENDOR_DIRS:
        return "vendored code"
    if name in _VENDORISH_DIRS and _holds_package(path):
        return "vendored package"
    if (path / ".git").exists():
        return "nested git repository"
    if _matches(rel, True, excluded):
        return "excluded by tool.ptmlock.exclude"
    return "gitignored" if _matches(repo_rel, True, rules) else ""


def _file_reason(rel: str, repo_rel: str, rules: Sequence[_Rule], excluded: Sequence[_Rule]) -> str:
    if _matches(rel, False, excluded):
        return "excluded by tool.ptmlock.exclude"
    return "gitignored" if _matches(repo_rel, False, rules) else ""


def _repository(root: Path) -> tuple[Path, str]:
    """The top of the git work tree holding ``root`` and ``root``'s path in it; else
    ``(root, "")``. A ``.git`` file (a submodule or worktree) marks a top as well."""
    for top in (root, *root.parents):
        if (top / ".git").exists():
            inside = root.relative_to(top).as_posix()
            return top, "" if inside == "." else inside
    return root, ""


def _outer(top: Path, prefix: str) -> tuple[_Rule, ...]:
    """The rules in force at the scanned folder from outside it: ``.git/info/exclude``, then
    each ``.gitignore`` from the repository's top down to the folder's parent."""
    rules = _ignore_file(top / ".git" / "info" / "exclude", "")
    parts = prefix.split("/") if prefix else []
    for depth in range(len(parts)):
        rules = _gitignore(top, "/".join(parts[:depth]), rules)
    return rules


def _holds_package(path: Path) -> bool:
    candidates = [path, *(p for p in path.iterdir() if p.is_dir())] if path.is_dir() else []
    return any((c / f).is_file() for c in candidates for f in _PACKAGE_FILES)


def _gitignore(top: Path, reldir: str, inherited: tuple[_Rule, ...]) -> tuple[_Rule, ...]:
    return inherited + _ignore_file(top / reldir / ".gitignore", reldir)


def _ignore_file(path: Path, base: str) -> tuple[_Rule, ...]:
    """The rules of one ignore file, anchored at ``base`` (relative to the repository's top)."""
    try:
        if path.stat().st_size > FILE_BYTES.value:
            logger.warning("%s: larger than %d bytes, not read", path, FILE_BYTES.value)
            return ()
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ()
    rules = []
    for number, line in enumerate(lines, 1):
        if line.strip() and not line.startswith("#"):
            rule = _rule(base, line)
            if rule is None:
                logger.warning("%s:%d: not a valid pattern, it matches nothing", path, number)
            else:
                rules.append(rule)
    return tuple(rules)


def _exclude_rule(pattern: str) -> _Rule:
    rule = _rule("", pattern)
    if rule is None:
        raise ConfigError(f"[tool.ptmlock] exclude: {pattern!r} is not a valid pattern")
    return rule


def _rule(base: str, pattern: str) -> _Rule | None:
    """One gitignore line: ``!`` negates, a trailing ``/`` means directories, a ``/`` anchors."""
    pattern = pattern.rstrip()
    negated = pattern.startswith("!")
    pattern = pattern.removeprefix("!").removeprefix("\\")
    dir_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    anchored = "/" in pattern
    body = _glob_to_regex(pattern.lstrip("/"))
    regex = _compile(body if anchored else f"(?:.*/)?{body}", pattern.count("*"))
    return None if regex is None else (base, regex, negated, dir_only)


def _compile(regex: str, wildcards: int) -> _Pattern | None:
    """``regex`` compiled to match in linear time, or None when it is not valid."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "possible nested set" on [[:alpha:]]
            simple = re.compile(regex)
    except re.error:
        return None
    if wildcards <= 1:  # at most one quantifier besides the prefix: no exponential case
        return simple
    try:
        linear: _Pattern = re2.compile(regex)
    except re2.error:
        return None
    return linear


def _glob_to_regex(glob: str) -> str:
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and (end := glob.find("]", i + 2)) > 0:
            out.append("[" + glob[i + 1 : end].replace("!", "^", 1).replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


def _matches(rel: str, is_dir: bool, rules: Sequence[_Rule]) -> bool:
    ignored = False
    for base, regex, negated, dir_only in rules:
        if dir_only and not is_dir:
            continue
        sub = rel[len(base) + 1 :] if base else rel
        if regex.fullmatch(sub):
            ignored = not negated
    return ignored
