"""Model ids in YAML, JSON and TOML configuration files.

A value is a model reference when a model-shaped key holds it (``model_name_or_path``,
``base_model``, ``tokenizer``, ``*_model``, ``vision_tower``, ...) at any depth *and* it is shaped
like a Hub id that is not a local path, or when it is a model URL whatever its key (a Hugging Face
``resolve`` URL, a checkpoint file on a release host): a string that merely looks like
``org/name`` elsewhere in a config is not a model. A list (or a name -> id table) under such a key
is one group of interchangeable models. ``environment:`` entries of a compose file (and
Kubernetes ``env:`` lists) are environment settings: models when their name is model-shaped or
the code reads that variable on its way to a loader (a ``Candidate``).

The key and value rules (``is_model_key``, ``is_hub_id``) are public: the shell and Dockerfile
detector applies them to ``ENV``/``export`` assignments and ``--model_name_or_path`` flags.
Whether an id names a folder of the project is decided in phase 2, with the whole tree known.
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from ptmlock.limits import YAML_ALIASES
from ptmlock.models import Reference
from ptmlock.scan.detectors.interface import Candidate, Detector, FileFacts
from ptmlock.scan.detectors.shapes import (
    ARCHITECTURE_KEYS,
    CHILD_KEYS,
    REVISION_KEYS,
    guess_library,
    is_hub_id,
    is_model_key,
    is_ollama_tag,
    normalize_key,
)
from ptmlock.scan.detectors.shell import shell_references
from ptmlock.scan.families import family_of
from ptmlock.scan.transforms import ollama_id
from ptmlock.scan.urls import model_url, prefixed_id

__all__ = ["ConfigDetector"]

logger = logging.getLogger(__name__)

_SKIPPED_NAMES = frozenset(
    {
        "package.json", "package-lock.json", "composer.json", "composer.lock", "tsconfig.json",
        "jsconfig.json", "pnpm-lock.yaml", "yarn.lock", "pipfile.lock", "poetry.lock", "uv.lock",
        "pdm.lock", "ptm.lock", "cargo.toml", "cargo.lock", "tokenizer.json", "vocab.json",
        "merges.txt", "special_tokens_map.json", "tokenizer_config.json", "renovate.json",
        ".pre-commit-config.yaml", "mkdocs.yml", "codecov.yml", ".readthedocs.yaml",
        "environment.yml", "environment.yaml", "conda.yaml", "meta.yaml", "pixi.toml",
    }
)  # fmt: skip
_SKIPPED_PATTERN = re.compile(r"(^|/)(tsconfig\..*\.json|\.eslintrc.*|\.prettierrc.*|.*\.lock)$")
_EXTENSIONS = (".yaml", ".yml", ".json", ".toml")


@dataclass(frozen=True, slots=True)
class _Scalar:
    """A string from a YAML document, with the 1-based line it starts on."""

    value: str
    line: int


@dataclass(frozen=True, slots=True)
class _Hit:
    key: str  # dotted path of the key, for the api and group names
    value: str
    line: int | None  # None: find it in the text (JSON and TOML carry no positions)
    group: str | None = None
    revision: str | None = None
    env: str | None = None  # the environment variable it sets, in an ``environment:`` list
    library: str | None = None  # an architecture whose weights this library downloads


class ConfigDetector(Detector):
    """Model-shaped keys in ``.yaml``/``.yml``/``.json``/``.toml`` files."""

    name = "configs"
    markers = (b"model", b"Model", b"MODEL", b"checkpoint", b"tokenizer", b"repo_id", b"http",
               b"environment", b"tower", b"ckpt", b"encoder",
               *(key.encode() for key in ARCHITECTURE_KEYS))  # fmt: skip

    def handles(self, relpath: str) -> bool:
        lowered = relpath.lower()
        if not lowered.endswith(_EXTENSIONS):
            return False
        return lowered.rsplit("/", 1)[-1] not in _SKIPPED_NAMES and not _SKIPPED_PATTERN.search(
            lowered
        )

    def read(self, relpath: str, text: str) -> FileFacts:
        try:
            tree = _parse(relpath, text)
        except _AliasBomb as bomb:
            return FileFacts(skipped=str(bomb))
        except _Unparseable as error:
            return FileFacts(skipped=str(error))
        if relpath.rsplit("/", 1)[-1] == "pyproject.toml" and isinstance(tree.get("tool"), dict):
            tree["tool"].pop("ptmlock", None)  # declared models are read by project_config
        finder = _LineFinder(text)
        references: list[Reference] = []
        candidates: list[Candidate] = []
        for hit in _walk(tree, (), in_model=False):
            line = hit.line if hit.line is not None else finder.find(hit.key, hit.value)
            reference = _reference(relpath, line, hit)
            if hit.env is not None and not is_model_key(normalize_key(hit.env)):
                candidates.append(Candidate(kind="env", name=hit.env, reference=reference))
            else:
                references.append(reference)
        facts = FileFacts(references=tuple(_unique(references)), candidates=tuple(candidates))
        commands = list(_commands(tree, None))
        return facts.merged(shell_references(relpath, commands)) if commands else facts


# keys whose strings are command lines (cog.yaml and CI ``run``/``script``, compose ``command``)
_COMMAND_KEYS = frozenset({"run", "command", "commands", "script", "entrypoint", "before_script",
                           "after_script", "pre", "post", "setup"})  # fmt: skip


def _commands(node: Any, key: str | None) -> Iterator[tuple[int, str]]:
    """The command lines a config holds, with their lines (YAML only: JSON/TOML have none)."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _commands(value, normalize_key(str(name)))
    elif isinstance(node, list):
        for item in node:
            yield from _commands(item, key)
    elif isinstance(node, _Scalar) and key in _COMMAND_KEYS:
        for offset, text in enumerate(node.value.splitlines()):
            yield node.line + offset, text


