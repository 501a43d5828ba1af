"""Config files that nothing in the project names: their models are listed at low confidence.

A YAML/JSON/TOML file inside a project's folders that no other file names is most often a
vendored library's own config that the project never loads (a copied model repo's
``configs/*.yaml``, each with its checkpoint URL). A config is named when another scanned file
holds, as a whole word, its file name (``train_x4plus.yml``), its stem (a Hydra or OmegaConf
choice: ``solver=musicgen/musicgen_base_32khz``, ``--preset anime``) or its folder's path from
the project root (``os.listdir("presets")``), or its top-level folder when no code lives there
(``config_path="../config"``). Files at the root and the files tools read by their own rules
(compose files, ``cog.yaml``, CI workflows) are always read. The models of an unnamed config stay
in the scan, at ``low``: listed, never locked.

Searching every file's text costs a read of the tree, so the words each file holds are kept per
content hash and per set of words looked for (``Mentions``): after one edit, only that file is
searched again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from ptmlock.models import Reference

__all__ = ["Mentions", "demote_unnamed_configs", "load_mentions"]

_CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml")
# read by a tool, not by the project's code: never named in it, always read
_TOOL_READ = re.compile(
    r"(^|/)(\.github|\.gitlab|\.circleci)/|(^|/)(docker-)?compose[\w.-]*\.ya?ml$|(^|/)cog\.yaml$"
    r"|(^|/)pyproject\.toml$|(^|/)(chart|values)[\w.-]*\.ya?ml$"
)

#: (digest of the words looked for, relpath -> (content sha256, the words it holds))
Mentions = tuple[str, dict[str, tuple[str, tuple[str, ...]]]]
_NONE: Mentions = ("", {})


def demote_unnamed_configs(
    found: list[Reference],
    shas: Mapping[str, str],
    read: Callable[[str], bytes],
    mentions: Mentions,
) -> tuple[list[Reference], Mentions]:
    """``found`` with the models of unnamed configs at low confidence, and the words each file
    was found to hold (to pass back as ``mentions`` next time). ``shas`` are the scanned files
    with their content hashes, ``read`` gives a file's bytes."""
    configs = sorted({r.file for r in found if r.model and r.confidence != "low"
                      and _may_be_unread(r.file)})  # fmt: skip
    if not configs:
        return found, _NONE
    code_tops = {p.split("/", 1)[0] for p in shas if p.endswith(".py") and "/" in p}
    words = {config: _names_of(config, code_tops) for config in configs}
    wanted = sorted(set().union(*words.values()))
    pattern = re.compile(
        rb"(?<![\w-])(?:" + b"|".join(re.escape(w.encode()) for w in wanted) + rb")(?![\w-])"
    )
    key = hashlib.sha256("\0".join(wanted).encode()).hexdigest()
    known = mentions[1] if mentions[0] == key else {}
    seen: dict[str, tuple[str, tuple[str, ...]]] = {}
    holders: dict[str, set[str]] = {}
    for relpath, sha in shas.items():
        old = known.get(relpath)
        held = old[1] if old is not None and old[0] == sha else _held(pattern, relpath, read)
        seen[relpath] = (sha, held)
        for word in held:
            holders.setdefault(word, set()).add(relpath)
    unnamed = {
        config for config in configs
        if not any(holders.get(word, set()) - {config} for word in words[config])
    }  # fmt: skip
    demoted = [
        replace(r, confidence="low") if r.file in unnamed and r.confidence != "low" else r
        for r in found
    ]
    return demoted, (key, seen)


def _may_be_unread(relpath: str) -> bool:
    return (
        "/" in relpath
        and relpath.lower().endswith(_CONFIG_SUFFIXES)
        and not _TOOL_READ.search(relpath.lower())
    )


def _names_of(relpath: str, code_tops: set[str]) -> frozenset[str]:
    """The words that name a config: its file name, its stem, its folder's path, and its
    top-level folder when that holds no code (a tree of configs read by a config framework)."""
    folder, _, name = relpath.rpartition("/")
    top = folder.split("/", 1)[0]
    stem = name.rsplit(".", 1)[0]
    return frozenset(w for w in (name, stem, folder, "" if top in code_tops else top) if w)


def _held(
    pattern: re.Pattern[bytes], relpath: str, read: Callable[[str], bytes]
) -> tuple[str, ...]:
    try:
        data = read(relpath)
    except OSError:
        return ()
    return tuple(sorted({m.decode("utf-8", "replace") for m in pattern.findall(data)}))


def load_mentions(value: Any) -> Mentions:
    """The ``Mentions`` kept in the scan cache, or none when they do not have that shape."""
    try:
        key, files = value
        return str(key), {str(k): (str(v[0]), tuple(v[1])) for k, v in files.items()}
    except (TypeError, ValueError, IndexError, AttributeError):
        return _NONE
