"""ptm.lock: the Lock <-> dict mapping, TOML reading and writing, atomic replacement.

The dict form is what ``schemas/ptm-lock.schema.json`` describes. ``lock_from_dict`` checks every
key and names the bad one by its dotted path (``model[2].file[0].sha256``), the way
``packaging.pylock`` does; reading a file adds the line the key stands on.
Output is deterministic: models sorted by hub, id and requested revision, files by path, empty
fields left out, no timestamps, so the same inputs give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import tomlkit
import tomlkit.exceptions

from ptmlock.atomic import write_atomic
from ptmlock.endpoint import is_public_endpoint
from ptmlock.errors import LockFileError
from ptmlock.models import HUBS, BaseModelRef, Lock, LockedFile, LockedModel, Requirement

__all__ = [
    "SUPPORTED_VERSION",
    "dumps_lock",
    "loads_lock",
    "lock_from_dict",
    "lock_to_dict",
    "read_lock",
    "safe_relpath",
    "valid_model_id",
    "write_lock",
]

SUPPORTED_VERSION = 1
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# model ids by hub: Hugging Face's own rule (huggingface_hub ``validate_repo_id``: one or two
# names of letters, digits, ``-_.``, not starting or ending with ``-``/``.``, no ``--``/``..``, at
# most 96 characters); GitHub's owner/repo; for URL files, a URL or the name a library gives its
# weights (``torchvision/resnet18:IMAGENET1K_V1``), printable without spaces (never a path: the
# file is placed by its checked file name)
_HF_NAME = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?"
_MODEL_IDS = {
    "huggingface": re.compile(rf"(?:{_HF_NAME}/)?{_HF_NAME}"),
    "pytorch_hub": re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"),
    "url": re.compile(r"[!-~]+"),
}
T = TypeVar("T")

# Optional LockedModel fields in the order they are written, with their TOML key and type.
_OPTIONAL_FIELDS: tuple[tuple[str, str, type], ...] = (
    ("requested", "requested", str),
    ("endpoint", "endpoint", str),
    ("branch", "branch", str),
    ("entries", "entries", list),
    ("used_by", "used_by", list),
    ("loaders", "loaders", list),
    ("group", "group", str),
    ("libraries", "libraries", list),
    ("patterns", "patterns", list),
    ("folder", "folder", str),
    ("absent", "absent", list),
    ("required_by", "required_by", list),
    ("license", "license", str),
    ("task", "task", str),
    ("library_name", "library_name", str),
    ("family", "family", str),
    ("architecture", "architecture", str),
    ("datasets", "datasets", list),
    ("gated", "gated", bool),
    ("parameters", "parameters", int),
    ("last_modified", "last_modified", str),
    ("card_sha256", "card_sha256", str),
)
_MODEL_KEYS = {"hub", "id", "revision", "file", "base_model", "requires"} | {
    k for _, k, _ in _OPTIONAL_FIELDS
}
_FILE_KEYS = {"path", "size", "sha256", "url", "resolved_url"}


class _Invalid(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{message} in '{path}'")
        self.path = path


def _get(data: Mapping[str, Any], key: str, kind: type[T], path: str) -> T:
    value = data[key]
    # bool is an int in Python; a lock that says `size = true` is still wrong
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Invalid(
            f"{path}.{key}".lstrip("."),
            f"Unexpected type {type(value).__name__} (expected {kind.__name__})",
        )
    if isinstance(value, str):
        _check_text(value, f"{path}.{key}".lstrip("."))
    return value


def _check_text(value: str, path: str) -> None:
    """Lock strings are one line of text: a control character (a NUL, which no XML export can
    hold, a newline, an escape sequence for the terminal) is refused."""
    if bad := _CONTROL.search(value):
        raise _Invalid(path, f"Control character {bad.group()!r} in a string")


def _require(data: Mapping[str, Any], key: str, kind: type[T], path: str) -> T:
    if key not in data:
        raise _Invalid(f"{path}.{key}".lstrip("."), "Missing required key")
    return _get(data, key, kind, path)


def _str_list(data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
    if key not in data:
        return ()
    items = _get(data, key, list, path)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise _Invalid(f"{path}.{key}[{i}]", f"Unexpected type {type(item).__name__}")
        _check_text(item, f"{path}.{key}[{i}]")
    return tuple(items)


def _check_unknown(data: Mapping[str, Any], allowed: set[str], path: str) -> None:
    for key in data:
        if key not in allowed:
            raise _Invalid(f"{path}.{key}".lstrip("."), "Unknown key")


def _file_from_dict(data: Any, path: str) -> LockedFile:
    if not isinstance(data, Mapping):
        raise _Invalid(path, "Expected a table")
    _check_unknown(data, _FILE_KEYS, path)
    rel = _require(data, "path", str, path)
    if not safe_relpath(rel):
        raise _Invalid(f"{path}.path", f"Unsafe file path {rel!r}")
    size = _require(data, "size", int, path)
    if size < 0:
        raise _Invalid(f"{path}.size", "Negative size")
    sha = _require(data, "sha256", str, path)
    if not _SHA256.match(sha):
        raise _Invalid(f"{path}.sha256", "Not a lowercase hex sha256")
    url = _get(data, "url", str, path) if "url" in data else None
    resolved = _get(data, "resolved_url", str, path) if "resolved_url" in data else None
    return LockedFile(path=rel, size=size, sha256=sha, url=url, resolved_url=resolved)


def _base_from_dict(data: Any, path: str) -> BaseModelRef:
    if not isinstance(data, Mapping):
        raise _Invalid(path, "Expected a table")
    _check_unknown(data, {"id", "relation"}, path)
    relation = _get(data, "relation", str, path) if "relation" in data else "finetune"
    return BaseModelRef(id=_require(data, "id", str, path), relation=relation)


def _requirement_from_dict(data: Any, path: str) -> Requirement:
    if not isinstance(data, Mapping):
        raise _Invalid(path, "Expected a table")
    _check_unknown(data, {"id", "revision", "library", "files", "why"}, path)
    files = _str_list(data, "files", path)
    for i, name in enumerate(files):
        if not safe_relpath(name):
            raise _Invalid(f"{path}.files[{i}]", f"Unsafe file path {name!r}")
    return Requirement(
        id=_require(data, "id", str, path),
        revision=_get(data, "revision", str, path) if "revision" in data else None,
        library=_get(data, "library", str, path) if "library" in data else "transformers",
        files=files,
        why=_get(data, "why", str, path) if "why" in data else "",
    )


def _model_from_dict(data: Any, path: str) -> LockedModel:
    if not isinstance(data, Mapping):
        raise _Invalid(path, "Expected a table")
    _check_unknown(data, _MODEL_KEYS, path)
    hub = _require(data, "hub", str, path)
    if hub not in HUBS:
        raise _Invalid(f"{path}.hub", f"Unknown hub {hub!r} (expected one of {', '.join(HUBS)})")
    model_id = _require(data, "id", str, path)
    if not valid_model_id(hub, model_id):
        raise _Invalid(f"{path}.id", f"Not a valid {hub} model id: {model_id[:100]!r}")
    revision = _require(data, "revision", str, path)
    if not _COMMIT.match(revision):
        raise _Invalid(f"{path}.revision", f"Not a full commit sha: {revision!r}")
    if "endpoint" in data and not is_public_endpoint(_get(data, "endpoint", str, path)):
        raise _Invalid(f"{path}.endpoint", "Not an http(s) URL without credentials or query")
    files = _get(data, "file", list, path) if "file" in data else []
    bases = _get(data, "base_model", list, path) if "base_model" in data else []
    requires = _get(data, "requires", list, path) if "requires" in data else []
    optional: dict[str, Any] = {}
    for attr, key, kind in _OPTIONAL_FIELDS:
        if key not in data:
            continue
        optional[attr] = _str_list(data, key, path) if kind is list else _get(data, key, kind, path)
    for i, name in enumerate(optional.get("absent", ())):
        if not safe_relpath(name):
            raise _Invalid(f"{path}.absent[{i}]", f"Unsafe file path {name!r}")
    if "folder" in optional and not safe_relpath(optional["folder"]):
        raise _Invalid(f"{path}.folder", f"Unsafe folder {optional['folder']!r}")
    return LockedModel(
        hub=hub,  # checked against HUBS above
        id=model_id,
        revision=revision,
        files=tuple(_file_from_dict(f, f"{path}.file[{i}]") for i, f in enumerate(files)),
        base_models=tuple(
            _base_from_dict(b, f"{path}.base_model[{i}]") for i, b in enumerate(bases)
        ),
        requires=tuple(
            _requirement_from_dict(r, f"{path}.requires[{i}]") for i, r in enumerate(requires)
        ),
        **optional,
    )


def lock_from_dict(data: Mapping[str, Any]) -> Lock:
    """Build a Lock from its parsed form; raises LockFileError naming the bad key."""
    try:
        version = _require(data, "version", int, "")
        if version > SUPPORTED_VERSION:  # before anything else: newer locks may have new keys
            raise LockFileError(
                f"Lock version {version} is newer than this ptmlock supports "
                f"({SUPPORTED_VERSION}) in 'version'",
                hint="upgrade ptmlock (pip install -U ptmlock): a newer ptmlock wrote this lock",
            )
        _check_unknown(data, {"version", "model"}, "")
        if version < 1:
            raise _Invalid("version", f"Invalid lock version {version}")
        models = _get(data, "model", list, "") if "model" in data else []
        return Lock(
            version=version,
            models=tuple(_model_from_dict(m, f"model[{i}]") for i, m in enumerate(models)),
        )
    except _Invalid as exc:
        raise LockFileError(str(exc)) from None


def _sorted_models(models: Sequence[LockedModel]) -> list[LockedModel]:
    return sorted(models, key=lambda m: (m.hub, m.id, m.requested or ""))


def lock_to_dict(lock: Lock) -> dict[str, Any]:
    """The parsed-TOML form of ``lock`` (what the JSON schema describes), sorted."""
    out_models = []
    for model in _sorted_models(lock.models):
        entry: dict[str, Any] = {"hub": model.hub, "id": model.id, "revision": model.revision}
        for attr, key, kind in _OPTIONAL_FIELDS:
            value = getattr(model, attr)
            if value is None or value == () or value is False:
                continue
            entry[key] = list(value) if kind is list else value
        if model.base_models:
            entry["base_model"] = [{"id": b.id, "relation": b.relation} for b in model.base_models]
        if model.requires:
            entry["requires"] = [_requirement_to_dict(r) for r in model.requires]
        if model.files:
            entry["file"] = [
                {"path": f.path, "size": f.size, "sha256": f.sha256}
                | ({"url": f.url} if f.url else {})
                | ({"resolved_url": f.resolved_url} if f.resolved_url else {})
                for f in sorted(model.files, key=lambda f: f.path)
            ]
        out_models.append(entry)
    return {"version": lock.version, "model": out_models}


def _requirement_to_dict(requirement: Requirement) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": requirement.id}
    if requirement.revision:
        entry["revision"] = requirement.revision
    entry["library"] = requirement.library
    if requirement.files:
        entry["files"] = list(requirement.files)
    if requirement.why:
        entry["why"] = requirement.why
    return entry


def dumps_lock(lock: Lock) -> str:
    """The TOML text of ``lock``: deterministic, reviewable."""
    data = lock_to_dict(lock)
    doc = tomlkit.document()
    doc.add(tomlkit.comment("ptm.lock: written by ptmlock; pins every model file by sha256."))
    doc.add(
        tomlkit.comment("Edit [tool.ptmlock] in pyproject.toml instead, then re-run ptmlock scan.")
    )
    doc["version"] = data["version"]
    models = tomlkit.aot()
    for entry in data["model"]:
        table = tomlkit.table()
        for key, value in entry.items():
            if key in ("base_model", "requires"):
                array = tomlkit.array()
                for base in value:
                    inline = tomlkit.inline_table()
                    inline.update(base)
                    array.append(inline)
                table[key] = array
            elif key == "file":
                files = tomlkit.aot()
                for file in value:
                    file_table = tomlkit.table()
                    file_table.update(file)
                    files.append(file_table)
                table[key] = files
            else:
                table[key] = value
        models.append(table)
    doc["model"] = models
    return tomlkit.dumps(doc)


def loads_lock(text: str, *, source: str = "ptm.lock") -> Lock:
    """Parse lock text; errors name ``source``, the key and its line."""
    try:
        data = tomlkit.parse(text).unwrap()
    except tomlkit.exceptions.ParseError as exc:
        raise LockFileError(f"{source}: not valid TOML: {exc}") from None
    try:
        return lock_from_dict(data)
    except LockFileError as exc:
        line = _line_of(text, str(exc))
        where = f"{source}:{line}" if line else source
        hint = exc.hint or "re-create it with `ptmlock scan`"
        raise LockFileError(f"{where}: {exc}", hint=hint) from None


def read_lock(path: Path) -> Lock:
    """Read and validate the lock at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LockFileError(
            f"{path}: no such lock file", hint="create one with `ptmlock scan`"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LockFileError(f"{path}: cannot read lock file: {exc}") from None
    return loads_lock(text, source=str(path))


def write_lock(lock: Lock, path: Path) -> bool:
    """Write ``lock`` to ``path`` atomically; returns False when the bytes were already there."""
    text = dumps_lock(lock)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, text.encode("utf-8"))
    return True


