"""Hang up on a connection whose next bytes do not arrive in time (slow-loris servers).

A socket timeout bounds one ``recv``, not a whole read: a server that sends one byte every few
seconds keeps every ``recv`` inside its timeout while a 256 KiB read takes days. One watchdog
thread per process holds a deadline per armed socket and shuts the socket down when its deadline
passes; the blocked read then ends at once, and the caller, seeing ``fired``, reports a stall.
Arming and disarming cost a lock and a dict operation, so every buffer of a download is guarded;
the thread ends when it finds nothing armed.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Guard", "guarded"]

_TICK = 0.25  # seconds between the watchdog's looks at its deadlines


@dataclass(slots=True)
class Guard:
    """One armed read; ``fired`` once the watchdog hung up on it."""

    fired: bool = False


class _Watchdog:
    def __init__(self) -> None:
        self._armed: dict[int, tuple[float, socket.socket, Guard]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, sock: socket.socket, seconds: float, guard: Guard) -> int:
        key = next(self._ids)
        with self._lock:
            self._armed[key] = (time.monotonic() + seconds, sock, guard)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="stall")
                self._thread.start()
        return key

    def disarm(self, key: int) -> None:
        with self._lock:
            self._armed.pop(key, None)

    def _run(self) -> None:
        tick = threading.Event()  # never set: its wait is a sleep that is not time.sleep
        while True:
            tick.wait(_TICK)
            now = time.monotonic()
            with self._lock:
                if not self._armed:  # nothing to watch: end; the next arm starts a new thread
                    self._thread = None
                    return
                late = [k for k, (deadline, _, _) in self._armed.items() if deadline <= now]
                expired = [self._armed.pop(k) for k in late]
            for _, sock, guard in expired:
                guard.fired = True
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()


@contextlib.contextmanager
def guarded(sock: socket.socket | None, seconds: float) -> Iterator[Guard]:
    """Within the block, ``sock`` is shut down if the block lasts longer than ``seconds``."""
    guard = Guard()
    if sock is None:
        yield guard
        return
    key = _WATCHDOG.arm(sock, seconds, guard)
    try:
        yield guard
    finally:
        _WATCHDOG.disarm(key)
