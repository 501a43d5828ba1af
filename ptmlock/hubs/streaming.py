"""One streamed HTTP body for every hub: bytes as they arrive, transport errors translated.

httpx (plain URLs) and httpx2 (huggingface_hub's stack) share one response API, so one class
serves both; each hub supplies how to send the request and how to name a failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Protocol

from ptmlock.errors import PtmlockError
from ptmlock.hubs.interface import OpenFile

__all__ = ["Response", "StreamedFile"]


class Response(Protocol):
    """What httpx.Response and httpx2.Response both offer."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def iter_raw(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class StreamedFile(OpenFile):
    """``send()`` starts the request (raising a ptmlock error for a failed status);
    ``fail(exc)`` names a transport error that cuts the body short."""

    def __init__(
        self,
        send: Callable[[], Response],
        fail: Callable[[Exception], PtmlockError],
        transport_errors: tuple[type[Exception], ...],
    ) -> None:
        self._send, self._fail, self._transport_errors = send, fail, transport_errors
        self._response: Response | None = None
        self.offset = 0

    def __enter__(self) -> StreamedFile:
        self._response = self._send()
        if self._response.status_code == 206:
            match = re.match(r"bytes (\d+)-", self._response.headers.get("Content-Range", ""))
            self.offset = int(match.group(1)) if match else 0
        return self

    def iter_bytes(self) -> Iterator[bytes]:
        assert self._response is not None, "use open_file(...) in a with block"
        try:
            # as the bytes arrive (not buffered into large chunks), so a cut connection
            # loses nothing that was received and the resume starts exactly there
            yield from self._response.iter_raw()
        except self._transport_errors as exc:
            raise self._fail(exc) from None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._response is not None:
            self._response.close()
