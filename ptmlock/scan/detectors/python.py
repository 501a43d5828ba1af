"""Python source: parsed once and lowered to the ``Summary`` phase 2 links across the project.

``summarize`` is shared with the detectors that find Python inside other files (notebook cells,
Markdown code blocks): they hand it a source whose lines sit at the lines of their own file.
Source Python can't parse, or that nests too deeply for its parser, is reported as skipped.
"""

from __future__ import annotations

import ast
import io
import logging
import re
import tokenize
import warnings

from ptmlock.scan.detectors.interface import Detector, FileFacts
from ptmlock.scan.python.lower import lower_module
from ptmlock.scan.signatures import LOADER_NAMES

__all__ = [
    "PythonDetector",
    "parses",
    "summarize",
    "summarize_placed",
]

logger = logging.getLogger(__name__)

_URL = re.compile(r"""https?://[^\s<>"'`()\[\]{}]+""")


class PythonDetector(Detector):
    """``.py`` files."""

    name = "python"

    def handles(self, relpath: str) -> bool:
        return relpath.endswith(".py")

    def read(self, relpath: str, text: str) -> FileFacts:
        return summarize(relpath, text)


def summarize(relpath: str, text: str) -> FileFacts:
    """The summary of Python ``text``, or why there is none."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes in old code
            tree = ast.parse(text, filename=relpath)
    except SyntaxError as error:
        return FileFacts(skipped=f"not valid Python (line {error.lineno}: {error.msg})")
    except (ValueError, RecursionError, MemoryError) as error:
        return FileFacts(skipped=f"Python's parser gave up: {type(error).__name__}")
    try:
        summary = lower_module(tree, LOADER_NAMES)
    except RecursionError:
        return FileFacts(skipped="nested too deeply to analyse")
    summary.comment_urls = _comment_urls(text)
    return FileFacts(python=summary)


def _comment_urls(text: str) -> list[tuple[int, str]]:
    """URLs in comments (``# weights: https://...``): phase 2 lists model ones as docs."""
    if "#" not in text or "http" not in text:
        return []
    found: list[tuple[int, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and "http" in token.string:
                found += [(token.start[0], m.group(0)) for m in _URL.finditer(token.string)]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    return found


def summarize_placed(relpath: str, pieces: list[tuple[int, str]]) -> FileFacts:
    """Python found inside another file (notebook cells, Markdown blocks, ``python -c``): each
    piece of code is placed at its line of that file, so every line of the summary is a real
    place there. A piece that does not parse is left out rather than losing the others."""
    pieces = [(line, code) for line, code in pieces if code.strip()]
    skipped: str | None = None
    if _why_not(_placed(pieces)) is not None:
        # each piece alone, once: dropping them one at a time re-parsed the whole text per bad
        # piece, quadratic in a notebook of many broken cells
        verdicts = [(piece, _why_not(piece[1])) for piece in pieces]
        first = next(((p[0], w) for p, w in verdicts if w is not None), None)
        line, why = first or (pieces[0][0], "is not valid Python with the code around it")
        skipped = f"code at line {line} {why}"
        pieces = [piece for piece, why in verdicts if why is None]
        if _why_not(_placed(pieces)) is not None:
            return FileFacts(skipped=skipped)
    facts = summarize(relpath, _placed(pieces)) if pieces else FileFacts()
    return FileFacts(python=facts.python, skipped=facts.skipped or skipped)


def parses(source: str) -> bool:
    """Whether ``source`` is valid Python on its own."""
    return _why_not(source) is None


def _why_not(source: str) -> str | None:
    """Why ``source`` does not parse as Python, or None when it does."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError:
        return "is not valid Python"
    except (ValueError, RecursionError, MemoryError):
        return "is nested too deeply for Python's parser"
    return None


def _starts(pieces: list[tuple[int, str]]) -> list[int]:
    """The line each piece starts on: its own, or right after the piece before it."""
    starts: list[int] = []
    end = 0
    for line, code in pieces:
        start = max(line, end + 1)
        starts.append(start)
        end = start - 1 + max(len(code.splitlines()), 1)
    return starts


def _placed(pieces: list[tuple[int, str]]) -> str:
    lines: list[str] = []
    for start, (_, code) in zip(_starts(pieces), pieces, strict=True):
        lines += [""] * (start - 1 - len(lines))
        lines += code.splitlines() or [""]
    return "\n".join(lines) + "\n"
