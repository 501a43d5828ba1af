"""A real OCI registry for the tests: Debian's ``docker-registry`` (CNCF distribution 2.8) on
127.0.0.1, with its storage in a temporary folder, open, behind htpasswd (basic auth), or behind
a token service (``TokenServer``: the distribution token flow, RS256 JWTs carrying an ``x5c``
certificate the registry trusts). ``.ci/setup`` installs the package.
"""

from __future__ import annotations

import base64
import datetime
import http.server
import json
import secrets
import shutil
import socket
import socketserver
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import bcrypt
import jwt
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.quiet import QuietHTTPServer

__all__ = ["InThread", "RegistryServer", "TokenServer", "docker_config", "free_port"]

BINARY = "docker-registry"
USER, PASSWORD = "ci-bot", "s3cret-pa55word"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class InThread:
    """A ``socketserver`` server (``self._server``) serving from a daemon thread inside
    ``with``; shut down and closed at the end."""

    _server: socketserver.BaseServer

    def __enter__(self) -> Self:
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


class TokenServer(InThread):
    """The registry's token realm: Basic credentials in, a signed JWT granting what was asked
    out. ``lifetime`` is the token's ``expires_in``; ``issued`` counts tokens handed out."""

    SERVICE, ISSUER = "ptmlock-test-registry", "ptmlock-test-issuer"

    def __init__(self, folder: Path, *, lifetime: int = 300) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ptmlock test token issuer")])
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        self.cert_file = folder / "token-cert.pem"
        self.cert_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.lifetime, self.issued = lifetime, 0
        self._server = QuietHTTPServer(("127.0.0.1", 0), self._handler())
        self.realm = f"http://127.0.0.1:{self._server.server_port}/token"

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                pair = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {pair}":
                    self._answer(401, {"errors": [{"code": "UNAUTHORIZED"}]})
                    return
                query = parse_qs(urlsplit(self.path).query)
                self._answer(200, owner.token(query.get("scope", []), USER))

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return None

        return Handler

    def token(self, scopes: list[str], subject: str) -> dict[str, Any]:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.ISSUER,
            "sub": subject,
            "aud": self.SERVICE,
            "access": access,
        }
        claims |= {"iat": now, "nbf": now - 10, "exp": now + self.lifetime}
        claims["jti"] = secrets.token_hex(8)
        der = self.cert.public_bytes(serialization.Encoding.DER)
        header = {"x5c": [base64.b64encode(der).decode()]}
        self.issued += 1
        signed = jwt.encode(claims, self.key, algorithm="RS256", headers=header)
        return {"token": signed, "expires_in": self.lifetime}


class RegistryServer:
    """``docker-registry serve`` on a free loopback port; ``auth`` is None (open), "basic"
    (htpasswd with USER/PASSWORD) or a TokenServer."""

    def __init__(
        self, folder: Path, auth: str | TokenServer | None = None, *, tls: bool = False
    ) -> None:
        binary = shutil.which(BINARY)
        if binary is None:
            raise RuntimeError(f"{BINARY} is not installed: run .ci/setup (apt docker-registry)")
        self.folder, self.port = folder, free_port()
        self.host = f"127.0.0.1:{self.port}"
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(folder / "storage")},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {"addr": self.host, "secret": secrets.token_hex(16)},
        }
        if auth == "basic":
            hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
            (folder / "htpasswd").write_text(f"{USER}:{hashed}\n")
            config["auth"] = {
                "htpasswd": {"realm": "ptmlock-test", "path": str(folder / "htpasswd")}
            }
        elif isinstance(auth, TokenServer):
            config["auth"] = {
                "token": {
                    "realm": auth.realm,
                    "service": auth.SERVICE,
                    "issuer": auth.ISSUER,
                    "rootcertbundle": str(auth.cert_file),
                }
            }
        folder.mkdir(parents=True, exist_ok=True)
        self.ca_file: Path | None = None
        if tls:  # a self-signed certificate for 127.0.0.1, trusted only through SSL_CERT_FILE
            self.ca_file, key_file = _self_signed(folder)
            config["http"]["tls"] = {"certificate": str(self.ca_file), "key": str(key_file)}
        (folder / "config.yml").write_text(yaml.safe_dump(config))
        self._log = (folder / "registry.log").open("wb")
        self._process = subprocess.Popen(
            [binary, "serve", str(folder / "config.yml")], stdout=self._log, stderr=self._log
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self.folder / "registry.log").read_text(errors="replace")
                raise RuntimeError(f"{BINARY} exited: {log[-2000:]}")
            try:
                if self.ca_file is not None:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return  # 401: up, and asking for credentials
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{BINARY} did not answer on {self.host} within 20 s")

    def url(self, namespace: str) -> str:
        return f"oci://{self.host}/{namespace}"

    @property
    def pid(self) -> int:
        return self._process.pid

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    import ipaddress

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "tls-cert.pem", folder / "tls-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def docker_config(folder: Path, host: str, user: str = USER, password: str = PASSWORD) -> Path:
    """A ``config.json`` as ``docker login host`` writes it, in ``folder`` (for DOCKER_CONFIG)."""
    folder.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (folder / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return folder
