"""A reverse proxy in front of the test registry that misbehaves on demand, the way a real
network or a broken registry does: blob bodies cut part way, flipped bytes, error statuses (for
downloads and for upload chunks), stalls. ``oci://127.0.0.1:<port>/ns`` through it reaches the
real registry (the Host header passes through, so upload locations point back at the proxy).
"""

from __future__ import annotations

import http.client
import http.server
import socket
import time
from dataclasses import dataclass, field

from tests.quiet import QuietHTTPServer
from tests.sources.registry import InThread

__all__ = ["FaultProxy", "Faults"]

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass
class Faults:
    cut_after: int | None = None  # send this many bytes of the next ``cuts`` longer bodies
    cuts: int = 0
    flip: bool = False  # change one byte of every blob body
    statuses: list[int] = field(default_factory=list)  # answer the next blob GETs with these
    stall: float = 0.0  # seconds before answering the next ``stalls`` blob GETs
    stalls: int = 0
    patch_statuses: list[int] = field(
        default_factory=list
    )  # the next upload chunks get these (0: pass)
    always: int = 0  # answer every request with this status (a registry failing for good)
    seen: list[str] = field(default_factory=list)  # "GET /v2/... [Range]" for each request


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_HEAD(self) -> None:
        self._forward(body=False)

    def do_GET(self) -> None:
        self._forward(body=True)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _forward(self, *, body: bool) -> None:
        faults = self.server.faults
        faults.seen.append(f"{self.command} {self.path} {self.headers.get('Range', '')}".strip())
        blob = self.command == "GET" and "/blobs/sha256:" in self.path
        if faults.always:
            self._status(faults.always)
            return
        if blob and faults.statuses:
            self._status(faults.statuses.pop(0))
            return
        if blob and faults.stalls:
            faults.stalls -= 1
            time.sleep(faults.stall)
        sent = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.command == "PATCH" and faults.patch_statuses:
            status = faults.patch_statuses.pop(0)
            if status:  # the chunk is dropped on the floor (0: pass it on)
                self._status(status)
                return
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        if sent or self.command in ("PUT", "PATCH", "POST"):
            headers["Content-Length"] = str(len(sent))
        upstream.request(self.command, self.path, body=sent, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        if blob and faults.flip and data:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in _HOP:
                self.send_header(name, value)
        length = answer.getheader("Content-Length", str(len(data)))
        self.send_header("Content-Length", length)
        self.end_headers()
        if not body or self.command == "HEAD":
            return
        if blob and faults.cuts and faults.cut_after is not None and len(data) > faults.cut_after:
            faults.cuts -= 1
            self.wfile.write(data[: faults.cut_after])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)  # the connection drops mid-body
            self.close_connection = True
            return
        self.wfile.write(data)

    def _status(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Retry-After", "0")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


class _Server(QuietHTTPServer):
    def __init__(self, upstream: tuple[str, int]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream, self.faults = upstream, Faults()


class FaultProxy(InThread):
    """``with FaultProxy("127.0.0.1:5000") as proxy: proxy.faults.flip = True; proxy.host``."""

    def __init__(self, upstream: str) -> None:
        name, _, port = upstream.rpartition(":")
        self._server = _Server((name, int(port)))
        self.host = f"127.0.0.1:{self._server.server_port}"
        self.faults = self._server.faults

    def url(self, namespace: str) -> str:
        return f"oci://{self.host}/{namespace}"
