"""The one interface every detector implements.

A detector reads one file's text and returns the references it finds there. It never touches
the network and never raises for bad content: a file it can't parse yields no references (or
an unresolved one, when a loader call is visible but its model is not).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from ptmlock.models import Reference

__all__ = ["Detector", "ProjectContext"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ProjectContext:
    """What a detector may know about the project beyond the file it reads."""

    root: Path
    # module name ("pkg.sub") -> relative path, for constants imported across modules
    modules: dict[str, str] = field(default_factory=dict)
    # the project's directories a hub id could name: "models" or "models/bert" (a hub id has
    # at most one "/"), so "models/bert" in code is a local path, not a model. Deeper ones are
    # left out: they can't change a result, and the scan cache keys every result on this set.
    directories: frozenset[str] = frozenset()


class Detector(ABC):
    """Finds model references in one kind of file."""

    name: str

    @abstractmethod
    def handles(self, relpath: str) -> bool:
        """Whether this detector reads the file at ``relpath`` ("/"-separated)."""

    @abstractmethod
    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
        """References in ``text``, the content of ``relpath``."""
