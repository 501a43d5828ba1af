"""README/Markdown, shell scripts, Dockerfiles and requirements files (work in progress)."""

from __future__ import annotations

from ptmlock.detectors.interface import Detector, ProjectContext
from ptmlock.models import Reference

__all__ = ["MarkdownDetector", "RequirementsDetector", "ShellDetector"]


class MarkdownDetector(Detector):
    name = "markdown"

    def handles(self, relpath: str) -> bool:
        return relpath.lower().endswith(".md")

    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
        return []


class ShellDetector(Detector):
    name = "shell"

    def handles(self, relpath: str) -> bool:
        return relpath.endswith(".sh")

    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
        return []


class RequirementsDetector(Detector):
    name = "requirements"

    def handles(self, relpath: str) -> bool:
        return relpath.endswith("requirements.txt")

    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
        return []
