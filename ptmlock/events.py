"""Progress of long work (install, verify), reported as events for the CLI to draw.

``progress(event, name, amount)`` with ``name`` = "<model>/<path>" and ``event`` one of:
``reused`` (the file needs no work; ``amount`` is its size), ``start`` (``amount``: bytes to
come), ``bytes`` (``amount`` more bytes done), ``done``. Called from worker threads.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "no_progress"]

Progress = Callable[[str, str, int], None]


def no_progress(event: str, name: str, amount: int) -> None:
    return None