def valid_model_id(hub: str, model_id: str) -> bool:
    """Whether ``model_id`` is a well-formed id for ``hub`` (so it can name a cache folder)."""
    pattern = _MODEL_IDS.get(hub)
    if pattern is None or not pattern.fullmatch(model_id):
        return False
    if hub == "huggingface":
        return len(model_id) <= 96 and "--" not in model_id and ".." not in model_id
    if hub == "pytorch_hub":
        return all(part not in (".", "..") for part in model_id.split("/"))
    return True


def safe_relpath(path: str) -> bool:
    """Whether ``path`` stays inside the folder it is joined to (no .., absolute, drive, \\)."""
    if not path or path.startswith(("/", "\\")) or "\\" in path or "\x00" in path:
        return False
    if re.match(r"^[A-Za-z]:", path):
        return False
    parts = path.split("/")
    return all(part not in ("", ".", "..") for part in parts)


_PATH_IN_MESSAGE = re.compile(r"in '([^']*)'")
_STEP = re.compile(r"^(\w+)(?:\[(\d+)\])?$")


def _line_of(text: str, message: str) -> int | None:
    """The 1-based line of the dotted key named in ``message`` (``model[2].file[0].sha256``).

    Walks the ``[[model]]`` / ``[[model.file]]`` headers, counting them, until it stands in the
    table the path names, then finds the key there. Best effort: None when it can't tell.
    """
    match = _PATH_IN_MESSAGE.search(message)
    steps = [_STEP.match(part) for part in match.group(1).split(".")] if match else []
    if not steps or any(step is None for step in steps):
        return None
    parsed = [(s.group(1), int(s.group(2)) if s.group(2) else None) for s in steps if s]
    tables = tuple((name, index) for name, index in parsed if index is not None)
    key = parsed[-1][0] if parsed[-1][1] is None else None
    here: tuple[tuple[str, int], ...] = ()
    counts: dict[tuple[str, ...], int] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("[["):
            names = tuple(line.strip("[] ").split("."))
            counts[names] = counts.get(names, -1) + 1
            for longer in [k for k in counts if len(k) > len(names) and k[: len(names)] == names]:
                del counts[longer]  # a new [[model]] restarts the count of its [[model.file]]
            here = tuple((names[i], counts[names[: i + 1]]) for i in range(len(names)))
            if key is None and here == tables:
                return lineno
        elif key is not None and here == tables and re.match(rf"^{re.escape(key)}\s*=", line):
            return lineno
    return None
