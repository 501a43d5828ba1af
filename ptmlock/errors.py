"""Every error ptmlock raises on purpose, on one screen.

``str(error)`` is one line naming the file or model and the problem; ``hint`` says what to do.
The CLI maps the classes to exit codes (see ``EXIT_CODES`` in cli/_common.py): input and local
storage errors are 2, hub and network failures 3. Anything else that escapes is a bug.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "EntryNotFoundError",
    "GatedModelError",
    "HubError",
    "HubUnreachableError",
    "IntegrityError",
    "LockFileError",
    "ModelNotFoundError",
    "OfflineError",
    "PtmlockError",
    "RevisionNotFoundError",
    "StorageError",
    "TransientHubError",
    "UnsafePathError",
]


class PtmlockError(Exception):
    """Base class: a one-line message plus an optional hint."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


# -- input (exit 2) -----------------------------------------------------------------------------
class LockFileError(PtmlockError):
    """ptm.lock is missing, unreadable, not TOML, or not a valid lock."""


class ConfigError(PtmlockError):
    """[tool.ptmlock] in pyproject.toml, or a command-line value, is invalid."""


class UnsafePathError(PtmlockError):
    """A file name from a hub or a lock would escape its model folder."""


class StorageError(PtmlockError):
    """A local folder can't take the files: no space, no permission, not a folder."""


# -- hubs and network (exit 3) ------------------------------------------------------------------
class HubError(PtmlockError):
    """A hub answered with an error, or could not be reached."""


class ModelNotFoundError(HubError):
    """The hub has no such model, or it is private."""


class RevisionNotFoundError(HubError):
    """The model has no such branch, tag or commit."""


class EntryNotFoundError(HubError):
    """The model has no such file at that revision."""


class GatedModelError(HubError):
    """The model is gated (or private) and the token, if any, has no access."""


class OfflineError(HubError):
    """Offline mode is on and something is not available locally."""


class TransientHubError(HubError):
    """A failure worth retrying (429, 5xx, a dropped or truncated connection)."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class HubUnreachableError(TransientHubError):
    """The endpoint could not be reached at all (connection refused, DNS, TLS)."""


# -- integrity (exit 1 from gates, 3 from install: the hub served wrong bytes) ----------------
class IntegrityError(PtmlockError):
    """Bytes that do not match the lock. Never retried into the cache."""
