"""``MirrorServer``: the Hub-compatible server in a background thread, and ``serve`` for the CLI.

The tests' hub, the demo's hub and ``ptmlock serve DIR``: a ``ThreadingHTTPServer`` speaking
HTTP/1.1 with keep-alive over a ``RepoStore``, with fault switches (``.faults``) and a log of
every request it received (``.requests``) for tests to assert on.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ptmlock.mirror.faults import Faults
from ptmlock.mirror.routes import HubRequestHandler
from ptmlock.mirror.store import RepoStore

__all__ = ["HubHTTPServer", "LoggedRequest", "MirrorServer", "RequestLog", "serve"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """What a test may want to know about a request (never the token itself)."""

    method: str
    path: str  # as sent: percent-encoded, query included
    range: str | None
    authorized: bool  # an Authorization header was present
    download_counter: bool  # X-HF-Download-Counter was sent (hf_hub_download & co.)


class RequestLog:
    """Thread-safe, append-only record of the requests a server received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[LoggedRequest] = []

    def add(self, method: str, path: str, headers: Message) -> None:
        item = LoggedRequest(
            method=method,
            path=path,
            range=headers.get("Range"),
            authorized=headers.get("Authorization") is not None,
            download_counter=headers.get("X-HF-Download-Counter") is not None,
        )
        with self._lock:
            self._items.append(item)

    def matching(self, fragment: str = "", method: str | None = None) -> list[LoggedRequest]:
        """Requests whose path contains ``fragment`` (and with that method, if given)."""
        return [r for r in self if fragment in r.path and method in (None, r.method)]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __iter__(self) -> Iterator[LoggedRequest]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class HubHTTPServer(ThreadingHTTPServer):
    """The socket server; holds what handlers share and closes open connections on stop."""

    daemon_threads = True

    def __init__(
        self, store: RepoStore, address: tuple[str, int], url: str | None = None, **options: int
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.store = store
        self.faults = Faults()
        self.requests = RequestLog()
        self.page_size = options.get("page_size", 1000)
        self.small_page_size = options.get("small_page_size", 50)
        self._key = os.urandom(32)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, HubRequestHandler)
        self.public_url = (url or f"http://{self.authority}").rstrip("/")

    @property
    def authority(self) -> str:
        host, port = self.server_address[:2]
        host = str(host)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def sign(self, *parts: str) -> str:
        """Signature for CDN URLs: only URLs this server handed out are served."""
        return hmac.new(self._key, "\n".join(parts).encode(), hashlib.sha256).hexdigest()[:32]

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        """Hang up on keep-alive clients so their handler threads end."""
        with self._open_lock:
            open_now = list(self._open)
        for sock in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log instead of printing to stderr; a client hanging up is routine, not an error."""
        exc = sys.exc_info()[1]
        level = logging.DEBUG if isinstance(exc, ConnectionError | TimeoutError) else logging.ERROR
        logger.log(level, "error while answering %s", client_address, exc_info=True)


class MirrorServer:
    """A running mirror: ``with MirrorServer(root) as hub: ... hub.url ...``.

    ``root`` is a ``RepoStore`` or its directory. ``page_size``/``small_page_size`` are the tree
    page sizes without and with ``expand=true`` (1000 and 50 on the Hub); tests shrink them to
    exercise pagination.
    """

    def __init__(
        self,
        root: Path | RepoStore,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        page_size: int = 1000,
        small_page_size: int = 50,
        url: str | None = None,
    ) -> None:
        self.store = root if isinstance(root, RepoStore) else RepoStore(Path(root))
        self._httpd = HubHTTPServer(
            self.store, (host, port), url, page_size=page_size, small_page_size=small_page_size
        )
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()

    @property
    def url(self) -> str:
        """The address it names in redirects and page links (``url=``, else where it listens)."""
        return self._httpd.public_url

    @property
    def faults(self) -> Faults:
        return self._httpd.faults

    @property
    def requests(self) -> RequestLog:
        return self._httpd.requests

    def start(self) -> Self:
        """Serve in a daemon thread; returns at once."""
        self._serving.set()  # before the thread runs, so an immediate stop() still shuts it down
        self._thread = threading.Thread(
            target=self.serve_forever, daemon=True, name=f"ptmlock-mirror {self.url}"
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop`` is called from another (or Ctrl-C)."""
        self._serving.set()
        try:
            self._httpd.serve_forever(poll_interval=0.05)
        finally:
            self._serving.clear()
            self._httpd.server_close()

    def stop(self) -> None:
        """Stop accepting, hang up on open connections, release the port."""
        if self._serving.is_set():
            self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._httpd.close_open_connections()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    root: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    url: str | None = None,
    ready: Callable[[MirrorServer], None] | None = None,
) -> None:
    """Serve the repos under ``root`` until interrupted (``ptmlock serve DIR``).

    ``ready`` is called with the bound server (its ``url``, its ``store``) once it accepts
    connections, so the CLI can say where it listens; every request is logged at INFO.
    """
    server = MirrorServer(root, host, port, url=url)
    logger.info("serving %d repos from %s at %s", len(server.store.repos()), root, server.url)
    if ready is not None:
        ready(server)
    server.serve_forever()
