"""The detectors ``scan`` runs, as a literal list (one line per detector).

The Python detector is imported defensively: the rest of the scan works without it, so a
missing ``ptmlock.scan.detectors.python`` (or a module of its own that is missing) degrades
discovery instead of breaking every command.
"""

from __future__ import annotations

import importlib
import logging

from ptmlock.scan.detectors.configs import ConfigDetector
from ptmlock.scan.detectors.interface import Detector
from ptmlock.scan.detectors.markdown import MarkdownDetector
from ptmlock.scan.detectors.notebook import NotebookDetector
from ptmlock.scan.detectors.shell import ShellDetector
from ptmlock.scan.detectors.text import RequirementsDetector

__all__ = ["default_detectors", "python_detectors"]

logger = logging.getLogger(__name__)


def python_detectors() -> list[Detector]:
    """``[PythonDetector()]``, or ``[]`` (with a warning) while that module is absent."""
    try:
        module = importlib.import_module("ptmlock.scan.detectors.python")
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("ptmlock.scan.detectors."):
            raise  # a missing third-party dependency is a real installation problem
        logger.warning("Python files are not scanned: %s", error)
        return []
    detector: Detector = module.PythonDetector()
    return [detector]


def default_detectors() -> list[Detector]:
    """A fresh instance of every detector, in the order their results are merged."""
    return [
        *python_detectors(),
        ConfigDetector(),
        NotebookDetector(),
        MarkdownDetector(),
        ShellDetector(),
        RequirementsDetector(),
    ]
