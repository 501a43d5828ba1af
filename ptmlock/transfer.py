"""Bulk file bodies over HTTP, read straight into the caller's buffer (no per-chunk copies).

Why not httpx/httpx2 here: their bodies arrive in 64 KiB pieces through three layers of Python
(httpx, httpcore, h11), each copied twice under the GIL; bench/ measured ~1.4 s of CPU per GB
before any hashing, which made a verified install slower than huggingface_hub's unverified one.
The standard library's ``http.client`` reads the socket into a caller-owned buffer
(``readinto``), so one 1 MiB buffer per worker serves a whole file. Metadata requests still go
through huggingface_hub; this module only moves file bytes.

It follows redirects itself (only to http(s) URLs, dropping every credential header, whatever
its case, when the scheme, host or port changes, as huggingface_hub and httpx do), honours
``http_proxy``/``https_proxy``/``no_proxy`` (credentials as ``http://user:password@host:port``;
HTTPS through a ``CONNECT`` tunnel), keeps one connection per origin per thread alive between
files, hangs up on a server whose response head or next
buffer takes longer than ``limits.STALL_SECONDS`` (``stall.py``), and turns every failure into a
ptmlock error through ``fail``.
"""

from __future__ import annotations

import base64
import functools
import http.client
import os
import re
import socket
import ssl
import threading
import urllib.request
from collections.abc import Callable, Mapping
from types import TracebackType
from urllib.parse import unquote, urljoin, urlsplit

from httpcore2 import default_ssl_context

from ptmlock import __version__, errors
from ptmlock.hubs.interface import OpenFile
from ptmlock.limits import STALL_SECONDS
from ptmlock.retry import TRANSIENT_STATUS, retry_after
from ptmlock.stall import guarded

__all__ = [
    "CREDENTIAL_HEADERS",
    "USER_AGENT",
    "Failure",
    "RawGet",
    "proxy_for",
    "same_origin",
    "status_error",
]

