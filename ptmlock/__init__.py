"""ptmlock: the lockfile for pre-trained models.

The library API the CLI is a thin shell over; names load on first use so that
``import ptmlock`` stays cheap::

    from ptmlock import scan, lock, install, verify, export, read_lock, write_lock
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
__all__ = ["export", "install", "lock", "read_lock", "scan", "verify", "write_lock"]

_EXPORTS = {
    "scan": ("ptmlock.scan", "scan"),
    "lock": ("ptmlock.locking", "lock_references"),
    "install": ("ptmlock.install", "install"),
    "verify": ("ptmlock.verify", "verify"),
    "export": ("ptmlock.exporters", "export"),
    "read_lock": ("ptmlock.lockfile", "read_lock"),
    "write_lock": ("ptmlock.lockfile", "write_lock"),
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ptmlock' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    return getattr(importlib.import_module(module), attribute)
