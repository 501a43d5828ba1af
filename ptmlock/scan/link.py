"""Phase 2: what each file's facts mean once the whole project is known.

The Python linker follows every loader call's model across the project's modules (and notebooks
and doc snippets). What its walks passed through on the way to a loader (environment variables,
command-line options) and the models it resolved then decide the other files' candidates:
``EMBEDDING_MODEL=...`` in ``.env`` counts when the code reads ``EMBEDDING_MODEL``,
``--vision_tower org/x`` in a script when the code reads that option, an id in a README when the
project uses that model. Last, a Hub-shaped id that names a folder of the project is a path.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from ptmlock.models import Reference, Skipped
from ptmlock.scan.detectors.interface import Candidate, FileFacts
from ptmlock.scan.detectors.shapes import (
    guess_library,
    is_api_key,
    is_hub_id,
    is_ollama_tag,
    normalize_key,
)
from ptmlock.scan.python.ir import Summary
from ptmlock.scan.python.linker import Links, link_python
from ptmlock.scan.python.project import Index, PythonProject
from ptmlock.scan.signatures import match_signature
from ptmlock.scan.transforms import CallFacts, is_bare_name, ollama_id
from ptmlock.scan.vendored import unused_copies

__all__ = ["FileEntry", "link_project"]


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file as phase 2 receives it: its facts (the summary apart) and Python index."""

    facts: FileFacts
    index: Index | None
    shape: str | None = None  # digest of the summary and index: what the Python linker sees


_WORD = re.compile(r"[-_.]")


def link_project(
    files: Mapping[str, FileEntry],
    load: Callable[[str], Summary | None],
    directories: frozenset[str],
    keys: Mapping[str, str] | None = None,
    previous: Links | None = None,
) -> tuple[list[Reference], Links, list[Skipped]]:
    """Every reference of the project, from its files' facts, the Python links behind them
    (``keys``, the files' keys: what the linker sees of each, and ``previous``: see
    ``link_python``), and the
    vendored copies left out (see ``vendored``)."""
    project = _project(files, load)
    copies = unused_copies(files, project, load)
    if copies:
        project.resident.release()
        files = {r: f for r, f in files.items() if not any(r.startswith(c + "/") for c in copies)}
        project = _project(files, load)
    skipped = [Skipped(path=f"{folder}/", reason=why) for folder, why in sorted(copies.items())]
    try:
        linked, links = link_python(project, directories, keys, previous)
    finally:
        project.resident.release()
    found = list(linked.references)
    for entry in files.values():
        found += entry.facts.references
    known = {m.lower() for m in linked.models} | {r.model.lower() for r in found if r.model}
    options = {normalize_key(o.lstrip("-")) for o in linked.options}
    env = set(linked.env)
    placed = {(r.file, r.line, r.model) for r in found}
    loaders: dict[str, list[str]] = defaultdict(list)
    for flag, qualname in linked.loaders:
        loaders[normalize_key(flag.lstrip("-"))].append(qualname)
    for entry in files.values():
        accepted = [c for c in entry.facts.candidates if _accepted(c, env, options, known)]
        for c in entry.facts.candidates:
            named = _library_name(c, loaders, directories) if c.kind == "named-flag" else None
            if named is not None:
                accepted.append(replace(c, reference=named))
        groups: dict[int, set[str]] = defaultdict(set)
        for c in accepted:
            if c.kind == "mention" and c.group:
                groups[c.group].add(c.name)
        accepted += [
            c for c in entry.facts.candidates
            if c.kind == "mention" and c.group in groups and c.name not in groups[c.group]
            and (c.choice or any(_variants(c.name, m) for m in groups[c.group]))
        ]  # fmt: skip
        for c in accepted:
            key = (c.reference.file, c.reference.line, c.reference.model)
            if key not in placed:
                placed.add(key)
                found.append(c.reference)
    found += _named(files, known, found)
    return [r for r in found if not _names_folder(r, directories)], links, skipped


def _project(
    files: Mapping[str, FileEntry], load: Callable[[str], Summary | None]
) -> PythonProject:
    entries = [(relpath, f.index) for relpath, f in files.items() if f.index is not None]
    importable = [relpath for relpath in files if relpath.endswith(".py")]
    return PythonProject.build(entries, load, importable)


