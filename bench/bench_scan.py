"""Benchmark ``ptmlock.scan`` on a large real-shaped tree against ``git grep`` of the loader names.

The tree: the sources of large packages installed beside ptmlock (huggingface_hub, pygments, mypy,
...; real third-party code, most of it without a model in sight) plus a generated application of
10,000 files (Python modules, configs, notebooks, READMEs, shell scripts; about one in twenty loads
a model). Timed: a cold scan (empty cache), a warm re-scan of the unchanged tree (cache hits), a
re-scan after touching one file, and ``git grep -l -E`` of the loader names over the same tree
(after an untimed ``git init && git add``). Usage::

    python bench/bench_scan.py [--app-files 10000] [--jobs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ptmlock.scan import scan

PACKAGES = ("huggingface_hub", "pygments", "mypy", "_pytest", "cyclonedx", "anyio", "jsonschema",
            "httpx", "yaml", "tomlkit", "packaging", "pip")  # fmt: skip
LOADERS = (
    "from_pretrained|pipeline\\(|SentenceTransformer|hf_hub_download|snapshot_download"
    "|torch\\.hub\\.load|load_state_dict_from_url|create_model|whisper\\.load_model|spacy\\.load"
    "|hf download|huggingface-cli download|model_name_or_path|huggingface\\.co"
)
MODELS = ("google-bert/bert-base-uncased", "BAAI/bge-small-en-v1.5", "openai/whisper-small",
          "Qwen/Qwen2.5-0.5B-Instruct", "sentence-transformers/all-MiniLM-L6-v2")  # fmt: skip


def copy_packages(root: Path, packages: Sequence[str]) -> int:
    """Copy installed packages' trees into ``root/libs_src`` (not a name the scan skips)."""
    site = Path(json.__file__).parent  # stdlib, as a fallback source of real Python
    copied = 0
    for name in packages:
        spec = importlib.util.find_spec(name)
        source = Path(spec.origin).parent if spec and spec.origin else None
        if source is None or not source.is_dir():
            continue
        shutil.copytree(source, root / "libs_src" / name, ignore=shutil.ignore_patterns("*.so"))
        copied += 1
    if copied == 0:
        shutil.copytree(site, root / "libs_src" / "stdlib")
    return copied


def generate_app(root: Path, count: int) -> None:
    """``count`` files shaped like an ML application's: mostly plain code, some model loads."""
    app = root / "app"
    writers: Sequence[Callable[[int], tuple[str, str]]] = [_plain_module] * 14 + [
        _loader_module, _config, _notebook, _readme, _shell, _plain_config
    ]  # fmt: skip
    for index in range(count):
        relpath, text = writers[index % len(writers)](index)
        path = app / f"pkg{index % 100:02d}" / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _plain_module(i: int) -> tuple[str, str]:
    body = "\n".join(
        f"def step_{j}(batch, scale={j}):\n    return [x * scale for x in batch]\n"
        for j in range(12)
    )
    return f"mod_{i}.py", f'"""Helpers {i}."""\nimport math\n\nLIMIT = {i}\n\n{body}'


def _loader_module(i: int) -> tuple[str, str]:
    model = MODELS[i % len(MODELS)]
    return f"load_{i}.py", (
        "from transformers import AutoModel, AutoTokenizer\n\n"
        f'MODEL_ID = "{model}"\n\n\n'
        "def load(name: str = MODEL_ID):\n"
        "    return AutoTokenizer.from_pretrained(name), AutoModel.from_pretrained(name)\n"
    )


def _config(i: int) -> tuple[str, str]:
    model = MODELS[i % len(MODELS)]
    return f"train_{i}.yaml", f"seed: {i}\nmodel_name_or_path: {model}\nlr: 3.0e-5\n"


def _plain_config(i: int) -> tuple[str, str]:
    return f"logging_{i}.yaml", f"version: 1\nhandlers:\n  console:\n    level: INFO{i}\n"


def _notebook(i: int) -> tuple[str, str]:
    source = [
        "from transformers import pipeline\n",
        f'clf = pipeline("text-classification", model="{MODELS[i % 5]}")\n',
    ]
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "source": source}]
    return f"nb_{i}.ipynb", json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}, indent=1)


def _readme(i: int) -> tuple[str, str]:
    return f"README_{i}.md", f"# Part {i}\n\nUses https://huggingface.co/{MODELS[i % 5]}.\n"


def _shell(i: int) -> tuple[str, str]:
    return f"fetch_{i}.sh", f"#!/bin/sh\nset -e\nhf download {MODELS[i % 5]} --local-dir m\n"


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def git_grep(root: Path) -> tuple[float, int]:
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    command = ["git", "grep", "-l", "-E", LOADERS]
    seconds, done = timed(lambda: subprocess.run(command, cwd=root, capture_output=True, text=True))
    assert isinstance(done, subprocess.CompletedProcess)
    return seconds, len(done.stdout.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-files", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keep", type=Path, help="build the tree here and keep it")
    parser.add_argument("--packages", default=",".join(PACKAGES), help="comma-separated")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="ptmlock-bench-scan-"))
    root, cache = workdir / "tree", workdir / "cache"
    try:
        packages = copy_packages(root, args.packages.split(","))
        generate_app(root, args.app_files)
        files = sum(1 for p in root.rglob("*") if p.is_file())
        print(f"tree: {files} files ({packages} copied packages + {args.app_files} app files)")
        time.sleep(2.5)  # let mtimes settle: the scan trusts (size, mtime) only for older files
        cold, result = timed(lambda: scan(root, cache_dir=cache, jobs=args.jobs))
        warm, again = timed(lambda: scan(root, cache_dir=cache, jobs=args.jobs))
        assert again == result, "a warm scan must return what the cold one did"
        touched = next((root / "app").rglob("load_*.py"))
        touched.write_text(touched.read_text() + "\n# touched\n")
        one, _ = timed(lambda: scan(root, cache_dir=cache, jobs=args.jobs))
        (touched.parent / "new_subpackage").mkdir()  # a deep folder can't be a hub namespace
        folder, _ = timed(lambda: scan(root, cache_dir=cache, jobs=args.jobs))
        grep, grep_files = git_grep(root)
        report(result, files, cold, warm, one, folder, grep, grep_files)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def report(
    result: object,
    files: int,
    cold: float,
    warm: float,
    one: float,
    folder: float,
    grep: float,
    grep_files: int,
) -> None:
    references = len(getattr(result, "references", ()))
    scanned = getattr(result, "files_scanned", 0)
    print(f"scan cold:   {cold:7.3f} s  {files / cold:9.0f} files/s  ({scanned} read, "
          f"{references} references)")  # fmt: skip
    print(f"scan warm:   {warm:7.3f} s  {files / warm:9.0f} files/s  (unchanged tree, cache hits)")
    print(f"scan 1 edit: {one:7.3f} s  (one loader module touched)")
    print(f"new folder:  {folder:7.3f} s  (a subpackage folder created below app/)")
    print(f"git grep:    {grep:7.3f} s  {files / grep:9.0f} files/s  ({grep_files} files match)")
    print(
        f"ratio cold scan / git grep: {cold / grep:.1f}x   warm scan / git grep: {warm / grep:.1f}x"
    )


if __name__ == "__main__":
    main()
