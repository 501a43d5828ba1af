"""Environment files: ``.env``, ``.env.example``, ``docker.env``, ``env.example.prod`` ...

``NAME=value`` lines set what the code reads with ``os.getenv``. A value shaped like a Hub id
(or a model URL) is a reference when the name is model-shaped (``EMBEDDING_MODEL``), and a
``Candidate`` otherwise: phase 2 keeps it when the code reads that variable on its way to a
loader. A commented-out assignment (``# MODEL=org/alt``) is an alternative the file documents:
a low-confidence mention. So are the options the comment above a setting names in the shape of
its value (``# Options: org/small, org/large`` over ``MODEL=org/base``; Ollama tags over a tag).
"""

from __future__ import annotations

import re
from dataclasses import replace

from ptmlock.models import Reference
from ptmlock.scan.detectors.interface import Candidate, Detector, FileFacts
from ptmlock.scan.detectors.shapes import (
    is_choice_id,
    is_hub_id,
    is_model_key,
    is_ollama_tag,
    normalize_key,
)
from ptmlock.scan.detectors.text import classify_url, hub_reference
from ptmlock.scan.transforms import ollama_id

__all__ = ["DotenvDetector"]

_ASSIGNMENT = re.compile(r"\s*(#\s*)?(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")
_INLINE_COMMENT = re.compile(r"\s+#.*$")
_COMMENT = re.compile(r"\s*#(.*)")
# words of a comment that may be ids: Hub ids with a namespace, Ollama tags (``name:tag``)
_HUB_WORD = re.compile(r"(?<![\w./:-])[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*(?![\w/:])", re.ASCII)
_TAG_WORD = re.compile(r"(?<![\w./:-])[a-z][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*(?![\w/:])", re.ASCII)


def _is_env_file(name: str) -> bool:
    return (
        name == ".env"
        or name.startswith((".env.", "env.", ".envrc"))
        or name.endswith((".env", ".env.example", ".env.sample", ".env.template"))
    )


class DotenvDetector(Detector):
    """``.env`` files and their documented variants."""

    name = "dotenv"
    markers = (b"=",)

    def handles(self, relpath: str) -> bool:
        return _is_env_file(relpath.rsplit("/", 1)[-1].lower())

    def read(self, relpath: str, text: str) -> FileFacts:
        references: list[Reference] = []
        candidates: list[Candidate] = []
        comment: list[tuple[int, str]] = []  # the comment block right above this line
        for number, line in enumerate(text.splitlines(), start=1):
            match = _ASSIGNMENT.fullmatch(line)
            if match is None:
                note = _COMMENT.fullmatch(line)
                comment = [*comment, (number, note.group(1))] if note else []
                continue
            above, comment = comment, []
            commented, name = match.group(1) is not None, match.group(2)
            value = _INLINE_COMMENT.sub("", match.group(3)).strip().strip("'\"")
            reference = _reference(relpath, number, name, value)
            if reference is None:
                continue
            if commented:
                low = replace(reference, how="doc", confidence="low")
                candidates.append(Candidate(kind="mention", name=value, reference=low))
                continue
            options = _options(relpath, name, reference, above)
            if is_model_key(normalize_key(name)):
                references += [reference, *options]
            else:
                candidates += [
                    Candidate(kind="env", name=name, reference=r) for r in (reference, *options)
                ]
        return FileFacts(references=tuple(references), candidates=tuple(candidates))


def _options(
    relpath: str, name: str, setting: Reference, comment: list[tuple[int, str]]
) -> list[Reference]:
    """The ids a setting's comment names in the shape of its value: its documented options."""
    tags = setting.library == "ollama"
    if setting.model is None or (setting.hub != "huggingface" and not tags):
        return []
    word = _TAG_WORD if tags else _HUB_WORD
    found: dict[str, Reference] = {}
    for number, text in comment:
        for match in word.finditer(text):
            value = match.group().rstrip(".-")
            if not tags and not is_choice_id(value):
                continue
            reference = _reference(relpath, number, name, value)
            if reference is None or reference.model in found or reference.model == setting.model:
                continue
            if (reference.library == "ollama") != tags:
                continue
            found[reference.model or ""] = replace(reference, how="doc", confidence="low")
    return list(found.values())


def _reference(relpath: str, line: int, name: str, value: str) -> Reference | None:
    if value.startswith(("http://", "https://")):
        fields = classify_url(value)
        if fields is None:
            return None
        model = fields.pop("model")
        return replace(
            hub_reference(relpath, line, model, f"env:{name}", "config", "medium"), **fields
        )
    if is_ollama_tag(value):
        return Reference(
            file=relpath, line=line, hub="other", model=ollama_id(value), api=f"env:{name}",
            how="config", confidence="medium", library="ollama",
        )  # fmt: skip
    if not is_hub_id(value):
        return None
    return hub_reference(relpath, line, value, f"env:{name}", "config", "medium")
