"""Bounded retries with exponential backoff and jitter, for TransientHubError only.

One policy for every hub call and every download, so "how hard do we try" is decided once.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ptmlock.errors import TransientHubError

__all__ = [
    "DEFAULT_POLICY",
    "TRANSIENT_STATUS",
    "RetryPolicy",
    "call_with_retries",
    "retry_after",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})  # worth asking again


def retry_after(headers: Mapping[str, str]) -> float | None:
    """A server's ``Retry-After`` in seconds; the HTTP-date form is ignored (so does the Hub
    client)."""
    value = headers.get("Retry-After", "").strip()
    return float(value) if re.fullmatch(r"\d+(\.\d+)?", value) else None


@dataclass(frozen=True, kw_only=True, slots=True)
class RetryPolicy:
    attempts: int = 6  # total tries, the first included
    base_delay: float = 0.5  # seconds, doubled each try
    max_delay: float = 8.0
    max_retry_after: float = 60.0  # a server asking for longer than this is not waited for
    deadline: float = 300.0  # seconds across all tries of one operation

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to sleep before try ``attempt + 1`` (``attempt`` counts from 1)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        backoff = min(self.base_delay * float(2 ** (attempt - 1)), self.max_delay)
        jitter: float = random.uniform(0.5, 1.0)  # spreads parallel workers apart
        return backoff * jitter


DEFAULT_POLICY = RetryPolicy()


def call_with_retries(
    operation: Callable[[], T], *, what: str, policy: RetryPolicy = DEFAULT_POLICY
) -> T:
    """Run ``operation``; on TransientHubError sleep and try again, within the policy's bounds."""
    started = time.monotonic()
    attempt = 1
    while True:
        try:
            return operation()
        except TransientHubError as exc:
            delay = policy.delay(attempt, exc.retry_after)
            spent = time.monotonic() - started
            if attempt >= policy.attempts or spent + delay > policy.deadline:
                raise
            log.info("%s: %s; retrying in %.1fs (try %d)", what, exc, delay, attempt + 1)
            time.sleep(delay)
            attempt += 1
