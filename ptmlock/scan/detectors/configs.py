"""Model ids in YAML, JSON and TOML configuration files.

A value is a model reference only when a model-shaped key holds it (``model_name_or_path``,
``base_model``, ``tokenizer``, ``*_model``, ...) *and* it is shaped like a Hub id that is not a
local path: a string that merely looks like ``org/name`` elsewhere in a config is not a model.
A list (or a name -> id table) under such a key is one group of interchangeable models.

The key and value rules (``is_model_key``, ``is_hub_id``) are public: the shell and Dockerfile
detector applies them to ``ENV``/``export`` assignments and ``--model_name_or_path`` flags.
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

from ptmlock.models import Reference
from ptmlock.scan.detectors.interface import Detector, ProjectContext
from ptmlock.scan.families import family_of, is_legacy_canonical

__all__ = ["ConfigDetector", "guess_library", "is_hub_id", "is_model_key", "normalize_key"]

logger = logging.getLogger(__name__)

# -- which keys hold models -----------------------------------------------------------------------
_MODEL_KEYS = frozenset(
    {
        "model", "model_name", "model_id", "model_name_or_path", "pretrained_model_name_or_path",
        "pretrained_model", "base_model", "base_model_name_or_path", "checkpoint", "tokenizer",
        "tokenizer_name", "tokenizer_name_or_path", "repo_id", "hub_model_id", "hf_model",
        "models", "model_names", "model_ids", "checkpoints",
    }
)  # fmt: skip
_MODEL_SUFFIXES = (
    "_model", "_model_name", "_model_id", "_model_name_or_path", "_repo_id", "_checkpoint",
    "_tokenizer", "_tokenizer_name", "_models",
)  # fmt: skip
# keys that name the model inside a model-shaped table: ``model: {name: org/x, revision: v1}``
_CHILD_KEYS = frozenset({"name", "id", "name_or_path", "repo", "pretrained", "path", "hub_id"})
_REVISION_KEYS = ("revision", "model_revision", "hub_revision")

# -- which values are Hub ids ---------------------------------------------------------------------
_HUB_ID = re.compile(r"(?:[A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}", re.ASCII)
_FILE_SUFFIX = re.compile(
    r"\.(json|ya?ml|toml|txt|csv|tsv|jsonl|parquet|arrow|pt|pth|bin|ckpt|safetensors|onnx|gguf|h5"
    r"|hdf5|pkl|pickle|npy|npz|zip|tar|gz|tgz|py|ipynb|md|model|tflite|pb|msgpack|sh|log|png|jpe?g"
    r"|wav|mp3|html?)$",
    re.IGNORECASE,
)
# first path segments that are almost always a local directory, even one not in the repo
_LOCAL_ROOTS = frozenset(
    {
        "data", "dataset", "datasets", "models", "model", "checkpoints", "checkpoint", "ckpt",
        "ckpts", "outputs", "output", "out", "runs", "weights", "saved_models", "saved", "results",
        "exp", "exps", "experiments", "logs", "tmp", "temp", "cache", "artifacts", "pretrained",
        "pretrained_models", "local", "assets", "resources", "src", "lib", "build", "dist",
    }
)  # fmt: skip
# LLM API providers whose "provider/model" strings share the Hub id shape (litellm, langchain)
_API_PROVIDERS = frozenset(
    {
        "anthropic", "azure", "azure_ai", "ollama", "ollama_chat", "bedrock", "vertex_ai",
        "gemini", "cohere", "groq", "together_ai", "openrouter", "fireworks_ai", "replicate",
        "perplexity", "mistral", "deepseek", "xai", "sagemaker", "hosted_vllm", "vllm",
        "watsonx", "databricks", "cloudflare", "voyage", "anyscale", "deepinfra", "nvidia_nim",
    }
)  # fmt: skip
_SHARED_NAMESPACES = frozenset({"openai"})  # on the Hub too, but only for open model families

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
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalize_key(key: str) -> str:
    """``modelNameOrPath`` / ``MODEL-NAME`` -> ``model_name_or_path`` / ``model_name``."""
    return _CAMEL.sub("_", key).replace("-", "_").lower()


def is_model_key(key: str) -> bool:
    """Whether a config key, environment variable or flag (normalized) names a model."""
    return key in _MODEL_KEYS or key.endswith(_MODEL_SUFFIXES)


def is_hub_id(value: str, context: ProjectContext) -> bool:
    """Whether ``value`` is shaped like a Hub model id and is not a local path or an API model."""
    if not _HUB_ID.fullmatch(value) or "--" in value or ".." in value or value.endswith(".git"):
        return False
    if _FILE_SUFFIX.search(value) or value in context.directories:
        return False
    namespace, _, name = value.rpartition("/")
    if not namespace:
        return is_legacy_canonical(name)
    if namespace in context.directories or namespace.lower() in _LOCAL_ROOTS:
        return False
    if namespace in _API_PROVIDERS:
        return False
    return namespace not in _SHARED_NAMESPACES or family_of(value)[0] is not None


def guess_library(model_id: str) -> str:
    """The file-selection policy a config-named model most likely needs."""
    family, _ = family_of(model_id)
    if family in {"Stable Diffusion", "SDXL", "ControlNet", "FLUX"}:
        return "diffusers"
    if model_id.startswith("sentence-transformers/"):
        return "sentence-transformers"
    return "transformers"


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


class ConfigDetector(Detector):
    """Model-shaped keys in ``.yaml``/``.yml``/``.json``/``.toml`` files."""

    name = "configs"
    markers = (b"model", b"Model", b"MODEL", b"checkpoint", b"tokenizer", b"repo_id")

    def handles(self, relpath: str) -> bool:
        lowered = relpath.lower()
        if not lowered.endswith(_EXTENSIONS):
            return False
        return lowered.rsplit("/", 1)[-1] not in _SKIPPED_NAMES and not _SKIPPED_PATTERN.search(
            lowered
        )

    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
        tree = _parse(relpath, text)
        if tree is None:
            return []
        if relpath.rsplit("/", 1)[-1] == "pyproject.toml" and isinstance(tree.get("tool"), dict):
            tree["tool"].pop("ptmlock", None)  # declared models are read by project_config
        finder = _LineFinder(text)
        references = []
        for hit in _walk(tree, (), context, in_model=False):
            line = hit.line if hit.line is not None else finder.find(hit.key, hit.value)
            references.append(
                Reference(
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
            )
        return references


def _parse(relpath: str, text: str) -> Any:
    """The document as Python data (YAML strings as ``_Scalar``), or None when unparseable."""
    try:
        if relpath.lower().endswith(".json"):
            return json.loads(text)
        if relpath.lower().endswith(".toml"):
            return tomllib.loads(text)
        return [_from_yaml(node, 0) for node in yaml.compose_all(text, Loader=yaml.SafeLoader)]
    except (ValueError, yaml.YAMLError, RecursionError) as error:
        logger.debug("%s: not parseable (%s)", relpath, error)
        return None


def _from_yaml(node: yaml.Node | None, depth: int) -> Any:
    if node is None or depth > 100:
        return None
    if isinstance(node, yaml.MappingNode):
        return {
            str(_plain(_from_yaml(k, depth + 1))): _from_yaml(v, depth + 1) for k, v in node.value
        }
    if isinstance(node, yaml.SequenceNode):
        return [_from_yaml(item, depth + 1) for item in node.value]
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


def _walk(
    node: Any, path: tuple[str, ...], context: ProjectContext, in_model: bool
) -> Iterator[_Hit]:
    """Every accepted model value below ``node``, in document order."""
    if isinstance(node, list):
        for item in node:
            if (pair := _env_pair(item)) is not None:
                yield from _walk({pair[0]: pair[1]}, path, context, in_model=False)
            else:
                yield from _walk(item, path, context, in_model=in_model)
        return
    if not isinstance(node, dict):
        return
    node = _unwrap_name_value(node)
    for key, value in node.items():
        normalized = normalize_key(key)
        dotted = ".".join((*path, key))
        if is_model_key(normalized) or (in_model and normalized in _CHILD_KEYS):
            revision = _revision(node, normalized)
            yield from _candidates(value, dotted, revision, context, _is_plural(normalized))
            if isinstance(value, (dict, list)):
                yield from _walk(value, (*path, key), context, in_model=True)
        else:
            yield from _walk(value, (*path, key), context, in_model=False)


def _is_plural(key: str) -> bool:
    return key.endswith(("models", "checkpoints", "model_names", "model_ids"))


def _candidates(
    value: Any, dotted: str, revision: str | None, context: ProjectContext, plural: bool
) -> Iterator[_Hit]:
    if (single := _string(value)) is not None:
        if is_hub_id(single[0], context):
            yield _Hit(dotted, single[0], single[1], revision=revision)
        return
    if plural and isinstance(value, dict):  # {small: org/a, large: org/b}
        items = [v for k, v in value.items() if not _handled_by_key(normalize_key(k))]
    elif isinstance(value, list):
        items = value
    else:
        return
    strings = [s for s in map(_string, items) if s is not None and is_hub_id(s[0], context)]
    group = dotted if len(strings) > 1 else None
    for text, line in strings:
        yield _Hit(dotted, text, line, group=group, revision=revision)


def _handled_by_key(key: str) -> bool:
    """Keys the walk reads on its own (a model key inside a ``models`` table, revisions)."""
    return is_model_key(key) or key.endswith("revision")


def _revision(mapping: dict[str, Any], key: str) -> str | None:
    stem = re.sub(r"_(name_or_path|name|id)$", "", key)
    short = re.sub(r"_model$", "", stem)
    for candidate in (f"{stem}_revision", f"{short}_revision", *_REVISION_KEYS):
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