def _named(
    files: Mapping[str, FileEntry], known: set[str], found: list[Reference]
) -> list[Reference]:
    """``org/name`` strings in the code that are models the project loads elsewhere, and the
    ids of the same organisation beside them in one list (interchangeable choices); names
    beside a model of a library's own (``rembg/u2net``) in one list are that library's too."""
    out: list[Reference] = []
    placed = {(r.file, r.line, r.model) for r in found}
    scoped = {
        r.model.split("/", 1)[1].lower(): r.model.split("/", 1)[0]
        for r in found
        if r.hub == "other" and r.model and r.model.count("/") == 1 and r.library != "ollama"
    }
    for relpath, entry in files.items():
        if entry.index is None:
            continue
        tables: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for line, text, table in entry.index.strings:
            tables[table].append((line, text))
        for table, items in tables.items():
            orgs = {t.split("/", 1)[0].lower() for _, t in items if t.lower() in known}
            out += _scoped_siblings(relpath, items, scoped, placed) if table > 0 else []
            for line, text in items:
                if "/" not in text and not is_ollama_tag(text):
                    continue
                ollama = is_ollama_tag(text)
                model = ollama_id(text) if ollama else text
                sibling = table > 0 and not ollama and text.split("/", 1)[0].lower() in orgs
                if (model.lower() in known or (sibling and is_hub_id(text))) and (
                    relpath, line, model) not in placed:  # fmt: skip
                    out.append(_named_reference(relpath, line, model, table != 0))
    return out


def _scoped_siblings(
    relpath: str, items: list[tuple[int, str]], scoped: dict[str, str],
    placed: set[tuple[str, int, str | None]],
) -> list[Reference]:  # fmt: skip
    """Plain names in a list beside one that a library's loader took (``new_session("sam")``
    and ``["u2net", "sam"]``): the other names are that library's choices."""
    ecosystems = {scoped[t.lower()] for _, t in items if "/" not in t and t.lower() in scoped}
    if len(ecosystems) != 1:
        return []
    ecosystem = ecosystems.pop()
    return [
        Reference(
            file=relpath,
            line=line,
            hub="other",
            model=f"{ecosystem}/{text}",
            api="named in code",
            how="collection",
            confidence="medium",
            library=ecosystem,
        )
        for line, text in items
        if "/" not in text and (relpath, line, f"{ecosystem}/{text}") not in placed
    ]


def _named_reference(relpath: str, line: int, model: str, in_table: bool) -> Reference:
    ollama = model.startswith("ollama/")
    return Reference(
        file=relpath, line=line, hub="other" if ollama else "huggingface", model=model,
        api="named in code", how="collection" if in_table else "constant",
        confidence="medium", library="ollama" if ollama else guess_library(model),
    )  # fmt: skip


def _library_name(
    candidate: Candidate, loaders: Mapping[str, list[str]], directories: frozenset[str]
) -> Reference | None:
    """``--model large-v2`` on a command line, when the option reaches a loader (through its
    default or choices) whose own names map ``large-v2`` to a model
    (``Systran/faster-whisper-large-v2``); the first such loader decides."""
    ref = candidate.reference
    for qualname in sorted(loaders.get(candidate.name, ())):
        signature = match_signature(qualname)
        if signature is None or ref.model is None:
            continue
        api = qualname.replace("()", "")
        facts = CallFacts(qualname=api, extras={}, directories=directories)
        target = signature.transform(ref.model, facts)
        if target is None or is_bare_name(target):
            continue  # the loader does not know the name: a folder, a key, a bare guess
        return replace(
            ref,
            hub=target.hub,
            model=target.model,
            revision=target.revision,
            files=target.files,
            library=target.library or signature.library,
            chain=(
                f"{ref.file}:{ref.line} {ref.api.removeprefix('cli:')} {ref.model}: "
                f"the option reaches {api}(), whose name it is",
            ),
        )
    return None


def _variants(one: str, other: str) -> bool:
    """Two ids of one organisation and one model line (``facebook/magnet-small-10secs``
    and ``facebook/magnet-medium-30secs``): the sizes a list offers beside the one loaded."""
    org, _, name = one.lower().partition("/")
    other_org, _, other_name = other.lower().partition("/")
    line, other_line = _WORD.split(name, 1)[0], _WORD.split(other_name, 1)[0]
    if not (name and other_name and name[-1].isalnum() and org == other_org and line):
        return False  # ``musicgen-stereo-*`` is a family, not a model
    if name.startswith(other_name) or other_name.startswith(name):
        return False  # ``harrier-oss-v1`` beside ``harrier-oss-v1-0.6b``: one model, named short
    return line == other_line


def _accepted(candidate: Candidate, env: set[str], options: set[str], known: set[str]) -> bool:
    if candidate.kind == "env":  # not an API provider's model, whatever the code does with it
        return candidate.name in env and not is_api_key(normalize_key(candidate.name))
    if candidate.kind == "flag":
        return candidate.name in options
    if candidate.kind == "named-flag":
        return False  # decided by the loader's names (``_library_name``)
    return candidate.name.lower() in known


def _names_folder(ref: Reference, directories: frozenset[str]) -> bool:
    """``models/bert`` in code, when the project has a ``models/`` folder, is a local path."""
    if ref.hub != "huggingface" or ref.model is None or ref.files:
        return False
    model = ref.model
    return model in directories or model.split("/", 1)[0] in directories
