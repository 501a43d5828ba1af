"""Regenerate the shipped tables (``ptmlock/named/data/*.json``) from the installed libraries.

Run ``python -m ptmlock.named.generate [LIBRARY ...]`` in an environment that has the libraries
installed (torchvision, openai-whisper, openai-clip, open_clip_torch, timm, ultralytics,
facexlib); each table records the version it was read from. Registries are read the way each
library exposes them: torchvision's and timm's and open_clip's through their public API,
whisper's, CLIP's and ultralytics' module-level tables and facexlib's ``init_*_model`` branches
from the installed source (importing those pulls in numba, setuptools' ``pkg_resources`` or
OpenCV, none of which the table needs; ``pip install --no-deps facexlib`` is enough).
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.util
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["GENERATORS", "main", "table"]

DATA = Path(__file__).with_name("data")


def _source(module: str) -> ast.Module:
    """The parsed source of ``module``, found without importing it (nor its package)."""
    package, *rest = module.split(".")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{package} is not installed")
    path = Path(next(iter(spec.submodule_search_locations)), *rest)
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return ast.parse(path.read_text(encoding="utf-8"))


def _assigned(tree: ast.Module, name: str) -> Any:
    """The value of a module-level ``name = <pure expression>`` (comprehensions allowed)."""
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            assert isinstance(node, ast.Assign)
            code = compile(ast.Expression(node.value), f"<{name}>", "eval")
            # the library's own source, a pure expression: no builtins but frozenset
            return eval(code, {"__builtins__": {"frozenset": frozenset}})
    raise SystemExit(f"no {name} in the library's source")


def _default(tree: ast.Module, function: str, parameter: str) -> Any:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            args = node.args.args + node.args.kwonlyargs
            defaults = [None] * (len(node.args.args) - len(node.args.defaults))
            values = [*defaults, *node.args.defaults, *node.args.kw_defaults]
            for arg, value in zip(args, values, strict=True):
                if arg.arg == parameter and value is not None:
                    return ast.literal_eval(value)
    raise SystemExit(f"no default for {function}({parameter}=...)")


def _file(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


def _legacy_default(builder: Callable[..., Any]) -> Any:
    """The weights ``pretrained=True`` means: the dict ``handle_legacy_interface`` closes over."""
    stack, seen = [builder], set()
    while stack:
        fn = stack.pop()
        for cell in getattr(fn, "__closure__", None) or ():
            value = cell.cell_contents
            legacy = value.get("weights") if isinstance(value, dict) else None
            if isinstance(legacy, tuple):
                default = legacy[1]
                return None if callable(default) and not hasattr(default, "url") else default
            if callable(value) and id(value) not in seen:
                seen.add(id(value))
                stack.append(value)
    return None


def torchvision_table() -> dict[str, Any]:
    from torchvision import models

    entries: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    for arch in sorted(models.list_models()):
        enum = models.get_model_weights(arch)
        for weight in enum:
            entries[f"{arch}:{weight.name}"] = {"url": weight.url, "file": _file(weight.url)}
        aliases[f"{arch}:DEFAULT"] = f"{arch}:{enum.DEFAULT.name}"
        legacy = _legacy_default(models.get_model_builder(arch))
        if legacy is not None:
            aliases[f"{arch}:legacy"] = f"{arch}:{legacy.name}"
    return {"entries": entries, "aliases": aliases}


def _sha256_in_path(url: str) -> str:
    digest = urlsplit(url).path.split("/")[-2]
    assert len(digest) == 64, url
    return digest


def whisper_table() -> dict[str, Any]:
    models = _assigned(_source("whisper"), "_MODELS")
    return {
        "entries": {
            name: {"url": url, "file": _file(url), "sha256": _sha256_in_path(url)}
            for name, url in sorted(models.items())
        }
    }


def clip_table() -> dict[str, Any]:
    models = _assigned(_source("clip.clip"), "_MODELS")
    return {
        "entries": {
            name: {"url": url, "file": _file(url), "sha256": _sha256_in_path(url)}
            for name, url in sorted(models.items())
        }
    }


def open_clip_table() -> dict[str, Any]:
    """(arch, tag) -> the Hub repo open_clip prefers (it does when huggingface_hub is there,
    and open_clip depends on it), else the URL."""
    from open_clip import pretrained

    entries: dict[str, Any] = {}
    for arch, tag in sorted(pretrained.list_pretrained()):
        cfg = pretrained.get_pretrained_cfg(arch, tag)
        hub, url = cfg.get("hf_hub", ""), cfg.get("url", "")
        if hub:
            owner, name, *rest = hub.split("/")
            repo, filename = f"{owner}/{name}", "/".join(rest)
            entries[f"{arch}:{tag}"] = {"hf": repo} | ({"hf_file": filename} if filename else {})
        elif url:
            entry: dict[str, Any] = {"url": url, "file": _file(url)}
            if "openaipublic" in url:
                entry["sha256"] = _sha256_in_path(url)
            entries[f"{arch}:{tag}"] = entry
    return {"entries": entries}


def timm_table() -> dict[str, Any]:
    """``arch`` and ``arch.tag`` -> the Hub repo timm reads the weights from."""
    import timm
    from timm.models import get_pretrained_cfg

    entries: dict[str, Any] = {}
    for name in sorted(timm.list_pretrained()):
        cfg = get_pretrained_cfg(name)
        if cfg is not None and cfg.hf_hub_id:
            entries[name] = {"hf": cfg.hf_hub_id.split("@", 1)[0]}
    for arch in sorted({name.split(".", 1)[0] for name in entries}):
        cfg = get_pretrained_cfg(arch)  # the untagged name: timm's default tag
        if cfg is not None and cfg.hf_hub_id:
            entries.setdefault(arch, {"hf": cfg.hf_hub_id.split("@", 1)[0]})
    # names timm renamed (``vit_large_patch16_224_in21k``) still load: timm maps each to its
    # ``arch.tag`` (with a warning) and downloads that one's weights
    for old, current in sorted(timm.models.get_deprecated_models().items()):
        if current in entries:
            entries.setdefault(old, entries[current])
    return {"entries": dict(sorted(entries.items()))}


def ultralytics_table() -> dict[str, Any]:
    tree = _source("ultralytics.utils.downloads")
    repo = _assigned(tree, "GITHUB_ASSETS_REPO")
    names = _assigned(tree, "GITHUB_ASSETS_NAMES")
    release = _default(tree, "attempt_download_asset", "release")
    base = f"https://github.com/{repo}/releases/download/{release}"
    return {"entries": {name: {"url": f"{base}/{name}", "file": name} for name in sorted(names)}}


def facexlib_table(root: Path | None = None) -> dict[str, Any]:
    """facexlib's ``init_<task>_model(model_name)``: the URL each name's branch downloads
    (``if model_name == 'retinaface_resnet50': model_url = '...'`` in each task package) and
    each function's default name. ``root`` is the package folder (the installed one)."""
    if root is None:
        spec = importlib.util.find_spec("facexlib")
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("facexlib is not installed")
        root = Path(next(iter(spec.submodule_search_locations)))
    entries: dict[str, Any] = {}
    defaults: dict[str, str] = {}
    for init in sorted(root.glob("*/__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("init_")):
                continue
            default = _literal_default(node, "model_name")
            if isinstance(default, str):
                defaults[node.name] = default
            for name, url in _branch_urls(node):
                entries[name] = {"url": url, "file": _file(url), "function": node.name}
    return {"entries": dict(sorted(entries.items())), "defaults": dict(sorted(defaults.items()))}


def _literal_default(function: ast.FunctionDef, parameter: str) -> Any:
    args = function.args.args
    padded = [None] * (len(args) - len(function.args.defaults)) + list(function.args.defaults)
    for arg, value in zip(args, padded, strict=True):
        if arg.arg == parameter and value is not None:
            return ast.literal_eval(value)
    return None


def _branch_urls(function: ast.FunctionDef) -> Iterator[tuple[str, str]]:
    """(name, URL) of each ``if model_name == NAME:`` branch assigning a ``*_url`` string."""
    for node in ast.walk(function):
        test = node.test if isinstance(node, ast.If) else None
        if not (
            isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "model_name" and isinstance(test.ops[0], ast.Eq)
            and isinstance(test.comparators[0], ast.Constant)
        ):  # fmt: skip
            continue
        assert isinstance(node, ast.If)
        for statement in node.body:
            if (
                isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
                and any(isinstance(t, ast.Name) and t.id.endswith("url") for t in statement.targets)
            ):  # fmt: skip
                yield str(test.comparators[0].value), statement.value.value


# table name -> (distribution whose version is recorded, generator)
GENERATORS: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "torchvision": ("torchvision", torchvision_table),
    "whisper": ("openai-whisper", whisper_table),
    "clip": ("openai-clip", clip_table),
    "open_clip": ("open_clip_torch", open_clip_table),
    "timm": ("timm", timm_table),
    "ultralytics": ("ultralytics", ultralytics_table),
    "facexlib": ("facexlib", facexlib_table),
}


def table(name: str) -> dict[str, Any]:
    """The table ``name`` as read from the installed library, with its provenance."""
    distribution, generate = GENERATORS[name]
    return {
        "library": name,
        "distribution": distribution,
        "version": importlib.metadata.version(distribution),
        "generated_by": f"python -m ptmlock.named.generate {name}",
        **generate(),
    }


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def _names(argv: Sequence[str]) -> Iterator[str]:
    for name in argv or GENERATORS:
        if name not in GENERATORS:
            raise SystemExit(f"unknown table {name!r} (one of {', '.join(GENERATORS)})")
        yield name


def main(argv: Sequence[str] | None = None) -> int:
    for name in _names(sys.argv[1:] if argv is None else argv):
        path = DATA / f"{name}.json"
        data = table(name)
        path.write_text(dumps(data), encoding="utf-8")
        sys.stderr.write(f"{path}: {len(data['entries'])} entries from {name} {data['version']}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