def _unique(references: list[Reference]) -> list[Reference]:
    return list({(r.line, r.model): r for r in references}.values())


def _reference(relpath: str, line: int, hit: _Hit) -> Reference:
    if hit.library is not None:
        return Reference(
            file=relpath, line=line, hub="url", model=hit.value, api=f"config:{hit.key}",
            how="config", confidence="medium", library=hit.library,
        )  # fmt: skip
    if is_ollama_tag(hit.value):
        return Reference(
            file=relpath, line=line, hub="other", model=ollama_id(hit.value),
            api=f"config:{hit.key}", how="config", confidence="medium", library="ollama",
        )  # fmt: skip
    url = model_url(hit.value) if hit.value.startswith(("http://", "https://")) else None
    if url is not None:
        return Reference(
            file=relpath, line=line, hub=url.hub, model=url.model,  # type: ignore[arg-type]
            revision=url.revision, api=f"config:{hit.key}", how="config", confidence="medium",
            library="file" if url.files else ("url" if url.hub == "url" else "snapshot"),
            files=url.files, group=hit.group,
        )  # fmt: skip
    return Reference(
        file=relpath,
        line=line,
        hub="huggingface",
        model=hit.value,
        revision=hit.revision,
        api=f"config:{hit.key}",
        how="config",
        confidence="medium",
        library=guess_library(hit.value),
        group=hit.group,
    )


class _Unparseable(Exception):
    """A config its own parser refuses: the file is reported as skipped, with the reason."""


