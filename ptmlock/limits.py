"""Every bound ptmlock puts on work that an input controls, in one table.

ptmlock runs in CI on code from pull requests, against hubs and mirrors it does not control: a
small hostile input must not cost unbounded time or memory. Each limit has a name, a default
and, where a real project could need more, an environment variable that raises it (read when
the limit is used, so a test or a user can change it for one run). Exceeding a limit is a
skipped file in ``scan`` (with the reason) or a one-line error elsewhere, never a hang.
SECURITY.md lists the same table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ptmlock.errors import ConfigError

__all__ = [
    "ANSWER_BYTES",
    "ANSWER_SECONDS",
    "FILE_BYTES",
    "LIMITS",
    "NOTEBOOK_BYTES",
    "SERVE_BODY_BYTES",
    "SMALL_FILE_BYTES",
    "STALL_SECONDS",
    "YAML_ALIASES",
    "Limit",
]


@dataclass(frozen=True, slots=True)
class Limit:
    """A bound with its default; ``env`` (when set) names the variable that overrides it."""

    name: str
    default: int
    unit: str  # "bytes", "seconds", "aliases"
    what: str  # what it bounds, for the docs
    env: str | None = None

    @property
    def value(self) -> int:
        """The bound in force: the environment's value when set, else the default."""
        raw = os.environ.get(self.env, "") if self.env else ""
        if not raw.strip():
            return self.default
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value <= 0:
            raise ConfigError(f"{self.env}={raw!r}: expected a positive number of {self.unit}")
        return value


FILE_BYTES = Limit(
    "file bytes", 4 << 20, "bytes", "a project file scan reads (larger ones are skipped)",
    "PTMLOCK_MAX_FILE_BYTES",
)  # fmt: skip
NOTEBOOK_BYTES = Limit(
    "notebook bytes", 32 << 20, "bytes", "a notebook scan reads (outputs make them large)",
    "PTMLOCK_MAX_NOTEBOOK_BYTES",
)  # fmt: skip
YAML_ALIASES = Limit(
    "yaml aliases", 1000, "aliases", "alias uses in one YAML file (alias bombs)",
)  # fmt: skip
ANSWER_BYTES = Limit(
    "hub answer bytes", 64 << 20, "bytes", "one metadata answer of a hub, after decompression",
    "PTMLOCK_MAX_ANSWER_BYTES",
)  # fmt: skip
ANSWER_SECONDS = Limit(
    "hub answer seconds", 120, "seconds", "receiving one metadata answer of a hub, whole",
    "PTMLOCK_ANSWER_SECONDS",
)  # fmt: skip
SMALL_FILE_BYTES = Limit(
    "small file bytes", 64 << 20, "bytes", "a non-LFS repo file read into memory to hash it",
    "PTMLOCK_MAX_SMALL_FILE_BYTES",
)  # fmt: skip
STALL_SECONDS = Limit(
    "stall seconds", 60, "seconds",
    "a download's response head, or its next 256 KiB, arriving (slow or stalled servers)",
    "PTMLOCK_STALL_SECONDS",
)  # fmt: skip
SERVE_BODY_BYTES = Limit(
    "serve request body bytes", 1 << 20, "bytes", "a request body `ptmlock serve` accepts",
)  # fmt: skip

LIMITS: tuple[Limit, ...] = (
    FILE_BYTES,
    NOTEBOOK_BYTES,
    YAML_ALIASES,
    ANSWER_BYTES,
    ANSWER_SECONDS,
    SMALL_FILE_BYTES,
    STALL_SECONDS,
    SERVE_BODY_BYTES,
)
