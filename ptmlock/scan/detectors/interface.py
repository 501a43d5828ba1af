"""The one interface every detector implements, and what phase 1 keeps of a file.

A detector reads one file's text and returns ``FileFacts``: references complete on their own
(``hf download org/name`` in a script), candidates that only the whole project can decide
(``EMBEDDING_MODEL=...`` in ``.env`` is a model when the code reads that variable on its way to
a loader), and, for Python code (modules, notebook cells, Markdown snippets), the ``Summary``
phase 2 links across the project. It depends on the text alone, so it is cached by content hash;
it never touches the network and never raises for bad content (``skipped`` says why).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ptmlock.models import Reference
from ptmlock.scan.python.ir import Summary

__all__ = ["Candidate", "Detector", "FileFacts"]

CandidateKind = Literal["env", "flag", "named-flag", "mention"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Candidate:
    """A possible reference that phase 2 decides with what the whole project knows.

    - ``env``: ``name=value`` sets an environment variable (``.env``, compose, ``ENV``);
    - ``flag``: ``--name value`` on a command line that runs the project's code;
    - ``named-flag``: ``--model large-v2``, a value that is no Hub id: a model when the option
      reaches a loader whose own names include it (the reference's ``model`` holds the value);
    - ``mention``: a model-shaped id in prose, a model when the project uses it elsewhere.
    The ``reference`` is what it becomes when it is one.
    """

    kind: CandidateKind
    name: str  # the variable, the flag (``--model_path``), or the id mentioned
    reference: Reference
    group: int = 0  # mentions in one table or list of a page share a group (0: none)
    choice: bool = False  # written as a model (`org/name-v1` in code quotes) in that group


@dataclass(frozen=True, kw_only=True, slots=True)
class FileFacts:
    """Phase 1's answer for one file."""

    references: tuple[Reference, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    python: Summary | None = None
    skipped: str | None = None  # why the file (or part of it) could not be read

    def merged(self, other: FileFacts) -> FileFacts:
        return FileFacts(
            references=self.references + other.references,
            candidates=self.candidates + other.candidates,
            python=self.python or other.python,
            skipped=self.skipped or other.skipped,
        )

    def dump(self) -> tuple[Any, ...]:
        """A marshal-able form without the Python summary (kept apart, see ``scan.cache``)."""
        refs = tuple(_ref_dump(r) for r in self.references)
        cands = tuple(
            (c.kind, c.name, _ref_dump(c.reference), c.group, c.choice) for c in self.candidates
        )
        return (refs, cands, self.skipped)

    @classmethod
    def load(cls, data: tuple[Any, ...], relpath: str, python: Summary | None) -> FileFacts:
        refs, cands, skipped = data
        return cls(
            references=tuple(_ref_load(r, relpath) for r in refs),
            candidates=tuple(
                Candidate(kind=k, name=n, reference=_ref_load(r, relpath), group=g, choice=c)
                for k, n, r, g, c in cands
            ),
            python=python,
            skipped=skipped,
        )


_FIELDS = tuple(Reference.__dataclass_fields__)


def _ref_dump(ref: Reference) -> tuple[Any, ...]:
    # the same content at another path reads the same: the path is not kept
    return tuple("" if name == "file" else getattr(ref, name) for name in _FIELDS)


def _ref_load(data: Sequence[Any], relpath: str) -> Reference:
    values = dict(zip(_FIELDS, data, strict=True))
    values["file"] = relpath
    values["files"] = tuple(values["files"])
    values["chain"] = tuple(values["chain"])
    return Reference(**values)


class Detector(ABC):
    """Finds model references in one kind of file."""

    name: str
    # bytes one of which a file must contain to be worth reading (None: read every file)
    markers: Sequence[bytes] | None = None

    @abstractmethod
    def handles(self, relpath: str) -> bool:
        """Whether this detector reads the file at ``relpath`` ("/"-separated)."""

    @abstractmethod
    def read(self, relpath: str, text: str) -> FileFacts:
        """What ``text``, the content of ``relpath``, holds (phase 1: the text alone)."""
