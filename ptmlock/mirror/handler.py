"""HTTP mechanics under the Hub routes: parsing, Hub-shaped responses, and the fault hooks.

``HubTransport`` turns a request into ``route(segments)`` (implemented in ``routes.py``) after
logging it and applying the request-level faults (latency, dropped connection, injected status);
its ``send_file`` applies the body-level ones (ignored Range, corruption, truncation, throttling).
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from ptmlock.limits import SERVE_BODY_BYTES
from ptmlock.mirror.faults import Fault, FaultKind
from ptmlock.mirror.transfer import BodyPlan, Unsatisfiable, byte_range, send_body

if TYPE_CHECKING:
    from pathlib import Path

    from ptmlock.mirror.server import HubHTTPServer

__all__ = ["HubTransport", "dump_json"]

logger = logging.getLogger(__name__)


def dump_json(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _header_safe(text: str) -> str:
    """``text`` fit for a header value: printable ASCII only (request data can hold CR/LF)."""
    return "".join(c if " " <= c <= "~" else "?" for c in text)


class HubTransport(BaseHTTPRequestHandler):
    """Parses one request, applies request-level faults, then calls ``route``."""

    protocol_version = "HTTP/1.1"
    server_version = "ptmlock-mirror"
    timeout = 120  # idle keep-alive connections are closed after this many seconds
    # headers and body go out in separate writes: with Nagle's algorithm the body of a small
    # file waits for the client's delayed ACK of the headers (40 ms a response on Linux)
    disable_nagle_algorithm = True
    server: HubHTTPServer
    query: dict[str, list[str]]
    target: str  # the request path as sent, percent-decoded, query included
    body: bytes
    too_large: bool  # the request's body is over SERVE_BODY_BYTES (and was not read)
    slow: Fault | None

    def route(self, segments: list[str]) -> None:
        """Answer the request; ``segments`` are the decoded parts of the path."""
        raise NotImplementedError

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        self.query = parse_qs(split.query, keep_blank_values=True)
        self.target = unquote(self.path)
        self.too_large = False
        self.body = self._read_body()
        self.server.requests.add(self.command, self.path, self.headers)
        if self.too_large:
            limit = SERVE_BODY_BYTES.value
            self.send_json(413, {"error": f"Request body larger than {limit} bytes"})
            return
        self.slow = self.fault("slow")
        if self.slow is not None and self.slow.latency:
            time.sleep(self.slow.latency)
        if self.fault("drop") is not None:
            self.hang_up()
            return
        status = self.fault("status")
        try:
            if status is not None:
                self._fault_status(status)
            else:
                self.route([unquote(s) for s in split.path.split("/")[1:]])
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # a bug: answer 500 (if still possible) and say where
            logger.exception("mirror failed on %s %s", self.command, self.path)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.send_json(500, {"error": "Internal error in ptmlock mirror"})

    def _read_body(self) -> bytes:
        """The request body, when there is one and it is within ``SERVE_BODY_BYTES``; a larger
        one is not read (the route answers 413 and the connection closes)."""
        length = self.headers.get("Content-Length", "")
        size = int(length) if length.isdigit() else 0
        if size > SERVE_BODY_BYTES.value:
            self.close_connection = True
            self.too_large = True
            return b""
        return self.rfile.read(size) if size > 0 else b""

    def fault(self, kind: FaultKind) -> Fault | None:
        return self.server.faults.take(kind, self.target, self.command)

    def _fault_status(self, fault: Fault) -> None:
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        message = f"Injected fault: HTTP {fault.status}"
        self.send_json(fault.status, {"error": message}, headers)

    def hang_up(self) -> None:
        """Close the connection at once, mid-exchange (a dropped or cut connection)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # -- responses ------------------------------------------------------------------------
    @property
    def token(self) -> str | None:
        value = self.headers.get("Authorization", "")
        return (
            value.removeprefix("Bearer ").strip() or None if value.startswith("Bearer ") else None
        )

    @property
    def base_url(self) -> str:
        """The server's own address (``serve --url``), never the client's ``Host`` header: a
        redirect must not send a client, or its token, wherever a request said."""
        return self.server.public_url

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = dump_json(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def hub_error(
        self, status: int, code: str | None, message: str, headers: dict[str, str] | None = None
    ) -> None:
        """An error the way the Hub sends it: ``X-Error-Code``/``X-Error-Message`` + JSON body."""
        extra = {"X-Error-Message": _header_safe(message), **(headers or {})}
        if code:
            extra["X-Error-Code"] = code
        self.send_json(status, {"error": message}, extra)

    def redirect(self, status: int, location: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def send_file(self, blob: Path, headers: dict[str, str]) -> None:
        """A file body honouring ``Range`` and the body faults; HEAD gets the headers only."""
        size = blob.stat().st_size
        wanted = self.headers.get("Range")
        if wanted and self.fault("ignore_range") is not None:
            wanted = None
        try:
            span = byte_range(wanted, size)
        except Unsatisfiable:
            self.hub_error(416, None, f"Requested range not satisfiable: {wanted}",
                           {"Content-Range": f"bytes */{size}"})  # fmt: skip
            return
        start, end = span if span is not None else (0, size - 1)
        self.send_response(206 if span is not None else 200)
        headers = dict(headers)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/octet-stream"))
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        if span is not None:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "GET":
            self._send_planned(blob, start, end - start + 1)

    def _send_planned(self, blob: Path, offset: int, length: int) -> None:
        truncate = self.fault("truncate")
        plan = BodyPlan(
            offset=offset,
            length=length,
            corrupt=self.fault("corrupt") is not None,
            cut_after=truncate.after_bytes if truncate is not None else None,
            bytes_per_second=self.slow.bytes_per_second if self.slow is not None else None,
        )
        with blob.open("rb") as f:
            send_body(self.connection, f, plan)
        if truncate is not None:
            self.hang_up()

    def cdn_url(self, repo_id: str, commit: str, path: str, sha256: str) -> str:
        """A signed, same-origin CDN-like URL for an LFS blob (names the file in its query)."""
        sig = self.server.sign(sha256, repo_id, commit, path)
        query = f"repo={quote(repo_id)}&commit={commit}&path={quote(path)}&sig={sig}"
        return f"{self.base_url}/cdn/{sha256}?{query}"

    # -- logging --------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)