def _parse(relpath: str, text: str) -> Any:
    """The document as Python data (YAML strings as ``_Scalar``); ``_Unparseable`` if it is
    not valid JSON, TOML or YAML."""
    kind = "JSON" if relpath.lower().endswith(".json") else "TOML" if relpath.lower().endswith(
        ".toml") else "YAML"  # fmt: skip
    try:
        if relpath.lower().endswith(".json"):
            return json.loads(text)
        if relpath.lower().endswith(".toml"):
            return tomllib.loads(text)
        nodes = yaml.compose_all(text, Loader=yaml.SafeLoader)
        return [_YamlData(YAML_ALIASES.value).convert(node, 0) for node in nodes]
    except (ValueError, yaml.YAMLError, RecursionError) as error:
        logger.debug("%s: not parseable (%s)", relpath, error)
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise _Unparseable(f"not valid {kind}: {first}") from None


class _AliasBomb(Exception):
    """A YAML document whose aliases expand past ``limits.YAML_ALIASES`` (``&a [*a, *a]``)."""


class _YamlData:
    """Composed YAML nodes as Python data, expanding aliases at most ``aliases`` times.

    An alias is the same node object met again, so every visit is either a node's first or a
    counted repeat: the work is linear in the document plus the bound, never the exponential
    expansion of nested aliases.
    """

    def __init__(self, aliases: int) -> None:
        self._seen: set[int] = set()
        self._left = aliases
        self._limit = aliases

    def convert(self, node: yaml.Node | None, depth: int) -> Any:
        if node is None or depth > 100:
            return None
        if id(node) in self._seen:
            self._left -= 1
            if self._left < 0:
                raise _AliasBomb(f"YAML aliases expand past {self._limit} uses (an alias bomb?)")
        else:
            self._seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            return {
                str(_plain(self.convert(k, depth + 1))): self.convert(v, depth + 1)
                for k, v in node.value
            }
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, depth + 1) for item in node.value]
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
            return _Scalar(node.value, node.start_mark.line + 1)
        return node.value  # numbers, booleans, nulls: never models


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, _Scalar) else value


def _string(value: Any) -> tuple[str, int | None] | None:
    if isinstance(value, _Scalar):
        return (value.value.strip(), value.line)
    if isinstance(value, str):
        return (value.strip(), None)
    return None


def _walk(node: Any, path: tuple[str, ...], in_model: bool, env: bool = False) -> Iterator[_Hit]:
    """Every accepted model value below ``node``, in document order."""
    if isinstance(node, list):
        for item in node:
            if (pair := _env_pair(item)) is not None:
                yield from _env_hits(pair[0], pair[1], path)
            else:
                yield from _walk(item, path, in_model=in_model)
        return
    if not isinstance(node, dict):
        if (single := _string(node)) is not None and _is_model_url(single[0]):
            yield _Hit(".".join(path), single[0], single[1])
        return
    node = _unwrap_name_value(node)
    in_environment = bool(path) and normalize_key(path[-1]) in ("environment", "env")
    for key, value in node.items():
        normalized = normalize_key(key)
        dotted = ".".join((*path, key))
        if in_environment and (single := _string(value)) is not None:
            yield from _env_hits(key, value, (*path, key))
        elif normalized in ARCHITECTURE_KEYS and (single := _string(value)) is not None:
            library, names = ARCHITECTURE_KEYS[normalized]
            if names.fullmatch(single[0]):
                model = f"{library}/{single[0]}:legacy"
                yield _Hit(dotted, model, single[1], library=library)
        elif isinstance(value, dict) and family_of(key)[0] is not None:  # ``t5: {name: t5-base}``
            yield from _walk(value, (*path, key), in_model=True)
        elif is_model_key(normalized) or (in_model and normalized in CHILD_KEYS):
            revision = _revision(node, normalized)
            yield from _candidates(value, dotted, revision, _is_plural(normalized))
            if isinstance(value, (dict, list)):
                yield from _walk(value, (*path, key), in_model=True)
        else:
            yield from _walk(value, (*path, key), in_model=False)
    del env