USER_AGENT = f"ptmlock/{__version__}"
MAX_REDIRECTS = 10
TIMEOUT = 30.0
# (status, headers, url) -> the ptmlock error for a failed response; each hub knows its errors
Failure = Callable[[int, Mapping[str, str], str], errors.PtmlockError]
_REDIRECTS = {301, 302, 303, 307, 308}
# never sent to another origin than the one they were given for (compared lower-cased)
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_local = threading.local()


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _exact_origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port as a browser compares them (case and default port folded)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: an origin of its own
        port = -1
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def same_origin(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` share scheme, host and port (``localhost`` is not 127.0.0.1)."""
    return _exact_origin(a) == _exact_origin(b)


def _without_credentials(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}


# A kept-alive connection, and for a plain-HTTP proxy the headers its requests add (they then
# name the absolute URL); None for a direct connection or a CONNECT tunnel.
_Entry = tuple[http.client.HTTPConnection, dict[str, str] | None]


class _Pool(dict[tuple[str, str, str], _Entry]):
    """One thread's kept-alive connections by origin and proxy; closed when the thread's
    locals go."""

    def __del__(self) -> None:
        for connection, _ in self.values():
            connection.close()


def _pool() -> _Pool:
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = _Pool()
    return pool


def _connect(url: str) -> _Entry:
    """This thread's kept-alive connection to ``url``'s origin (and its proxy headers)."""
    pool = _pool()
    key = _key(url)
    if key not in pool:
        pool[key] = _new_connection(url, key[2])
    return pool[key]


def _key(url: str) -> tuple[str, str, str]:
    """Origin and the proxy that reaches it ("" for none), read from the environment now."""
    scheme, netloc = _origin(url)
    proxy = urllib.request.getproxies().get(scheme, "")
    if proxy and urllib.request.proxy_bypass(urlsplit(url).hostname or ""):
        proxy = ""
    return scheme, netloc, proxy


def _ssl_context() -> ssl.SSLContext:
    """What huggingface_hub's own stack trusts; built once per CA setting (building one reads
    the CA bundle: ~50 ms, which plain-HTTP connections must not pay)."""
    return _context_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _context_for(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return default_ssl_context()  # reads the same two variables


def _new_connection(url: str, proxy: str) -> _Entry:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port
    if proxy:
        via = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        auth = _proxy_authorization(via.username, via.password)
        if parts.scheme == "https":  # CONNECT tunnel through the proxy, TLS end to end
            tunnel = http.client.HTTPSConnection(
                via.hostname or "", via.port, timeout=TIMEOUT, context=_ssl_context()
            )
            tunnel.set_tunnel(host, port, headers=auth)
            return tunnel, None
        return http.client.HTTPConnection(via.hostname or "", via.port, timeout=TIMEOUT), auth
    if parts.scheme == "https":
        context = _ssl_context()
        return http.client.HTTPSConnection(host, port, timeout=TIMEOUT, context=context), None
    return http.client.HTTPConnection(host, port, timeout=TIMEOUT), None


def _proxy_authorization(user: str | None, password: str | None) -> dict[str, str]:
    """Basic credentials from a proxy URL's ``user:password@`` (percent-decoded), if any."""
    if not user:
        return {}
    pair = f"{unquote(user)}:{unquote(password or '')}".encode()
    return {"Proxy-Authorization": f"Basic {base64.b64encode(pair).decode()}"}


def proxy_for(url: str) -> str | None:
    """``host:port`` of the proxy the environment routes ``url`` through (no credentials)."""
    proxy = _key(url)[2]
    if not proxy:
        return None
    via = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    return f"{via.hostname}:{via.port}" if via.port else str(via.hostname)


def _drop(url: str) -> None:
    entry = _pool().pop(_key(url), None)
    if entry is not None:
        entry[0].close()


class RawGet(OpenFile):
    """``GET url`` from byte ``offset``; read the body with ``readinto``."""

    def __init__(self, url: str, headers: Mapping[str, str], offset: int, fail: Failure) -> None:
        self._url, self._headers, self._fail = url, dict(headers), fail
        self._headers["Accept-Encoding"] = "identity"  # byte offsets must be file offsets
        if offset:
            self._headers["Range"] = f"bytes={offset}-"
        self._response: http.client.HTTPResponse | None = None
        self._sock: socket.socket | None = None
        self._stall = float(STALL_SECONDS.value)
        self.offset = 0

    def __enter__(self) -> RawGet:
        url, headers = self._url, dict(self._headers)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._request(url, headers)
            if response.status not in _REDIRECTS:
                break
            target = urljoin(url, response.getheader("Location", ""))
            self._finish(url, response)
            if urlsplit(target).scheme.lower() not in _DEFAULT_PORTS:
                raise errors.HubError(f"{url}: redirected to a non-HTTP URL {target[:100]!r}")
            if not same_origin(target, url):
                headers = _without_credentials(headers)  # never hand a token to another origin
            url = target
        else:
            raise errors.HubError(f"{self._url}: more than {MAX_REDIRECTS} redirects")
        if response.status >= 400:
            self._finish(url, response)
            if response.status == 407:
                raise _proxy_refused(url)
            raise self._fail(response.status, dict(response.getheaders()), url)
        self._response, self._final_url = response, url
        if response.status == 206:
            match = re.match(r"bytes (\d+)-", response.getheader("Content-Range", ""))
            self.offset = int(match.group(1)) if match else 0
        return self

    def _request(self, url: str, headers: dict[str, str]) -> http.client.HTTPResponse:
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):  # a kept-alive connection the server closed: retry on a new one
            connection, proxy_headers = _connect(url)
            target, sent = (
                (path, headers) if proxy_headers is None else (url, headers | proxy_headers)
            )
            try:
                connection.request("GET", target, headers=sent)
                self._sock = connection.sock
                response: http.client.HTTPResponse | None = None
                with guarded(self._sock, self._stall) as guard:
                    try:
                        response = connection.getresponse()
                    except (OSError, http.client.HTTPException):
                        if not guard.fired:
                            raise
                if response is not None and not guard.fired:  # (cut off, a head can look whole)
                    return response
                if response is not None:
                    response.close()
                _drop(url)
                raise self._stalled(url, "its response")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                _drop(url)
                if attempt == 2:
                    raise errors.TransientHubError(f"{url}: connection closed") from None
            except (OSError, http.client.HTTPException) as exc:
                _drop(url)
                raise _transport_error(url, exc) from None
        raise AssertionError("unreachable")

    def _finish(self, url: str, response: http.client.HTTPResponse) -> None:
        """Drain a small body (redirect, error) so the connection can be reused."""
        try:
            response.read(1 << 16)
        except (OSError, http.client.HTTPException):
            _drop(url)
        if response.will_close or not response.isclosed():
            _drop(url)

    def header(self, name: str) -> str | None:
        """A header of the final response (after ``__enter__``)."""
        assert self._response is not None, "use open_file(...) in a with block"
        value: str | None = self._response.getheader(name)
        return value

    @property
    def final_url(self) -> str:
        """The URL the redirects ended at (after ``__enter__``)."""
        return self._final_url

    def readinto(self, buffer: memoryview) -> int:
        assert self._response is not None, "use open_file(...) in a with block"
        with guarded(self._sock, self._stall) as guard:
            try:
                got = self._response.readinto(buffer)
            except (OSError, http.client.HTTPException) as exc:
                _drop(self._final_url)
                if guard.fired:
                    self._response.close()
                    raise self._stalled(self._final_url, "the next bytes") from None
                raise _transport_error(self._final_url, exc) from None
        if guard.fired:
            self._response.close()
            _drop(self._final_url)
            raise self._stalled(self._final_url, "the next bytes")
        return got

    def _stalled(self, url: str, what: str) -> errors.TransientHubError:
        return errors.TransientHubError(
            f"{url}: {what} did not arrive within {self._stall:g} s (a stalled or too slow server)",
            hint=f"raise {STALL_SECONDS.env} for a very slow link",
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        response = self._response
        if response is None:
            return
        if exc_type is not None or not response.isclosed() or response.will_close:
            _drop(self._final_url)  # a body left unread can't share the connection


def status_error(status: int, headers: Mapping[str, str], what: str) -> errors.PtmlockError:
    """The ptmlock error for an HTTP error status from a server with no error vocabulary."""
    if status in TRANSIENT_STATUS:
        return errors.TransientHubError(f"{what}: HTTP {status}", retry_after=retry_after(headers))
    if status == 404:
        return errors.EntryNotFoundError(f"{what}: not found (HTTP 404)")
    if status in (401, 403):
        return errors.GatedModelError(f"{what}: access denied (HTTP {status})")
    return errors.HubError(f"{what}: HTTP {status}")


def _proxy_refused(url: str) -> errors.PtmlockError:
    return errors.HubError(
        f"{'://'.join(_origin(url))}: the proxy refused the request (HTTP 407)",
        hint="put the proxy's credentials in its URL: https_proxy=http://user:password@host:port",
    )


def _transport_error(url: str, exc: BaseException) -> errors.PtmlockError:
    if isinstance(exc, ssl.SSLCertVerificationError):  # retrying won't change the certificate
        origin = "://".join(_origin(url))
        return errors.HubError(
            f"{origin}: TLS certificate not trusted ({exc.verify_message})",
            hint="set SSL_CERT_FILE (or SSL_CERT_DIR) to the CA bundle that signed it",
        )
    if isinstance(exc, ConnectionRefusedError | socket.gaierror):
        origin = "://".join(_origin(url))
        proxy = proxy_for(url)
        if proxy is not None:  # the proxy is what did not answer, not the hub behind it
            return errors.HubUnreachableError(
                f"cannot reach the proxy {proxy} (for {origin})",
                hint="check https_proxy / http_proxy (or add the host to no_proxy)",
            )
        return errors.HubUnreachableError(f"cannot reach {origin}", hint="check the network")
    if isinstance(exc, OSError) and str(exc).startswith("Tunnel connection failed: 407"):
        return _proxy_refused(url)  # http.client's words for a refused CONNECT
    if isinstance(exc, http.client.IncompleteRead):
        return errors.TransientHubError(f"{url}: body cut short")
    return errors.TransientHubError(f"{url}: {type(exc).__name__}: {exc}")
