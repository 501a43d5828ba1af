"""Sending file bodies: byte ranges, ``sendfile`` at disk speed, and the body-level faults.

Kept apart from routing so the fast path (one ``socket.sendfile`` call) and the faulty paths
(throttled, corrupted, cut short) sit side by side and are easy to compare.
"""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["BodyPlan", "Unsatisfiable", "byte_range", "send_body"]

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 1024 * 1024
_THROTTLED_CHUNK = 64 * 1024


class Unsatisfiable(ValueError):
    """A Range header asking for bytes the file does not have (answer 416)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` inclusive for a single-range ``Range`` header; None means "whole file".

    Supports ``bytes=a-``, ``bytes=a-b`` and suffix ranges ``bytes=-n``; anything else (several
    ranges, other units, garbage) is ignored, as RFC 9110 allows.
    """
    match = _RANGE.match((header or "").strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # suffix range: the last n bytes
        if int(last) == 0 or size == 0:
            raise Unsatisfiable(header)
        return max(0, size - int(last)), size - 1
    start, end = int(first), int(last) if last else size - 1
    if start >= size or end < start:
        raise Unsatisfiable(header)
    return start, min(end, size - 1)


@dataclass(frozen=True, slots=True)
class BodyPlan:
    """What to send of a file: ``length`` bytes from ``offset``, and how to misbehave."""

    offset: int
    length: int
    corrupt: bool = False
    cut_after: int | None = None  # close the connection after this many bytes
    bytes_per_second: float | None = None


def send_body(sock: socket.socket, f: BinaryIO, plan: BodyPlan) -> int:
    """Send the planned bytes of ``f`` on ``sock``; returns how many were sent.

    The plain case is one ``socket.sendfile`` (zero-copy, so multi-GB bodies run at disk speed);
    corrupted or throttled bodies go through a read/send loop.
    """
    length = plan.length if plan.cut_after is None else min(plan.cut_after, plan.length)
    if not plan.corrupt and plan.bytes_per_second is None:
        return sock.sendfile(f, plan.offset, length) if length else 0
    flip_at = plan.offset + plan.length // 2 if plan.corrupt else -1
    chunk = _THROTTLED_CHUNK if plan.bytes_per_second else _CHUNK
    started, sent = time.monotonic(), 0
    f.seek(plan.offset)
    while sent < length:
        data = bytearray(f.read(min(chunk, length - sent)))
        if not data:
            break
        position = plan.offset + sent
        if position <= flip_at < position + len(data):
            data[flip_at - position] ^= 0xFF
        sock.sendall(data)
        sent += len(data)
        if plan.bytes_per_second:
            time.sleep(max(0.0, started + sent / plan.bytes_per_second - time.monotonic()))
    return sent
