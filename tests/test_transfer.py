"""transfer.RawGet against real servers on 127.0.0.1: TLS trust, redirects, the token, proxies."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ptmlock import errors
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.install import install
from ptmlock.mirror import MirrorServer, RepoStore
from ptmlock.models import Lock, ModelRequest
from ptmlock.retry import RetryPolicy
from ptmlock.transfer import RawGet, status_error
from ptmlock.verify import verify
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo
from tests.proxy import ForwardProxy

BODY = b"weights " * 50_000


class _Handler(http.server.BaseHTTPRequestHandler):
    """``/file`` answers BODY; ``/hop?to=URL`` redirects; every request's headers are kept."""

    seen: list[dict[str, str]]

    def do_GET(self) -> None:
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        if self.path.startswith("/hop?to="):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/hop?to="))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        return None


Serve = Callable[..., tuple[http.server.HTTPServer, list[dict[str, str]]]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve(context=None)`` starts a server on 127.0.0.1 (HTTPS given an SSL context) and
    returns it with the headers of every request it gets; all stop when the test ends."""
    servers: list[http.server.HTTPServer] = []

    def start(
        context: ssl.SSLContext | None = None,
    ) -> tuple[http.server.HTTPServer, list[dict[str, str]]]:
        seen: list[dict[str, str]] = []
        handler = type("Handler", (_Handler,), {"seen": seen})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if context is not None:
            server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server, seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _read(url: str, headers: dict[str, str] | None = None) -> bytes:
    out = bytearray()
    view = memoryview(bytearray(65536))
    with RawGet(url, headers or {}, 0, status_error) as stream:
        while got := stream.readinto(view):
            out += view[:got]
    return bytes(out)


@pytest.fixture
def tls(tmp_path: Path, serve: Serve) -> tuple[str, Path]:
    """An HTTPS server with a self-signed certificate for 127.0.0.1, and that certificate."""
    openssl = shutil.which("openssl")
    assert openssl is not None, "the openssl command is needed for the TLS tests"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server, _ = serve(context)
    return f"https://127.0.0.1:{server.server_port}", cert


def test_tls_untrusted_certificate_is_a_clear_error_not_a_retry(
    tls: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = tls
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(errors.HubError) as info:
        _read(f"{url}/file")
    assert not isinstance(info.value, errors.TransientHubError)
    assert (
        "certificate" in str(info.value) and info.value.hint and "SSL_CERT_FILE" in info.value.hint
    )


def test_tls_trusts_what_ssl_cert_file_names(
    tls: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    assert _read(f"{url}/file") == BODY


def test_redirect_keeps_the_token_on_the_same_origin_and_drops_it_elsewhere(
    serve: Serve,
) -> None:
    hub, hub_seen = serve()
    cdn, cdn_seen = serve()
    hub_url = f"http://127.0.0.1:{hub.server_port}"
    cdn_url = f"http://127.0.0.1:{cdn.server_port}"
    auth = {"Authorization": "Bearer hf_secret"}
    assert _read(f"{hub_url}/hop?to={hub_url}/file", auth) == BODY
    assert [h.get("authorization") for h in hub_seen] == ["Bearer hf_secret"] * 2
    assert _read(f"{hub_url}/hop?to={cdn_url}/file", auth) == BODY
    assert cdn_seen and all("authorization" not in h for h in cdn_seen)
    assert all(h.get("accept-encoding") == "identity" for h in hub_seen + cdn_seen)


# -- proxies: http_proxy / https_proxy / no_proxy, as huggingface_hub's own client honours them --
def test_install_goes_through_http_proxy_and_never_resolves_the_hub(
    store: RepoStore, mirror: MirrorServer, hf_env: HfEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_transformers_repo(store, "org/tiny")
    model = HuggingFaceHub().resolve(ModelRequest(hub="huggingface", id="org/tiny"))
    # the hub has a name only the proxy knows: a direct connection would have to resolve it
    behind = HuggingFaceHub(endpoint="http://hub.example.invalid")
    port = urlsplit(mirror.url).port or 80
    with ForwardProxy({"hub.example.invalid": ("127.0.0.1", port)}) as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.delenv("no_proxy", raising=False)
        install(Lock(models=(model,)), hubs={"huggingface": behind})
    assert verify(Lock(models=(model,)), cache_dir=hf_env.cache, full=True).ok
    fetched = [line for line in proxy.seen if "/resolve/" in line]
    assert len(fetched) == len(model.files)
    assert all(line.startswith("GET http://hub.example.invalid/org/tiny/") for line in fetched)


@pytest.mark.parametrize("path", ["transfer", "metadata"])
def test_an_unreachable_proxy_is_named_as_the_proxy(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setenv("http_proxy", "http://user:secret@127.0.0.1:9")  # discard port: refused
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with pytest.raises(errors.HubUnreachableError) as info:
        if path == "transfer":
            _read("http://127.0.0.1:8/file")
        else:
            hub = HuggingFaceHub(endpoint="http://127.0.0.1:8", policy=RetryPolicy(attempts=1))
            hub.resolve(ModelRequest(hub="huggingface", id="org/m"))
    message = str(info.value)
    assert message.startswith("cannot reach the proxy 127.0.0.1:9 (for http://127.0.0.1:8")
    assert "secret" not in message


def test_https_goes_through_a_connect_tunnel(
    tls: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with ForwardProxy() as proxy:
        monkeypatch.setenv("https_proxy", proxy.url)
        monkeypatch.delenv("no_proxy", raising=False)
        assert _read(f"{url}/file") == BODY
    assert proxy.seen == [f"CONNECT {url.removeprefix('https://')}"]  # TLS end to end inside


def test_no_proxy_hosts_are_reached_directly(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    server, seen = serve()
    with ForwardProxy() as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        assert _read(f"http://127.0.0.1:{server.server_port}/file") == BODY
    assert proxy.seen == [] and len(seen) == 1


def test_proxy_credentials_come_from_the_proxy_url(
    tls: tuple[str, Path], serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.delenv("no_proxy", raising=False)
    server, seen = serve()
    plain = f"http://127.0.0.1:{server.server_port}/file"
    with ForwardProxy(credentials="ann:p@ss word") as proxy:
        address = proxy.url.removeprefix("http://")
        for variable in ("http_proxy", "https_proxy"):
            monkeypatch.setenv(variable, f"http://ann:p%40ss%20word@{address}")
        assert _read(plain) == BODY
        assert _read(f"{url}/file") == BODY
        assert "proxy-authorization" not in seen[0]  # the proxy's, not the server's
        for variable in ("http_proxy", "https_proxy"):
            monkeypatch.setenv(variable, proxy.url)  # no credentials: refused, not retried
        for target in (plain, f"{url}/file"):
            before = len(proxy.seen)
            with pytest.raises(errors.HubError) as info:
                _read(target)
            assert not isinstance(info.value, errors.TransientHubError)
            assert "407" in str(info.value) and "user:password@" in (info.value.hint or "")
            assert len(proxy.seen) == before + 1
