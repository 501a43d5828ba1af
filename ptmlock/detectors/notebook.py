"""Jupyter notebooks (work in progress)."""

from __future__ import annotations

from ptmlock.detectors.interface import Detector, ProjectContext
from ptmlock.models import Reference

__all__ = ["NotebookDetector"]


class NotebookDetector(Detector):
    """Code cells of ``.ipynb`` files."""

    name = "notebook"

    def handles(self, relpath: str) -> bool:
        return relpath.endswith(".ipynb")

    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
        return []
