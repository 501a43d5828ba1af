"""Model references in Markdown and reStructuredText: READMEs, docs pages, model cards.

Hugging Face model links (not docs, blog, dataset or Space pages) count with ``how="doc"``; fenced
code blocks go through the Python analysis (one module per page, placed at the page's lines) and
the shell rules. A model-shaped id written in prose (``Qwen/Qwen3-Embedding-4B``) is a
``Candidate``: a reference when the project uses that model elsewhere, or when it sits in one
table or list with such a model (the choices a page offers beside the one the code loads).
Everything found here has low confidence: a README shows what users run, not what the code runs.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ptmlock.models import Reference
from ptmlock.scan.detectors.interface import Candidate, Detector, FileFacts
from ptmlock.scan.detectors.python import parses, summarize_placed
from ptmlock.scan.detectors.shapes import is_choice_id, is_hub_id
from ptmlock.scan.detectors.shell import shell_references
from ptmlock.scan.detectors.text import URL, classify_url, hub_reference
from ptmlock.scan.transforms import ollama_id

__all__ = ["MarkdownDetector"]

_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")
_PYTHON_INFO = frozenset({"python", "py", "python3", "ipython", "pycon", "jupyter"})
_SHELL_INFO = frozenset({"bash", "sh", "shell", "console", "zsh", "dockerfile", "docker"})
_MENTION = re.compile(r"(?<![\w/.:@-])([A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95})(?![\w/@-])")
_TAG_MENTION = re.compile(r"(?<![\w/.:@-])([a-z][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*)(?![\w/@:-])")
_ITEM = re.compile(r"\s*(\||[-*+]\s|\d+[.)]\s)")  # a table row or a list item
_FLAG_SPAN = re.compile(r"(?:^|\s)--?\w[\w-]*[ =]\S")  # ``--model base`` in a code span
_CODE_INDENT = re.compile(r"(?: {4}|\t)\s*\S")  # a line of an indented code block
_CODE_SPAN = re.compile(r"`([^`\s]+)`")
_COMMAND_SPAN = re.compile(r"`([^`]+)`")


class MarkdownDetector(Detector):
    """README and docs pages: Hub model links and loader calls in fenced code blocks."""

    name = "markdown"
    markers = (b"/",)

    def handles(self, relpath: str) -> bool:
        return relpath.lower().endswith((".md", ".markdown", ".mdx", ".rst"))

    def read(self, relpath: str, text: str) -> FileFacts:
        facts = FileFacts()
        pieces: list[tuple[int, str]] = []
        lines = text.splitlines()
        index = _front_matter_end(lines)
        group = 0  # the table or list the line belongs to, 0 outside one
        while index < len(lines):
            fence = _FENCE.match(lines[index])
            indented = _indented_block(lines, index) if fence is None else 0
            if indented:  # an indented code block: commands, as a shell block
                block = [(n, lines[n - 1].strip()) for n in range(index + 1, indented + 1)]
                facts = facts.merged(shell_references(relpath, block, dockerfile=False))
                facts = facts.merged(_mentions(relpath, block))
                group, index = 0, indented
                continue
            if fence is None:
                if _ITEM.match(lines[index]) is None:
                    group = 0
                elif group == 0:
                    group = index + 1
                facts = facts.merged(_prose(relpath, index + 1, lines[index], group))
                index += 1
                continue
            group = 0
            end = _fence_end(lines, index, fence.group(1))
            block = list(enumerate(lines[index + 1 : end], start=index + 2))
            info = fence.group(2).lower()
            if info in _PYTHON_INFO or not info:
                code = "\n".join(re.sub(r"^(>>>|\.\.\.) ?", "", text) for _, text in block)
                # an untagged block is tried as Python; one that is not is not reported broken
                if block and (info or parses(code)):
                    pieces.append((block[0][0], code))
            if info in _SHELL_INFO or not info:
                shell = [(n, re.sub(r"^\s*[$%] ", "", text)) for n, text in block]
                facts = facts.merged(
                    shell_references(relpath, shell, dockerfile=info.startswith("docker"))
                )
            facts = facts.merged(_mentions(relpath, block))
            index = end + 1
        if pieces:
            facts = summarize_placed(relpath, pieces).merged(facts)
        return FileFacts(
            references=tuple(replace(r, confidence="low") for r in facts.references if r.model),
            candidates=tuple(
                replace(c, reference=replace(c.reference, confidence="low"))
                for c in facts.candidates
            ),
            python=facts.python,
            skipped=facts.skipped,
        )


def _prose(relpath: str, number: int, text: str, group: int) -> FileFacts:
    facts = FileFacts(
        references=tuple(_links(relpath, number, text)),
        candidates=_mentions(relpath, [(number, text)], group).candidates,
    )
    # a command's flags written as code in a sentence: "use a smaller model `--model base`"
    spans = _COMMAND_SPAN.findall(text)
    commands = [(number, span) for span in spans if _FLAG_SPAN.search(span)]
    return facts.merged(shell_references(relpath, commands)) if commands else facts


def _mentions(relpath: str, lines: list[tuple[int, str]], group: int = 0) -> FileFacts:
    """Model-shaped ids written in text (outside links), for phase 2 to confirm."""
    found: list[Candidate] = []
    for number, text in lines:
        bare = URL.sub(" ", text)
        spans = set(_CODE_SPAN.findall(bare)) if group else set()
        for match in _MENTION.finditer(bare):
            model = match.group(1).rstrip(".")
            if is_hub_id(model):
                reference = hub_reference(relpath, number, model, "mention", "doc", "low")
                # only an id written as code (`org/name-v1`) is one of a table's choices
                choice = model in spans and is_choice_id(model)
                found.append(
                    Candidate(
                        kind="mention", name=model, reference=reference, group=group, choice=choice
                    )
                )
        for match in _TAG_MENTION.finditer(bare):
            model = ollama_id(match.group(1).rstrip("."))
            reference = Reference(
                file=relpath, line=number, hub="other", model=model, api="mention", how="doc",
                confidence="low", library="ollama",
            )  # fmt: skip
            found.append(Candidate(kind="mention", name=model, reference=reference))
    return FileFacts(candidates=tuple(found))


def _front_matter_end(lines: list[str]) -> int:
    """Skip a model card's YAML header: its ``base_model`` is provenance, not a dependency."""
    if lines and lines[0].strip() == "---":
        return next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    return 0


def _indented_block(lines: list[str], start: int) -> int:
    """The index after an indented code block starting at ``start`` (CommonMark: four spaces
    or a tab, after a blank line, not inside a list), else 0."""
    if not _CODE_INDENT.match(lines[start]) or (
        start and lines[start - 1].strip() and not lines[start - 1].startswith("#")
    ):
        return 0  # not after a blank line or a heading: a paragraph's continuation
    above = next((line for line in reversed(lines[:start]) if line.strip()), "")
    if _ITEM.match(above) or _CODE_INDENT.match(above):
        return 0  # a list item's continuation (or the item's own nested text)
    end = start
    while end < len(lines) and (_CODE_INDENT.match(lines[end]) or not lines[end].strip()):
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return end


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    closing = fence[0] * len(fence)
    return next(
        (i for i in range(start + 1, len(lines)) if lines[i].strip().startswith(closing)),
        len(lines),
    )


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
