"""Model references in Markdown and reStructuredText: READMEs, docs pages, model cards.

Hugging Face model links (not docs, blog, dataset or Space pages) count with ``how="doc"``; fenced
code blocks go through the Python analysis and the shell rules. Everything found here has low
confidence: a README shows what users run, not what the code runs.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ptmlock.models import Reference
from ptmlock.scan.detectors import text as text_module
from ptmlock.scan.detectors.interface import Detector, ProjectContext
from ptmlock.scan.detectors.shell import shell_references
from ptmlock.scan.detectors.text import URL, classify_url, hub_reference

__all__ = ["MarkdownDetector"]

_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")
_PYTHON_INFO = frozenset({"python", "py", "python3", "ipython", "pycon", "jupyter"})
_SHELL_INFO = frozenset({"bash", "sh", "shell", "console", "zsh", "dockerfile", "docker"})


class MarkdownDetector(Detector):
    """README and docs pages: Hub model links and loader calls in fenced code blocks."""

    name = "markdown"
    markers = (b"huggingface", b"hf.co", b"http", b"```", b"~~~")

    def handles(self, relpath: str) -> bool:
        return relpath.lower().endswith((".md", ".markdown", ".mdx", ".rst"))

    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
        found: list[Reference] = []
        lines = text.splitlines()
        start = _front_matter_end(lines)
        index = start
        while index < len(lines):
            fence = _FENCE.match(lines[index])
            if fence is None:
                found += _links(relpath, index + 1, lines[index])
                index += 1
                continue
            end = _fence_end(lines, index, fence.group(1))
            block = list(enumerate(lines[index + 1 : end], start=index + 2))
            found += _code_block(relpath, fence.group(2).lower(), block, context)
            index = end + 1
        return [replace(r, confidence="low") for r in found if r.model is not None]


def _front_matter_end(lines: list[str]) -> int:
    """Skip a model card's YAML header: its ``base_model`` is provenance, not a dependency."""
    if lines and lines[0].strip() == "---":
        return next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    return 0


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    closing = fence[0] * len(fence)
    return next(
        (i for i in range(start + 1, len(lines)) if lines[i].strip().startswith(closing)),
        len(lines),
    )


def _code_block(
    relpath: str, info: str, block: list[tuple[int, str]], context: ProjectContext
) -> list[Reference]:
    found: list[Reference] = []
    if info in _PYTHON_INFO or not info:
        code = "\n".join(re.sub(r"^(>>>|\.\.\.) ?", "", text) for _, text in block)
        offset = block[0][0] - 1 if block else 0
        python = text_module.analyze_python(relpath, code, context)
        found += [replace(r, line=r.line + offset) for r in python]
    if info in _SHELL_INFO or not info:
        shell = [(n, re.sub(r"^\s*[$%] ", "", text)) for n, text in block]
        found += shell_references(relpath, shell, context, dockerfile=info.startswith("docker"))
    return found


def _links(relpath: str, number: int, text: str) -> list[Reference]:
    found = []
    for match in URL.finditer(text):
        fields = classify_url(match.group(0))
        if fields is None:
            continue
        model = fields.pop("model")
        reference = hub_reference(relpath, number, model, "link", "doc", "low")
        found.append(replace(reference, **fields))
    return found
