"""Fault switches: make the mirror misbehave the ways real hubs and networks do.

A test adds a ``Fault`` to ``server.faults``; the request handler asks ``take(kind, target,
method)`` at the matching point and applies the first active fault, counting it. Kinds:

``status``        answer ``status`` (with ``Retry-After`` when ``retry_after`` is set) instead
``drop``          close the connection without answering
``corrupt``       flip one byte in the middle of a file body (same length, wrong sha256)
``truncate``      send the full ``Content-Length`` header, ``after_bytes`` body bytes, then hang up
``ignore_range``  answer a ``Range`` request with ``200`` and the whole body
``slow``          wait ``latency`` s before answering and/or send bodies at ``bytes_per_second``
``hostile_names`` add entries named ``names`` (``../evil.bin``, ``/etc/passwd``, ...) to
                  model_info siblings, tree listings and paths-info answers

``match`` is a substring of the request path as sent, percent-decoded, query included (CDN URLs
carry the file's name in their query); ``""`` matches everything. ``times`` is how often the fault
fires before the server behaves normally again (None = always). ``methods`` limits it to some
HTTP methods (e.g. ``("GET",)`` to fail the body download but not the metadata ``HEAD``).
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ptmlock.mirror.metadata import git_oid, is_lfs, lfs_pointer
from ptmlock.mirror.store import FileEntry

__all__ = ["HOSTILE_NAMES", "Fault", "FaultKind", "Faults", "hostile_entries"]

FaultKind = Literal[
    "status", "drop", "corrupt", "truncate", "ignore_range", "slow", "hostile_names"
]

# Names a hub's answer must never be allowed to turn into paths outside the model folder.
HOSTILE_NAMES: tuple[str, ...] = (
    "../evil.bin",
    "/etc/passwd",
    "a/../../b.safetensors",
    "..\\..\\evil.dll",
    "nested/../../../outside.json",
)


@dataclass(kw_only=True, eq=False)
class Fault:
    """One switch; ``fired`` counts how often it was applied (read it in assertions)."""

    kind: FaultKind
    match: str = ""
    times: int | None = None
    methods: tuple[str, ...] = ()
    status: int = 500
    retry_after: float | None = None
    after_bytes: int = 0
    bytes_per_second: float | None = None
    latency: float = 0.0
    names: Sequence[str] = HOSTILE_NAMES
    fired: int = field(default=0, init=False)

    def applies(self, kind: str, target: str, method: str) -> bool:
        """Whether this fault is live for a ``method`` request to ``target`` (decoded path)."""
        return (
            self.kind == kind
            and (self.times is None or self.fired < self.times)
            and self.match in target
            and (not self.methods or method in self.methods)
        )


class Faults:
    """The thread-safe set of active faults of one server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._counts: Counter[str] = Counter()

    def add(self, fault: Fault | None = None, /, **options: object) -> Fault:
        """Activate ``fault``, or ``Fault(**options)``; returns it so tests can read ``fired``."""
        if fault is None:
            fault = Fault(**options)  # type: ignore[arg-type]
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Deactivate every fault (the counters are kept)."""
        with self._lock:
            self._faults.clear()

    def take(self, kind: FaultKind, target: str, method: str) -> Fault | None:
        """The first live fault of ``kind`` for this request, counted as fired; else None."""
        with self._lock:
            for fault in self._faults:
                if fault.applies(kind, target, method):
                    fault.fired += 1
                    self._counts[kind] += 1
                    return fault
        return None

    def fired(self, kind: FaultKind | None = None) -> int:
        """How often faults of ``kind`` (or of any kind) fired since the server started."""
        with self._lock:
            return self._counts[kind] if kind else sum(self._counts.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


def hostile_entries(names: Sequence[str]) -> list[FileEntry]:
    """Plausible file entries (size, sha256, oid, LFS flag) for hostile ``names``."""
    entries = []
    for name in names:
        content = f"hostile file {name}\n".encode() * 16
        sha256 = hashlib.sha256(content).hexdigest()
        lfs = is_lfs(name, len(content))
        oid = git_oid(lfs_pointer(sha256, len(content)) if lfs else content)
        entries.append(FileEntry(path=name, size=len(content), sha256=sha256, git_oid=oid, lfs=lfs))
    return entries
