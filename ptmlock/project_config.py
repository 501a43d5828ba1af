"""``[tool.ptmlock]`` in pyproject.toml: what the user tells the scanner.

The table is optional; every key in it is optional::

    [tool.ptmlock]
    # glob patterns (relative to the project root, "/"-separated) the scan never reads;
    # "**" crosses directories, a trailing "/" matches a directory and everything below it
    exclude = ["experiments/**", "legacy/"]
    # references to drop: a model id ("gpt2"), or a location "file:line" ("scripts/demo.py:12")
    ignore = ["gpt2", "scripts/demo.py:12"]
    # where `ptmlock install` fetches locked files from, tried in order (an OCI registry that
    # `ptmlock push` filled); the hub only when none has a file and hub-fallback is true
    mirrors = ["oci://registry.internal:5000/models"]
    hub-fallback = false
    # where URLs (download.pytorch.org, GitHub releases, torch.hub repos' weights) are fetched
    # from: the longest matching prefix is replaced; the lock keeps the original URL
    # (PTMLOCK_URL_MIRRORS="PREFIX=REPLACEMENT ..." adds to it and wins on the same prefix)
    url-mirrors = { "https://download.pytorch.org/" = "https://artifacts.internal/pytorch/" }

    # models the scan can't see (built at run time, read from a database, ...); each is locked
    # as if a loader named it. Only ``id`` is required.
    [[tool.ptmlock.models]]
    id = "sentence-transformers/all-MiniLM-L6-v2"
    hub = "huggingface"           # huggingface | pytorch_hub | url (default huggingface)
    revision = "v1.0"             # branch, tag or commit to lock (default: the hub's default)
    patterns = ["*.safetensors", "*.json"]   # files to lock (default: what the library reads)
    library = "sentence-transformers"        # file-selection policy (default transformers)
    sites = ["app/load.py:12"]    # unresolved loader sites this declaration stands for: the
                                  # `check` gate fails on an unresolved site not declared or ignored

``load_config`` reads it (a bad value raises a one-line ``ConfigError`` naming pyproject.toml and
the dotted key); ``add_model`` and ``add_ignore`` edit it with tomlkit, so the user's comments,
spacing and key order survive, and write atomically.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, NoReturn, cast

import tomlkit
from tomlkit.items import AoT, Table

from ptmlock.atomic import write_atomic
from ptmlock.errors import ConfigError
from ptmlock.models import HUBS, HubName

__all__ = [
    "DeclaredModel",
    "ProjectConfig",
    "add_ignore",
    "add_model",
    "expect_table",
    "load_config",
    "reject_unknown",
    "string_list",
]

logger = logging.getLogger(__name__)

PYPROJECT = "pyproject.toml"
_MODEL_KEYS = frozenset({"id", "hub", "revision", "patterns", "library", "sites"})
_TOP_KEYS = frozenset({"models", "exclude", "ignore", "mirrors", "hub-fallback", "url-mirrors"})
# read by ptmlock.audit.policy, validated there
_AUDIT_KEYS = frozenset({"allowed-licenses", "audit", "signatures"})


@dataclass(frozen=True, kw_only=True, slots=True)
class DeclaredModel:
    """A model the user declared by hand because the scan can't see it."""

    id: str
    hub: HubName = "huggingface"
    revision: str | None = None
    patterns: tuple[str, ...] = ()
    library: str = "transformers"
    sites: tuple[str, ...] = ()  # "file:line" loader sites whose model this is (unresolved there)


@dataclass(frozen=True, kw_only=True, slots=True)
class ProjectConfig:
    """The parsed ``[tool.ptmlock]`` table; the default value means "no table"."""

    models: tuple[DeclaredModel, ...] = ()
    exclude: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    mirrors: tuple[str, ...] = ()  # sources for install, tried in order (ptmlock.sources)
    hub_fallback: bool = False  # with mirrors: fetch from the hub what no mirror has
    url_mirrors: tuple[tuple[str, str], ...] = ()  # URL prefix -> replacement (url_mirrors.py)


