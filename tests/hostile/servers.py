"""A scripted HTTP server on 127.0.0.1 for hostile-input tests: it answers as a test says (a
redirect elsewhere, a gzip bomb, one byte at a time, a crafted model info) and records the
headers of every request it receives, so a test can show what a client sent where."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Self

from tests.quiet import QuietHTTPServer

__all__ = ["Handler", "Received", "ScriptedServer"]


class Handler(BaseHTTPRequestHandler):
    """Hands every request to its server's script."""

    server: _Server

    def do_GET(self) -> None:
        self.server.received.append(Received(self.command, self.path, self._headers()))
        with contextlib.suppress(OSError):  # a client that hangs up is what some tests want
            self.server.script(self)

    do_POST = do_GET

    def _headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def send(self, status: int, body: bytes = b"", **headers: str) -> None:
        """A whole answer; ``headers`` with ``_`` for ``-`` (``Content_Encoding="gzip"``)."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)


class _Server(QuietHTTPServer):
    script: Callable[[Handler], None]
    received: list[Received]
    stopping: threading.Event


class ScriptedServer:
    """``with ScriptedServer(script) as server: ... server.url ... server.received``."""

    def __init__(self, script: Callable[[Handler], None]) -> None:
        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.script = script
        self._httpd.received = []
        self._httpd.stopping = threading.Event()
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self._httpd.received

    @property
    def stopping(self) -> threading.Event:
        """Set when the server stops: a slow script's loop should end then."""
        return self._httpd.stopping

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


def trickle(handler: Handler, head: bytes, body: Iterator[bytes], pause: float) -> None:
    """Send ``head`` at once, then each piece of ``body`` after ``pause`` seconds, until the
    client hangs up or the server stops (a slow-loris server)."""
    handler.wfile.write(head)
    handler.wfile.flush()
    for piece in body:
        if handler.server.stopping.wait(pause):
            return
        handler.wfile.write(piece)
        handler.wfile.flush()
