"""What a repo's own files add to its file policy: the rules of ``selection.LIBRARY_RULES``.

A policy's patterns can't know that ``config.json`` names remote code, that an open_clip config
names a Hugging Face tokenizer, or that an adapter names its base model: those are read from
the repo at lock time (small JSON and Python files, read once per resolve) the way the
loaders read them:

- ``auto_map`` (transformers ``dynamic_module_utils.get_class_from_dynamic_module``): each value
  ``module.Class`` in the ``auto_map`` of config.json, tokenizer_config.json or a processor
  config is ``module.py`` in the repo; ``org/other--module.Class`` is ``module.py`` of the repo
  ``org/other`` (at its default branch: transformers passes ``code_revision``, default None),
  which becomes a ``Requirement``. Tokenizer values are ``[slow, fast]`` lists, either None.
- ``python_imports`` (``get_relative_import_files``): every module read brings the modules it
  imports relatively (``from .helpers import x``, ``import .helpers``), recursively.
- ``open_clip_hf_tokenizer`` (open_clip ``get_tokenizer``): ``text_cfg.hf_tokenizer_name`` in
  open_clip_config.json is loaded with ``AutoTokenizer``: this repo's tokenizer files and probes
  when it names the repo itself (SigLIP-style), else a ``Requirement`` on that repo.
- ``peft_base_model`` (peft ``AutoPeftModel.from_pretrained``): ``base_model_name_or_path`` of
  adapter_config.json is loaded as a model (with its ``revision``, if the config pins one).
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from ptmlock.lockfile import safe_relpath
from ptmlock.models import Requirement

__all__ = ["Derived", "derive"]

log = logging.getLogger(__name__)

_AUTO_MAP_FILES = (
    "config.json",
    "tokenizer_config.json",
    "preprocessor_config.json",
    "processor_config.json",
    "image_processor_config.json",
    "feature_extractor_config.json",
    "video_preprocessor_config.json",
)
# transformers' get_relative_imports, verbatim in spirit: `import .x` and `from .x import y`
_RELATIVE_IMPORT = re.compile(r"^\s*(?:import|from)\s+\.(\S+)\s", re.MULTILINE)
_HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")

Reader = Callable[[str], bytes]


@dataclass(slots=True)
class Derived:
    """What the rules found: more files of this repo, more probes, other repos."""

    files: set[str] = field(default_factory=set)
    libraries: set[str] = field(default_factory=set)  # more policies for this repo
    requires: list[Requirement] = field(default_factory=list)


def derive(
    model_id: str, rules: Iterable[str], names: Collection[str], chosen: Iterable[str], read: Reader
) -> Derived:
    """Apply ``rules`` to the repo ``model_id`` whose files are ``names`` (``chosen`` already)."""
    out = Derived()
    wanted = set(rules)
    if "auto_map" in wanted:
        _auto_map(model_id, names, read, out)
    if "open_clip_hf_tokenizer" in wanted:
        _open_clip_tokenizer(model_id, names, read, out)
    if "peft_base_model" in wanted:
        _peft_base(names, read, out)
    if "python_imports" in wanted or out.files:
        _python_imports(names, {*chosen, *out.files}, read, out)
    return out


def _json(name: str, names: Collection[str], read: Reader) -> dict[str, Any]:
    """The JSON object in ``name``, or {} when the repo lacks it or it is not an object."""
    if name not in names:
        return {}
    try:
        data = json.loads(read(name))
    except (ValueError, UnicodeDecodeError):
        log.info("%s: not JSON, no rules read from it", name)
        return {}
    return data if isinstance(data, dict) else {}


def _auto_map(model_id: str, names: Collection[str], read: Reader, out: Derived) -> None:
    other: dict[str, set[str]] = {}
    for config in _AUTO_MAP_FILES:
        auto_map = _json(config, names, read).get("auto_map")
        if not isinstance(auto_map, dict):
            continue
        for value in auto_map.values():
            for reference in value if isinstance(value, list) else [value]:
                if not isinstance(reference, str) or "." not in reference:
                    continue
                repo, _, rest = reference.rpartition("--")
                module = rest.rsplit(".", 1)[0].replace(".", "/") + ".py"
                if not safe_relpath(module):
                    continue
                if repo and repo != model_id and _HUB_ID.match(repo):
                    other.setdefault(repo, set()).add(module)
                elif module in names:
                    out.files.add(module)
    for repo, modules in sorted(other.items()):
        out.requires.append(
            Requirement(id=repo, library="file", files=tuple(sorted(modules)), why="auto_map")
        )


def _python_imports(names: Collection[str], start: set[str], read: Reader, out: Derived) -> None:
    todo = sorted(n for n in start if n.endswith(".py"))
    seen = set(todo)
    while todo:
        module = todo.pop()
        try:
            text = read(module).decode("utf-8", "replace")
        except LookupError:
            continue
        folder = posixpath.dirname(module)
        for name in _RELATIVE_IMPORT.findall(text):
            path = posixpath.join(folder, name.replace(".", "/") + ".py")
            if path in names and path not in seen:
                seen.add(path)
                out.files.add(path)
                todo.append(path)


def _open_clip_tokenizer(model_id: str, names: Collection[str], read: Reader, out: Derived) -> None:
    config = _json("open_clip_config.json", names, read)
    model_cfg = config.get("model_cfg", config)
    text_cfg = model_cfg.get("text_cfg") if isinstance(model_cfg, dict) else None
    name = text_cfg.get("hf_tokenizer_name") if isinstance(text_cfg, dict) else None
    if not isinstance(name, str) or not name or not _HUB_ID.match(name):
        return
    if name == model_id:
        out.libraries.add("transformers-tokenizer")
    else:
        out.requires.append(
            Requirement(id=name, library="transformers-tokenizer", why="hf_tokenizer_name")
        )


def _peft_base(names: Collection[str], read: Reader, out: Derived) -> None:
    config = _json("adapter_config.json", names, read)
    base, revision = config.get("base_model_name_or_path"), config.get("revision")
    if isinstance(base, str) and "/" in base and _HUB_ID.match(base):
        out.requires.append(
            Requirement(
                id=base,
                revision=revision if isinstance(revision, str) and revision else None,
                library="transformers-model",
                why="base_model_name_or_path",
            )
        )
