"""Benchmark ``ptmlock scan`` on a real source tree, this build beside another ptmlock and grep.

Each scanner runs as its own process (``ptmlock scan TREE --no-resolve --format json``) with a
cache folder of its own: cold (empty cache), warm (the unchanged tree again), after one edit
(a comment appended to one Python file, then the file's mtime moved 5 s back so the stat record
cannot trust it), and after a code edit of that file (a statement after its first import, which
moves every line below it). Reported: wall time, CPU time and the process's own peak RSS,
with the ratio to the baseline ptmlock (an older build's ``ptmlock`` executable, from its own
virtualenv) and to ``git grep`` of the loader names (what a literal-only scanner costs on the
same tree). The tree is copied first, so the edit never touches the original. Usage::

    python bench/bench_scan_tree.py TREE [--baseline OLD_VENV/bin/ptmlock] [--edit REL.py]

The stand-in for a large real repository in bench/README.md is the source of the transformers
wheel (``pip download --no-deps transformers==5.2.0`` and unzip it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ChildRun, run_child  # the bench folder is not a package

LOADERS = (
    "from_pretrained|pipeline\\(|SentenceTransformer|hf_hub_download|snapshot_download"
    "|torch\\.hub\\.load|load_state_dict_from_url|create_model|huggingface\\.co"
)


def scan_runs(binary: str, tree: Path, edit: Path, cache: Path) -> dict[str, ChildRun]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    command = [binary, "scan", str(tree), "--no-resolve", "--format", "json"]
    runs = {"cold": run_child(command, env), "warm": run_child(command, env)}
    before = edit.read_text()
    for step, after in (("one edit", before + "\n# edited by the benchmark\n"),
                        ("code edit", _code_edit(before))):  # fmt: skip
        edit.write_text(after)
        moved = time.time() - 5
        os.utime(edit, (moved, moved))
        runs[step] = run_child(command, env)
        edit.write_text(before)
        os.utime(edit, (moved - 5, moved - 5))
        run_child(command, env)  # back to the unchanged tree's cache
    return runs


def _code_edit(text: str) -> str:
    """A statement inserted after the first import: every line below it moves, so the
    module's summary changes (a comment at the end leaves it as it was)."""
    lines = text.splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if line.startswith(("import ", "from "))), 0)
    return "".join([*lines[: at + 1], "_EDITED_BY_BENCHMARK = 1\n", *lines[at + 1 :]])


def grep_run(tree: Path) -> ChildRun:
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    subprocess.run(["git", "-C", str(tree), "add", "-A"], check=True)
    return run_child(["git", "-C", str(tree), "grep", "-l", "-E", LOADERS], dict(os.environ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--baseline", help="another build's ptmlock executable")
    parser.add_argument("--edit", help="the .py file (relative to TREE) edited between runs")
    args = parser.parse_args()
    current = str(Path(sys.executable).with_name("ptmlock"))
    with tempfile.TemporaryDirectory(prefix="bench-scan-tree-") as workdir:
        work = Path(workdir)
        tree = work / "tree"
        shutil.copytree(args.tree, tree, symlinks=True)
        edit = tree / args.edit if args.edit else max(tree.rglob("*.py"), key=_size)
        files = sum(1 for p in tree.rglob("*") if p.is_file())
        python = sum(1 for _ in tree.rglob("*.py"))
        print(f"tree: {args.tree} ({files} files, {python} .py); edited: {edit.relative_to(tree)}")
        results = {"this build": scan_runs(current, tree, edit, work / "cache-new")}
        if args.baseline:
            results["baseline"] = scan_runs(args.baseline, tree, edit, work / "cache-old")
        grep = grep_run(tree)
    print(f"git grep -l of the loader names: {grep.seconds:.2f} s, {grep.max_rss_mb:.0f} MB")
    print(f"{'run':<10} {'build':<11} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'vs base':>8} "
          f"{'vs grep':>8}")  # fmt: skip
    for step in ("cold", "warm", "one edit", "code edit"):
        for build, runs in results.items():
            run = runs[step]
            base = results.get("baseline", {}).get(step)
            ratio = f"{run.seconds / base.seconds:.3f}x" if base else "-"
            vs_grep = f"{run.seconds / grep.seconds:.1f}x"
            print(f"{step:<10} {build:<11} {run.seconds:>8.2f} {run.cpu:>8.2f} "
                  f"{run.max_rss_mb:>8.0f} {ratio:>8} {vs_grep:>8}")  # fmt: skip
            if run.returncode != 0:
                print(f"  exit {run.returncode}: {run.stderr}")
    print(json.dumps({b: {s: vars(r) | {"stderr": ""} for s, r in runs.items()}
                      for b, runs in results.items()}))  # fmt: skip


def _size(path: Path) -> int:
    return path.stat().st_size


if __name__ == "__main__":
    main()
