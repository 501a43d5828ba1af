"""Jupyter notebooks: code cells through the Python analysis, ``!`` lines through the shell rules.

All code cells are analysed as one module, in order, because a constant set in one cell is used
by a loader in a later one. IPython syntax is neutralised first (``%magic`` lines become ``pass``;
``!command`` lines and ``%%bash`` cells go to the shell rules), and a cell that still does not
parse is left out rather than losing the whole notebook.

``Reference.line`` is the line *of the .ipynb file* holding that source line (nbformat writes one
source line per JSON line), so ``file:line`` is a real place in the file and ``ignore`` entries
stay stable; when a cell's source is stored as a single string, its lines share that string's line.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from dataclasses import dataclass, replace
from typing import Any

from ptmlock.models import Reference
from ptmlock.scan.detectors.interface import Detector, ProjectContext
from ptmlock.scan.detectors.shell import shell_references
from ptmlock.scan.detectors.text import analyze_python

__all__ = ["NotebookDetector", "code_cells"]

logger = logging.getLogger(__name__)

_SOURCE_KEY = re.compile(r'"(?:source|input)"\s*:\s*')
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SHELL_CELL = re.compile(r"%%(bash|sh|script\s+(ba)?sh)\b")
_MAX_RETRIES = 20


@dataclass(frozen=True, slots=True)
class Cell:
    """A code cell: its source lines, each with the .ipynb line it sits on."""

    lines: tuple[tuple[int, str], ...]


class NotebookDetector(Detector):
    """``.ipynb`` files (nbformat 3 and 4)."""

    name = "notebook"

    def handles(self, relpath: str) -> bool:
        return relpath.lower().endswith(".ipynb")

    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
        try:
            notebook = json.loads(text)
        except ValueError:
            logger.debug("%s: not JSON", relpath)
            return []
        if not isinstance(notebook, dict):
            return []
        cells = code_cells(notebook, text)
        python: list[list[tuple[int, str]]] = []
        found: list[Reference] = []
        for cell in cells:
            shell, code = _split_cell(cell)
            found += shell_references(relpath, shell, context)
            python.append(code)
        if _is_python(notebook):
            found += _analyze(relpath, python, context)
        return found


def code_cells(notebook: dict[str, Any], text: str) -> list[Cell]:
    """The notebook's code cells with their lines mapped to lines of ``text`` (the raw JSON)."""
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
        if isinstance(raw, dict) and raw.get("cell_type") == "code":
            source = raw.get("source", raw.get("input", ""))
            cells.append(Cell(tuple(_numbered(source, lines_at))))
    return cells


def _source_positions(text: str) -> list[list[int]]:
    """For each ``"source"`` key in order, the 1-based line of each of its strings."""
    positions = []
    for key in _SOURCE_KEY.finditer(text):
        start = key.end()
        if text.startswith("[", start):
            strings, cursor = [], start + 1
            while (match := _JSON_STRING.match(text, _skip_space(text, cursor))) is not None:
                strings.append(text.count("\n", 0, match.start()) + 1)
                cursor = _skip_space(text, match.end())
                if not text.startswith(",", cursor):
                    break
                cursor += 1
            positions.append(strings)
        else:
            positions.append([text.count("\n", 0, start) + 1])
    return positions


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


def _analyze(
    relpath: str, cells: list[list[tuple[int, str]]], context: ProjectContext
) -> list[Reference]:
    """Run the Python analysis on the concatenated cells and map lines back to the .ipynb."""
    for _ in range(_MAX_RETRIES):
        lines = [line for cell in cells for line in cell]
        try:
            ast.parse("\n".join(text for _, text in lines))
            break
        except SyntaxError as error:  # leave out the cell that does not parse, keep the rest
            cells = _without_cell_at(cells, error.lineno or 1)
    else:
        return []
    found = analyze_python(relpath, "\n".join(text for _, text in lines), context)
    numbers = [number for number, _ in lines]
    return [
        replace(r, line=numbers[r.line - 1]) if 0 < r.line <= len(numbers) else r for r in found
    ]


def _without_cell_at(
    cells: list[list[tuple[int, str]]], lineno: int
) -> list[list[tuple[int, str]]]:
    seen = 0
    for index, cell in enumerate(cells):
        if seen + len(cell) >= lineno:
            return [*cells[:index], [(n, "") for n, _ in cell], *cells[index + 1 :]]
        seen += len(cell)
    return cells[:-1]


def _is_python(notebook: dict[str, Any]) -> bool:
    """Whether the kernel runs Python (an R or Julia notebook's cells are not analysed)."""
    metadata = notebook.get("metadata")
    kernel = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    info = metadata.get("language_info") if isinstance(metadata, dict) else None
    language = (kernel or {}).get("language") if isinstance(kernel, dict) else None
    language = language or ((info or {}).get("name") if isinstance(info, dict) else None)
    return str(language or "python").lower().startswith("python")
