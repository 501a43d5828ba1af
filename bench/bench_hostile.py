"""Benchmark the linear paths of issue 12 against the algorithms they replaced, on growing inputs.

Each row times one hostile input at sizes that double (or grow by a step), with the replaced
algorithm and with ptmlock's, in the same run:

- shell words: ``shlex.shlex(posix=True, punctuation_chars=True)`` against ``words.split_words``
  on one line holding a long word (quadratic against linear);
- gitignore globs: the pattern ``**/`` repeated k times compiled with ``re`` against
  ``walk._rule`` (RE2), matched against a path that does not match (exponential against linear);
- notebook line numbers: counting newlines from the start for each source string against
  ``notebook._source_positions`` (quadratic against linear);
- YAML aliases: expanding every alias of a billion-laughs document against ``configs._YamlData``
  (exponential against bounded: the bomb is refused after ``limits.YAML_ALIASES`` uses).

The last size of each row is one the replaced algorithm would not finish (minutes to hours);
only ptmlock's time is shown there. About a minute in all. Usage::

    python bench/bench_hostile.py
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import time
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from ptmlock.scan.detectors import configs, notebook
from ptmlock.scan.detectors.words import split_words
from ptmlock.scan.walk import _glob_to_regex, _rule


def _seconds(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


# -- the replaced algorithms, as they were --------------------------------------------------------
def old_words(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def old_glob(pattern: str) -> re.Pattern[str]:
    return re.compile(f"(?:.*/)?{_glob_to_regex(pattern)}")


def old_positions(text: str) -> list[int]:
    key = re.compile(r'"source"\s*:\s*')
    return [text.count("\n", 0, m.end()) + 1 for m in key.finditer(text)]


def old_yaml(node: yaml.Node | None, depth: int = 0) -> Any:
    if node is None or depth > 100:
        return None
    if isinstance(node, yaml.SequenceNode):
        return [old_yaml(item, depth + 1) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        return {str(old_yaml(k, depth + 1)): old_yaml(v, depth + 1) for k, v in node.value}
    return node.value


# -- inputs ---------------------------------------------------------------------------------------
def shell_line(size: int) -> str:
    return "hf download org/m " + "x" * size


def notebook_text(cells: int) -> str:
    book = {"cells": [{"cell_type": "code", "source": ["x = 1\n"]}] * cells, "metadata": {}}
    return json.dumps(book, indent=1)


def laughs(depth: int) -> str:
    lines = ["a0: &a0 [x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, depth + 1)]
    return "\n".join(lines) + "\n"


def new_yaml(text: str) -> Any:
    try:
        return [
            configs._YamlData(1000).convert(n, 0) for n in yaml.compose_all(text, yaml.SafeLoader)
        ]
    except configs._AliasBomb:
        return None  # refused: what scan reports as a skipped file


def glob_match(k: int, compile_glob: Callable[[str], Any]) -> Any:
    return compile_glob("**/" * k + "x").fullmatch("a/" * 40 + "y")


def old_laughs(text: str) -> Any:
    return [old_yaml(node) for node in yaml.compose_all(text, yaml.SafeLoader)]


def new_glob(pattern: str) -> Any:
    rule = _rule("", pattern)
    assert rule is not None
    return rule[1]


# (input, how the replaced algorithm grows, sizes for both, a hostile size for ptmlock alone,
#  the input of a size, the replaced algorithm, ptmlock's)
_Case = tuple[
    str, str, Sequence[int], int, Callable[[int], Any], Callable[[Any], Any], Callable[[Any], Any]
]
CASES: list[_Case] = [
    ("shell line, bytes", "quadratic", [50_000, 100_000, 200_000, 400_000], 4_000_000,
     shell_line, old_words, split_words),
    ("gitignore **/ repeats", "exponential", [3, 4, 5, 6], 25,
     int, lambda k: glob_match(k, old_glob), lambda k: glob_match(k, new_glob)),
    ("notebook cells", "quadratic", [2_500, 5_000, 10_000, 20_000], 400_000,
     notebook_text, old_positions, notebook._source_positions),
    ("yaml alias depth", "exponential", [12, 14, 16, 18], 40,
     laughs, old_laughs, new_yaml),
]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    print(f"{'input':<22} {'size':>10} {'replaced s':>12} {'ptmlock s':>10} {'ratio':>9}")
    for name, kind, sizes, hostile, make, old, new in CASES:
        for size in [*sizes, hostile]:
            data = make(size)
            ours = _seconds(lambda: new(data))  # noqa: B023  (called at once)
            if size == hostile:  # the replaced algorithm would not finish
                print(f"{name:<22} {size:>10} {'(' + kind + ')':>12} {ours:10.4f} {'-':>9}")
                continue
            theirs = _seconds(lambda: old(data))  # noqa: B023
            ratio = f"{theirs / max(ours, 1e-6):8.0f}x"
            print(f"{name:<22} {size:>10} {theirs:12.3f} {ours:10.4f} {ratio}")


if __name__ == "__main__":
    main()
