"""Jupyter notebooks: code cells through the Python analysis, ``!`` lines through the shell rules.

All code cells are one Python module, in order, because a constant set in one cell is used by
a loader in a later one (and cells import the project's own modules, which phase 2 follows).
IPython syntax is neutralised first (``%magic`` lines become ``pass``; ``!command`` lines and
``%%bash`` cells go to the shell rules), and a cell that still does not parse is left out rather
than losing the whole notebook.

Each source line is placed at the line *of the .ipynb file* holding it (nbformat writes one
source line per JSON line), so ``file:line`` is a real place in the file and ``ignore`` entries
stay stable; when a cell's source is stored as a single string, its lines follow that line.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from typing import Any

from ptmlock.scan.detectors.interface import Detector, FileFacts
from ptmlock.scan.detectors.markdown import MarkdownDetector
from ptmlock.scan.detectors.python import summarize_placed
from ptmlock.scan.detectors.shell import shell_references

__all__ = ["NotebookDetector", "code_cells"]

logger = logging.getLogger(__name__)

_SOURCE_KEY = re.compile(r'"(?:source|input)"\s*:\s*')
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SHELL_CELL = re.compile(r"%%(bash|sh|script\s+(ba)?sh)\b")


@dataclass(frozen=True, slots=True)
class Cell:
    """A code cell: its source lines, each with the .ipynb line it sits on."""

    lines: tuple[tuple[int, str], ...]


class NotebookDetector(Detector):
    """``.ipynb`` files (nbformat 3 and 4)."""

    name = "notebook"

    def handles(self, relpath: str) -> bool:
        return relpath.lower().endswith(".ipynb")

    def read(self, relpath: str, text: str) -> FileFacts:
        try:
            notebook = json.loads(text)
        except ValueError:
            return FileFacts(skipped="not a notebook (not JSON)")
        except RecursionError:
            return FileFacts(skipped="nested too deeply to read")
        if not isinstance(notebook, dict):
            return FileFacts(skipped="not a notebook (not a JSON object)")
        facts = FileFacts()
        pieces: list[tuple[int, str]] = []
        for cell in code_cells(notebook, text):
            shell, code = _split_cell(cell)
            facts = facts.merged(shell_references(relpath, shell))
            pieces += _pieces(code)
        for cell in code_cells(notebook, text, kind="markdown"):
            facts = facts.merged(_markdown(relpath, cell))
        if _is_python(notebook):
            facts = summarize_placed(relpath, pieces).merged(facts)
        return facts


def _pieces(code: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """A cell's lines as one piece of code starting at its first line."""
    if not code:
        return []
    return [(code[0][0], "\n".join(text for _, text in code))]


def _markdown(relpath: str, cell: Cell) -> FileFacts:
    """A Markdown cell read as a README is (links, mentions, commands: all low confidence),
    at the notebook's lines; its fenced Python is not part of the notebook's code."""
    if not cell.lines:
        return FileFacts()
    read = MarkdownDetector().read(relpath, "\n".join(text for _, text in cell.lines))
    where = [number for number, _ in cell.lines]

    def at(line: int) -> int:
        return where[min(max(line, 1), len(where)) - 1]

    return FileFacts(
        references=tuple(replace(r, line=at(r.line)) for r in read.references),
        candidates=tuple(
            replace(
                c,
                reference=replace(c.reference, line=at(c.reference.line)),
                group=at(c.group) if c.group else 0,
            )
            for c in read.candidates
        ),
    )


def code_cells(notebook: dict[str, Any], text: str, kind: str = "code") -> list[Cell]:
    """The notebook's cells of ``kind`` (code, markdown) with their lines mapped to lines of
    ``text`` (the raw JSON)."""
    raw_cells = notebook.get("cells")
    if raw_cells is None:  # nbformat 3
        worksheets = notebook.get("worksheets") or [{}]
        raw_cells = worksheets[0].get("cells", []) if isinstance(worksheets[0], dict) else []
    if not isinstance(raw_cells, list):
        return []
    positions = _source_positions(text)
    if len(positions) != len(raw_cells):
        positions = [[]] * len(raw_cells)  # unusual layout: fall back to line 1
    cells = []
    for raw, lines_at in zip(raw_cells, positions, strict=True):
        if isinstance(raw, dict) and raw.get("cell_type") == kind:
            source = raw.get("source", raw.get("input", ""))
            cells.append(Cell(tuple(_numbered(source, lines_at))))
    return cells


def _source_positions(text: str) -> list[list[int]]:
    """For each ``"source"`` key in order, the 1-based line of each of its strings."""
    positions = []
    line_of = _LineCounter(text)
    for key in _SOURCE_KEY.finditer(text):
        start = key.end()
        if text.startswith("[", start):
            strings, cursor = [], start + 1
            while (match := _JSON_STRING.match(text, _skip_space(text, cursor))) is not None:
                strings.append(line_of(match.start()))
                cursor = _skip_space(text, match.end())
                if not text.startswith(",", cursor):
                    break
                cursor += 1
            positions.append(strings)
        else:
            positions.append([line_of(start)])
    return positions


class _LineCounter:
    """The 1-based line of an index of ``text``, for indexes asked in increasing order: each
    call counts only from the last one (counting from the start each time made a large
    notebook quadratic: 12.5 MB took 81 s)."""

    def __init__(self, text: str) -> None:
        self._text, self._index, self._line = text, 0, 1

    def __call__(self, index: int) -> int:
        if index < self._index:  # not in order: count afresh
            self._index, self._line = 0, 1
        self._line += self._text.count("\n", self._index, index)
        self._index = index
        return self._line


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _numbered(source: object, lines_at: list[int]) -> list[tuple[int, str]]:
    pieces = source if isinstance(source, list) else [source]
    numbered = []
    for index, piece in enumerate(pieces):
        if not isinstance(piece, str):
            continue
        at = lines_at[min(index, len(lines_at) - 1)] if lines_at else 1
        numbered += [(at, line) for line in piece.splitlines()]
    return numbered


def _split_cell(cell: Cell) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(shell lines, Python lines) of a cell; IPython-only lines become ``pass``."""
    if cell.lines and _SHELL_CELL.match(cell.lines[0][1].strip()):
        return list(cell.lines[1:]), [(n, "") for n, _ in cell.lines]
    shell, code = [], []
    for number, line in cell.lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith("!"):
            shell.append((number, stripped[1:]))
            code.append((number, f"{indent}pass"))
        elif stripped.startswith("%") or stripped.endswith("?"):
            code.append((number, f"{indent}pass"))
        else:
            code.append((number, line))
    return shell, code


def _is_python(notebook: dict[str, Any]) -> bool:
    """Whether the kernel runs Python (an R or Julia notebook's cells are not analysed)."""
    metadata = notebook.get("metadata")
    kernel = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    info = metadata.get("language_info") if isinstance(metadata, dict) else None
    language = (kernel or {}).get("language") if isinstance(kernel, dict) else None
    language = language or ((info or {}).get("name") if isinstance(info, dict) else None)
    return str(language or "python").lower().startswith("python")