def load_config(root: Path) -> ProjectConfig:
    """Read ``[tool.ptmlock]`` from ``root/pyproject.toml``; no file or no table is the default."""
    path = root / PYPROJECT
    if not path.is_file():
        return ProjectConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{PYPROJECT}: not valid TOML ({error})") from error
    table = data.get("tool", {}).get("ptmlock")
    if table is None:
        return ProjectConfig()
    return parse_config(table)


def parse_config(table: object) -> ProjectConfig:
    """Validate the ``[tool.ptmlock]`` table (already parsed) into a ``ProjectConfig``."""
    where = "tool.ptmlock"
    mapping = expect_table(table, where)
    reject_unknown(mapping, _TOP_KEYS | _AUDIT_KEYS, where)
    models = mapping.get("models", [])
    if not isinstance(models, list):
        _fail(f"{where}.models", "expected an array of tables ([[tool.ptmlock.models]])")
    return ProjectConfig(
        models=tuple(_parse_model(item, f"{where}.models[{i}]") for i, item in enumerate(models)),
        exclude=string_list(mapping.get("exclude", []), f"{where}.exclude"),
        ignore=string_list(mapping.get("ignore", []), f"{where}.ignore"),
        mirrors=string_list(mapping.get("mirrors", []), f"{where}.mirrors"),
        hub_fallback=_boolean(mapping.get("hub-fallback", False), f"{where}.hub-fallback"),
        url_mirrors=_url_mirrors(mapping.get("url-mirrors", {}), f"{where}.url-mirrors"),
    )


def _url_mirrors(value: object, where: str) -> tuple[tuple[str, str], ...]:
    from ptmlock.url_mirrors import parse_pairs

    table = expect_table(value, where)
    for prefix, replacement in table.items():
        if not isinstance(replacement, str) or any(c.isspace() for c in prefix + replacement):
            _fail(f"{where}.{prefix!r}", "expected a URL string (no spaces)")
    try:
        pairs = parse_pairs(" ".join(f"{k}={v}" for k, v in table.items()), where)
    except ConfigError as exc:
        raise ConfigError(f"{PYPROJECT}: {exc}") from None
    return tuple(sorted(pairs.items()))


