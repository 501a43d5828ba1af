"""What the plain-text detectors share, and requirements files.

- ``classify_url``: which URLs name a model (a Hub repo page or file, or a checkpoint file), the one
  place shell commands, Markdown links and requirements lines ask.
- ``analyze_python``: the Python analysis for code embedded in text (``python -c``, Markdown code
  blocks, notebooks); tests substitute it here, so callers look it up through this module.
- Requirements (``RequirementsDetector``): spaCy model wheels pinned by URL. It is a URL scan of
  requirements lines, a few lines on top of the above, so it lives here rather than alone.
"""

from __future__ import annotations

import importlib
import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from ptmlock.models import Reference
from ptmlock.scan.detectors.configs import guess_library, is_hub_id
from ptmlock.scan.detectors.interface import Detector, ProjectContext

__all__ = [
    "URL",
    "RequirementsDetector",
    "analyze_python",
    "classify_url",
    "hub_reference",
]

_HF_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
# first path segments of huggingface.co pages that are not models
_HF_RESERVED = frozenset(
    {
        "docs", "blog", "spaces", "datasets", "papers", "settings", "join", "login", "pricing",
        "models", "organizations", "tasks", "learn", "enterprise", "new", "new-space",
        "new-dataset", "collections", "posts", "chat", "api", "privacy", "terms-of-service",
        "changelog", "inference-endpoints", "inference-api", "support", "transformers", "course",
        "welcome", "brand", "autotrain", "competitions", "storage", "jobs", "notifications",
        "search", "sitemap", "oauth", "billing", "pro", "contact", "huggingchat", "front",
        "static", "avatars", "mcp", "hub", "security", "status", "code-of-conduct",
    }
)  # fmt: skip
_REPO_ACTIONS = frozenset({"resolve", "blob", "tree", "raw", "discussions", "commit", "commits"})
_CHECKPOINT_URL = re.compile(r"\.(pt|pth|ckpt|safetensors|bin|onnx|gguf)$", re.IGNORECASE)
URL = re.compile(r"""https?://[^\s<>"'`()\[\]{}]+""")
_NOWHERE = ProjectContext(root=PurePosixPath("/nonexistent"))  # type: ignore[arg-type]
_SPACY_MODEL = re.compile(
    r"[a-z]{2,3}_(core|dep|ent)_(web|news|wiki)_(sm|md|lg|trf)\b|spacy-models"
)


def analyze_python(relpath: str, text: str, context: ProjectContext) -> list[Reference]:
    """``ptmlock.scan.detectors.python.analyze_source``, or nothing while that module is absent."""
    try:
        module = importlib.import_module("ptmlock.scan.detectors.python")
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("ptmlock.scan.detectors."):
            raise
        return []
    found: list[Reference] = module.analyze_source(relpath, text, context)
    return found


def classify_url(url: str) -> dict[str, Any] | None:
    """Reference fields for a model URL (Hub repo page/file, or a checkpoint file), else None."""
    url = url.rstrip(".,;:!?*_")
    parts = urlsplit(url)
    if parts.hostname in _HF_HOSTS:
        return _hub_url(parts.path)
    if _CHECKPOINT_URL.search(parts.path):
        return {"hub": "url", "model": url.split("#")[0], "library": "url"}
    return None


def _hub_url(path: str) -> dict[str, Any] | None:
    segments = [s for s in path.split("/") if s]
    if not segments or segments[0] in _HF_RESERVED:
        return None
    if len(segments) >= 2 and segments[1] not in _REPO_ACTIONS:
        model, rest = f"{segments[0]}/{segments[1]}", segments[2:]
    else:
        model, rest = segments[0], segments[1:]
    model = model.removesuffix(".git")
    if not is_hub_id(model, _NOWHERE):
        return None
    fields: dict[str, Any] = {"hub": "huggingface", "model": model, "library": "snapshot"}
    if len(rest) >= 3 and rest[0] in {"resolve", "raw", "blob"}:
        fields.update(revision=rest[1], files=("/".join(rest[2:]),), library="file")
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

    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
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
        return found
