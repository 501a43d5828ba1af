"""The detectors ``scan`` runs, as a literal list (one line per detector)."""

from __future__ import annotations

from ptmlock.scan.detectors.configs import ConfigDetector
from ptmlock.scan.detectors.dotenv import DotenvDetector
from ptmlock.scan.detectors.interface import Detector
from ptmlock.scan.detectors.markdown import MarkdownDetector
from ptmlock.scan.detectors.notebook import NotebookDetector
from ptmlock.scan.detectors.python import PythonDetector
from ptmlock.scan.detectors.shell import ShellDetector
from ptmlock.scan.detectors.text import RequirementsDetector

__all__ = ["default_detectors"]


def default_detectors() -> list[Detector]:
    """A fresh instance of every detector, in the order their results are merged."""
    return [
        PythonDetector(),
        ConfigDetector(),
        DotenvDetector(),
        NotebookDetector(),
        MarkdownDetector(),
        ShellDetector(),
        RequirementsDetector(),
    ]
