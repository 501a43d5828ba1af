"""The one interface every source implements.

A *source* is somewhere a lock's files can be fetched from besides their hub (an OCI registry,
later perhaps a URL mirror). The lock says what the bytes are; a source only says where to get
them. So a source never resolves anything and never checks integrity: it streams the bytes of
one locked file, and install.py hashes every byte exactly as it does for a hub.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType

from ptmlock.errors import HubError
from ptmlock.hubs.interface import OpenFile
from ptmlock.models import LockedFile, LockedModel

__all__ = ["Source", "SourceAuthError", "SourceError"]


class SourceError(HubError):
    """A source could not deliver a locked file (missing tag or blob, a manifest that
    disagrees with the lock, refused). Install tries the next source, then the hub if allowed."""


class SourceAuthError(SourceError):
    """The source asks for credentials that are missing, or refuses the ones given."""


class Source(ABC):
    url: str  # how the user named it (``oci://host/namespace``); never holds a secret

    @abstractmethod
    def open_file(self, model: LockedModel, file: LockedFile, *, offset: int = 0) -> OpenFile:
        """Start streaming ``file`` of ``model`` from byte ``offset``.

        Raises TransientHubError for failures worth retrying, SourceError (or another
        HubError) when this source can't deliver the file.
        """

    @abstractmethod
    def close(self) -> None:
        """Let go of connections (``with source: ...`` does it at the end)."""

    def __enter__(self) -> Source:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
