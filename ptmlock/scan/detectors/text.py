"""What the plain-text detectors share, and requirements files.

- ``classify_url``: the reference fields of a model URL (see ``ptmlock.scan.urls``), for shell
  commands, Markdown links and requirements lines.
- ``hub_reference``: a Hugging Face reference found in text, its library guessed from the id.
- Requirements (``RequirementsDetector``): spaCy model wheels pinned by URL. It is a URL scan of
  requirements lines, a few lines on top of the above, so it lives here rather than alone.
"""

from __future__ import annotations

import re
from typing import Any

from ptmlock.models import Reference
from ptmlock.scan.detectors.interface import Detector, FileFacts
from ptmlock.scan.detectors.shapes import guess_library
from ptmlock.scan.urls import model_url

__all__ = [
    "URL",
    "RequirementsDetector",
    "classify_url",
    "hub_reference",
]

URL = re.compile(r"""https?://[^\s<>"'`()\[\]{}]+""")
_SPACY_MODEL = re.compile(
    r"[a-z]{2,3}_(core|dep|ent)_(web|news|wiki)_(sm|md|lg|trf)\b|spacy-models"
)


def classify_url(url: str, *, downloaded: bool = False) -> dict[str, Any] | None:
    """Reference fields for a model URL (Hub repo page/file, or a checkpoint file), else None."""
    found = model_url(url, downloaded=downloaded)
    if found is None:
        return None
    if found.hub == "url":
        return {"hub": "url", "model": found.model, "library": "url"}
    fields: dict[str, Any] = {"hub": "huggingface", "model": found.model, "library": "snapshot"}
    if found.files:
        fields.update(revision=found.revision, files=found.files, library="file")
    return fields


def hub_reference(
    relpath: str, line: int, model: str, api: str, how: str, confidence: Any
) -> Reference:
    """A Hugging Face reference found in text, its library guessed from the id."""
    return Reference(
        file=relpath,
        line=line,
        hub="huggingface",
        model=model,
        api=api,
        how=how,
        confidence=confidence,
        library=guess_library(model),
    )


class RequirementsDetector(Detector):
    """spaCy model wheels pinned by URL in requirements files."""

    name = "requirements"
    markers = (b"spacy", b"_core_", b"http")

    def handles(self, relpath: str) -> bool:
        lowered = relpath.lower()
        name = lowered.rsplit("/", 1)[-1]
        if not name.endswith((".txt", ".in")):
            return False
        return name.startswith(("requirements", "constraints")) or "/requirements/" in f"/{lowered}"

    def read(self, relpath: str, text: str) -> FileFacts:
        found = []
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.split(" #", 1)[0].strip()
            url = next((m.group(0) for m in URL.finditer(line)), None)
            if url and _SPACY_MODEL.search(line):
                found.append(
                    Reference(
                        file=relpath,
                        line=number,
                        hub="url",
                        model=url.split("#")[0],
                        api="requirements",
                        how="literal",
                        library="spacy",
                    )
                )
        return FileFacts(references=tuple(found))
