"""Hub answers read within bounds: a size cap after decompression and a deadline for the whole.

huggingface_hub reads a metadata answer whole (``response.json()`` with no timeout), so a 1 MB
gzip bomb becomes a gigabyte in memory and a server sending a byte a second holds ``scan``
forever. Here the decoded body is counted as it arrives and the clock checked between pieces;
past ``limits.ANSWER_BYTES`` or ``limits.ANSWER_SECONDS`` the answer is refused with an error
naming the server. The per-read timeout of the session still bounds a server that sends nothing.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx2

from ptmlock import errors
from ptmlock.limits import ANSWER_BYTES, ANSWER_SECONDS, Limit
from ptmlock.sizes import human_size

__all__ = ["read_body", "read_json"]


def read_body(response: httpx2.Response, what: str, limit: Limit = ANSWER_BYTES) -> bytes:
    """The decoded body of a streamed ``response``, at most ``limit`` bytes, within the deadline.

    ``what`` names the answer in errors (``model info of org/name from http://hub``).
    """
    cap, seconds = limit.value, ANSWER_SECONDS.value
    started = time.monotonic()
    pieces: list[bytes] = []
    size = 0
    for piece in response.iter_bytes():
        size += len(piece)
        if size > cap:
            raise errors.HubError(
                f"{what}: the answer is larger than {human_size(cap)} once decompressed",
                hint=f"refused as a possible decompression bomb; raise {limit.env} if it is real",
            )
        if time.monotonic() - started > seconds:
            raise errors.HubError(
                f"{what}: the answer did not arrive whole within {seconds} s",
                hint=f"a stalled or very slow server; raise {ANSWER_SECONDS.env} if it is real",
            )
        pieces.append(piece)
    return b"".join(pieces)


def read_json(response: httpx2.Response, what: str) -> Any:
    """``read_body`` parsed as JSON; an answer that is not JSON is a one-line HubError."""
    body = read_body(response, what)
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        kind = "HTML" if body.lstrip()[:1] == b"<" else "not JSON"
        raise errors.HubError(f"{what}: the answer is {kind}, not a JSON document") from None
