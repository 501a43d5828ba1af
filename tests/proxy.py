"""A forward HTTP proxy on 127.0.0.1 for tests: plain requests in absolute-URI form, and
``CONNECT`` tunnels for HTTPS. It records every request line it carries (``seen``) and sends
host names through its own table (``hosts``), so a client behind it never resolves them: the
tests' loopback guard would fail the test if it tried. Given ``credentials`` ("user:password"),
it answers 407 to any request without them in ``Proxy-Authorization`` (Basic), as a company
proxy does.
"""

from __future__ import annotations

import base64
import http.client
import http.server
import selectors
import socket
import threading
from types import TracebackType
from urllib.parse import urlsplit

from tests.quiet import QuietHTTPServer

__all__ = ["ForwardProxy"]

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te"}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _refused(self) -> bool:
        """Answer 407 unless the request carries the proxy's credentials (if it has any)."""
        expected = self.server.credentials
        if expected is None:
            return False
        given = self.headers.get("Proxy-Authorization", "")
        if given == f"Basic {base64.b64encode(expected.encode()).decode()}":
            return False
        self.send_response(407)
        self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

    def do_GET(self) -> None:
        self.server.seen.append(f"GET {self.path}")
        if self._refused():
            return
        parts = urlsplit(self.path)
        upstream = http.client.HTTPConnection(*self.server.route(parts.hostname, parts.port or 80))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream.request(
            "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers
        )
        answer = upstream.getresponse()
        body = answer.read()
        upstream.close()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in _HOP_BY_HOP | {"content-length", "transfer-encoding"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_CONNECT(self) -> None:
        self.server.seen.append(f"CONNECT {self.path}")
        if self._refused():
            self.close_connection = True
            return
        host, _, port = self.path.rpartition(":")
        upstream = socket.create_connection(self.server.route(host, int(port)))
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        with upstream, selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ, upstream)
            selector.register(upstream, selectors.EVENT_READ, self.connection)
            while True:
                for key, _ in selector.select(timeout=10):
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        self.close_connection = True
                        return
                    key.data.sendall(data)

    def log_message(self, format: str, *args: object) -> None:
        return None


class _Server(QuietHTTPServer):
    def __init__(self, hosts: dict[str, tuple[str, int]], credentials: str | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hosts, self.credentials = hosts, credentials
        self.seen: list[str] = []

    def route(self, host: str | None, port: int) -> tuple[str, int]:
        return self.hosts.get(host or "", (host or "", port))


class ForwardProxy:
    """``with ForwardProxy({"hub.example": ("127.0.0.1", 8080)}) as proxy: ... proxy.url``."""

    def __init__(
        self, hosts: dict[str, tuple[str, int]] | None = None, credentials: str | None = None
    ) -> None:
        self._server = _Server(hosts or {}, credentials)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.seen = self._server.seen

    def __enter__(self) -> ForwardProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
