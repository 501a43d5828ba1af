"""Environment files: ``.env``, ``.env.example``, ``docker.env``, ``env.example.prod`` ...

``NAME=value`` lines set what the code reads with ``os.getenv``. A value shaped like a Hub id
(or a model URL) is a reference when the name is model-shaped (``EMBEDDING_MODEL``), and a
``Candidate`` otherwise: phase 2 keeps it when the code reads that variable on its way to a
loader. A commented-out assignment (``# MODEL=org/alt``) is an alternative the file documents:
a low-confidence mention.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ptmlock.models import Reference
from ptmlock.scan.detectors.interface import Candidate, Detector, FileFacts
from ptmlock.scan.detectors.shapes import is_hub_id, is_model_key, is_ollama_tag, normalize_key
from ptmlock.scan.detectors.text import classify_url, hub_reference
from ptmlock.scan.transforms import ollama_id

__all__ = ["DotenvDetector"]

_ASSIGNMENT = re.compile(r"\s*(#\s*)?(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")
_INLINE_COMMENT = re.compile(r"\s+#.*$")


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
        for number, line in enumerate(text.splitlines(), start=1):
            match = _ASSIGNMENT.fullmatch(line)
            if match is None:
                continue
            commented, name = match.group(1) is not None, match.group(2)
            value = _INLINE_COMMENT.sub("", match.group(3)).strip().strip("'\"")
            reference = _reference(relpath, number, name, value)
            if reference is None:
                continue
            if commented:
                low = replace(reference, how="doc", confidence="low")
                candidates.append(Candidate(kind="mention", name=value, reference=low))
            elif is_model_key(normalize_key(name)):
                references.append(reference)
            else:
                candidates.append(Candidate(kind="env", name=name, reference=reference))
        return FileFacts(references=tuple(references), candidates=tuple(candidates))


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