def _env_hits(name: str, value: Any, path: tuple[str, ...]) -> Iterator[_Hit]:
    """``NAME=value`` in a compose ``environment:``, with ``${NAME:-default}`` unwrapped."""
    found = _string(value)
    if found is None:
        return
    text = _ENV_DEFAULT.sub(lambda m: m.group(2) or "", found[0]).strip("'\"")
    if text and (is_hub_id(text) or _is_model_url(text) or is_ollama_tag(text)):
        yield _Hit(".".join((*path, name)) if path else name, text, found[1], env=name)


_ENV_DEFAULT = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def _is_model_url(value: str) -> bool:
    return value.startswith(("http://", "https://")) and model_url(value) is not None


def _is_plural(key: str) -> bool:
    return key.endswith(("models", "checkpoints", "model_names", "model_ids"))


def _model_value(text: str) -> str | None:
    """The model a model-shaped key's string names, if any (a prefix unwrapped)."""
    if is_hub_id(text) or _is_model_url(text):
        return text
    prefixed = prefixed_id(text)
    return prefixed if prefixed is not None and is_hub_id(prefixed) else None


def _candidates(value: Any, dotted: str, revision: str | None, plural: bool) -> Iterator[_Hit]:
    if (single := _string(value)) is not None:
        if (model := _model_value(single[0])) is not None:
            yield _Hit(dotted, model, single[1], revision=revision)
        return
    if plural and isinstance(value, dict):  # {small: org/a, large: org/b}
        items = [v for k, v in value.items() if not _handled_by_key(normalize_key(k))]
    elif isinstance(value, list):
        items = value
    else:
        return
    strings = [
        (model, s[1]) for s in map(_string, items)
        if s is not None and (model := _model_value(s[0])) is not None
    ]  # fmt: skip
    group = dotted if len(strings) > 1 else None
    for text, line in strings:
        yield _Hit(dotted, text, line, group=group, revision=revision)


def _handled_by_key(key: str) -> bool:
    """Keys the walk reads on its own (a model key inside a ``models`` table, revisions)."""
    return is_model_key(key) or key.endswith("revision")


def _revision(mapping: dict[str, Any], key: str) -> str | None:
    stem = re.sub(r"_(name_or_path|name|id)$", "", key)
    short = re.sub(r"_model$", "", stem)
    for candidate in (f"{stem}_revision", f"{short}_revision", *REVISION_KEYS):
        for k, v in mapping.items():
            if normalize_key(k) == candidate and (found := _string(v)) and found[0]:
                return found[0]
    return None


_ENV_PAIR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.+)")


def _env_pair(item: Any) -> tuple[str, _Scalar | str] | None:
    """``- MODEL_ID=org/x`` in a docker-compose ``environment`` list."""
    found = _string(item)
    if found is None or (match := _ENV_PAIR.fullmatch(found[0])) is None:
        return None
    value = match.group(2).strip("'\"")
    return (match.group(1), _Scalar(value, found[1]) if found[1] is not None else value)


def _unwrap_name_value(mapping: dict[str, Any]) -> dict[str, Any]:
    """Kubernetes ``env: [{name: MODEL_ID, value: org/x}]`` reads as ``{MODEL_ID: org/x}``."""
    name = _string(mapping.get("name"))
    if name and "value" in mapping and len(mapping) <= 3 and is_model_key(normalize_key(name[0])):
        return {name[0]: mapping["value"]}
    return mapping


class _LineFinder:
    """Lines of values in formats without positions: the key, then the value after it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cursor = 0

    def find(self, dotted: str, value: str) -> int:
        key = re.escape(dotted.rsplit(".", 1)[-1])
        key_re = re.compile(rf"""(?<![\w-])["']?{key}["']?\s*[:=]""")
        value_re = re.compile(rf"""["']{re.escape(value)}["']""")
        for start in (self.cursor, 0):
            key_match = key_re.search(self.text, start)
            origin = key_match.end() if key_match else start
            if (found := value_re.search(self.text, origin)) is not None:
                self.cursor = found.end()
                return self.text.count("\n", 0, found.start()) + 1
        return 1