def _boolean(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        _fail(where, "expected true or false")
    return value


def _parse_model(item: object, where: str) -> DeclaredModel:
    if isinstance(item, str):  # shorthand: models = ["org/name"]
        item = {"id": item}
    mapping = expect_table(item, where)
    reject_unknown(mapping, _MODEL_KEYS, where)
    model_id = mapping.get("id")
    if not isinstance(model_id, str) or not model_id.strip():
        _fail(f"{where}.id", "required, a non-empty string")
    hub = mapping.get("hub", "huggingface")
    if hub not in HUBS:
        _fail(f"{where}.hub", f"unknown hub {hub!r} (expected one of {', '.join(HUBS)})")
    revision = mapping.get("revision")
    if revision is not None and (not isinstance(revision, str) or not revision):
        _fail(f"{where}.revision", "expected a non-empty string")
    library = mapping.get("library", "transformers")
    if not isinstance(library, str) or not library:
        _fail(f"{where}.library", "expected a non-empty string")
    return DeclaredModel(
        id=model_id.strip(),
        hub=cast(HubName, hub),
        revision=revision,
        patterns=string_list(mapping.get("patterns", []), f"{where}.patterns"),
        library=library,
        sites=string_list(mapping.get("sites", []), f"{where}.sites"),
    )


_HINT = "see the [tool.ptmlock] format in the ptmlock README"


def expect_table(value: object, where: str, hint: str = _HINT) -> dict[str, Any]:
    """``value`` as a TOML table, else a one-line ``ConfigError`` naming ``where``."""
    if not isinstance(value, dict):
        _fail(where, f"expected a table, got {type(value).__name__}", hint)
    return cast(dict[str, Any], value)


def reject_unknown(
    mapping: dict[str, Any], known: frozenset[str], where: str, hint: str = _HINT
) -> None:
    """A ``ConfigError`` for the first key of ``mapping`` not in ``known``."""
    for key in mapping:
        if key not in known:
            expected = ", ".join(sorted(known))
            _fail(f"{where}.{key}", f"unknown key (expected one of {expected})", hint)


def string_list(value: object, where: str, hint: str = _HINT) -> tuple[str, ...]:
    """``value`` as an array of non-empty strings, else a ``ConfigError``."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        _fail(where, "expected an array of non-empty strings", hint)
    return tuple(cast(list[str], value))


def _fail(where: str, problem: str, hint: str = _HINT) -> NoReturn:
    raise ConfigError(f"{PYPROJECT}: {where}: {problem}", hint=hint)


# -- editing ------------------------------------------------------------------------------------
def add_model(
    pyproject: Path,
    model_id: str,
    *,
    revision: str | None = None,
    patterns: tuple[str, ...] | list[str] = (),
    hub: HubName = "huggingface",
    library: str | None = None,
    sites: tuple[str, ...] | list[str] = (),
) -> None:
    """Declare ``model_id`` in ``[[tool.ptmlock.models]]`` (replacing an entry with the same id)."""
    if hub not in HUBS:
        raise ConfigError(f"{PYPROJECT}: unknown hub {hub!r} (expected one of {', '.join(HUBS)})")
    doc, before = _read_document(pyproject)
    table = _ptmlock_table(doc)
    entry = tomlkit.table()
    entry["id"] = model_id
    if hub != "huggingface":
        entry["hub"] = hub
    if revision:
        entry["revision"] = revision
    if patterns:
        entry["patterns"] = list(patterns)
    if library:
        entry["library"] = library
    if sites:
        entry["sites"] = list(sites)
    models = table.get("models")
    if models is None:
        models = tomlkit.aot()
        table.append("models", models)
    if not isinstance(models, AoT):
        raise ConfigError(f"{PYPROJECT}: tool.ptmlock.models: expected [[tool.ptmlock.models]]")
    for index, existing in enumerate(models):
        if existing.get("id") == model_id:
            models[index] = entry
            break
    else:
        models.append(entry)
    _write_document(pyproject, doc, before)


def add_ignore(pyproject: Path, entry: str) -> None:
    """Add a model id or "file:line" to ``tool.ptmlock.ignore`` (no-op if already there)."""
    doc, before = _read_document(pyproject)
    table = _ptmlock_table(doc)
    ignore = table.get("ignore")
    if ignore is None:
        ignore = tomlkit.array()
        table.append("ignore", ignore)  # tomlkit keeps it above [[tool.ptmlock.models]]
    if not isinstance(ignore, list):
        raise ConfigError(f"{PYPROJECT}: tool.ptmlock.ignore: expected an array of strings")
    if entry not in ignore:
        ignore.append(entry)
    _write_document(pyproject, doc, before)


def _read_document(pyproject: Path) -> tuple[tomlkit.TOMLDocument, str]:
    try:
        text = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
        return tomlkit.parse(text), text
    except (tomlkit.exceptions.ParseError, UnicodeDecodeError) as error:
        raise ConfigError(f"{pyproject.name}: not valid TOML ({error})") from error


def _ptmlock_table(doc: tomlkit.TOMLDocument) -> Table:
    tool = doc.get("tool")
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        doc.append("tool", tool)
    ptmlock = tool.get("ptmlock")
    if ptmlock is None:
        ptmlock = tomlkit.table()
        tool.append("ptmlock", ptmlock)
    if not isinstance(ptmlock, Table):
        raise ConfigError(f"{PYPROJECT}: tool.ptmlock: expected a table")
    return ptmlock


def _tidy(before: str, after: str) -> str:
    """Set the lines tomlkit inserted apart from neighbouring tables with one blank line."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            out += old[i1:i2]
            continue
        chunk = new[j1:j2]
        if chunk and _is_header(chunk[0]) and out and out[-1].strip():
            chunk.insert(0, "\n")
        if chunk and chunk[-1].strip() and j2 < len(new) and _is_header(new[j2]):
            chunk.append("\n")
        out += chunk
    return "".join(out)


def _is_header(line: str) -> bool:
    return line.startswith("[")


def _write_document(pyproject: Path, doc: tomlkit.TOMLDocument, before: str) -> None:
    """Check what we wrote still parses as our table, then replace the file atomically."""
    text = _tidy(before, tomlkit.dumps(doc))
    parse_config(tomllib.loads(text).get("tool", {}).get("ptmlock", {}))
    write_atomic(pyproject, text.encode("utf-8"))
    logger.debug("updated %s", pyproject)
