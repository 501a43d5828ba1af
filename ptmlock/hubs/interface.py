"""The one interface every hub implements.

A hub pins a request to an exact revision with file hashes (``resolve``) and moves the bytes
of one locked file (``open_file``). It never checks integrity: install.py hashes every byte.
Hub modules translate their client library's exceptions into ptmlock.errors at this boundary.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager

from ptmlock.models import LockedFile, LockedModel, ModelRequest

__all__ = ["Hub", "OpenFile"]


class OpenFile(AbstractContextManager["OpenFile"]):
    """A streaming response for one file, starting at some offset."""

    offset: int  # the byte the stream starts at (0 when the server ignored Range)

    @abstractmethod
    def readinto(self, buffer: memoryview) -> int:
        """Fill ``buffer`` with the next bytes; 0 at the end of the body."""


class Hub(ABC):
    name: str

    def accepts(self, model_id: str) -> bool:
        """Whether this hub can resolve ``model_id`` (a URL hub takes only real URLs)."""
        return True

    @abstractmethod
    def resolve(self, request: ModelRequest) -> LockedModel:
        """Pin ``request``: the commit its revision points to and every selected file's hash."""

    @abstractmethod
    def open_file(self, model: LockedModel, file: LockedFile, *, offset: int = 0) -> OpenFile:
        """Start streaming ``file`` of ``model`` from byte ``offset`` (HTTP Range when > 0).

        Raises TransientHubError for failures worth retrying, other HubErrors otherwise.
        """
