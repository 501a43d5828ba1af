"""Registry authentication: the distribution spec's token flow and basic auth, as an httpx Auth.

A request goes out with the grant already held for its repository, if any. A ``401`` names
what the registry wants in ``WWW-Authenticate``: ``Basic realm=...`` (send the credentials) or
``Bearer realm=...,service=...,scope=...`` (ask the realm for a token, with the credentials
when there are any, anonymously otherwise, then send the token). Grants are kept per
repository and a token is renewed shortly before its ``expires_in`` runs out, so the blob
downloads that go around httpx (transfer.RawGet) can take a valid header from ``header()``.
A request whose body can't be sent twice (an upload chunk) is not replayed: its 401 reaches the
caller, which retries it with the new grant.
"""

from __future__ import annotations

import base64
import re
import ssl
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass

import httpx2

from ptmlock.errors import TransientHubError
from ptmlock.retry import TRANSIENT_STATUS, retry_after
from ptmlock.sources.interface import SourceAuthError
from ptmlock.sources.oci_credentials import Credentials

__all__ = ["RegistryAuth", "parse_challenge"]

DEFAULT_EXPIRY = 60.0  # seconds a token lives when the realm doesn't say (the spec's default)
RENEW_BEFORE = 15.0  # renew a token this long before it expires
_REPO_PATH = re.compile(r"^/v2/(.+?)/(?:blobs|manifests|tags)/")
_PARAM = re.compile(r'(\w+)="([^"]*)"')


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="r",service="s"`` -> ("bearer", {"realm": "r", "service": "s"})."""
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(_PARAM.findall(rest))


@dataclass(frozen=True, slots=True)
class _Grant:
    header: str  # the Authorization value
    expires: float | None  # time.monotonic() after which it must be renewed; None: never
    challenge: dict[str, str] | None  # the Bearer parameters, to renew the token


class RegistryAuth(httpx2.Auth):
    """Answers a registry's challenges for one host; thread-safe."""

    def __init__(
        self, host: str, credentials: Credentials | None, *, verify: ssl.SSLContext, timeout: float
    ) -> None:
        self.host, self._credentials = host, credentials
        self._verify, self._timeout = verify, timeout
        self._grants: dict[str, _Grant] = {}  # repository ("*" for basic: every one) -> grant
        self._lock = threading.Lock()
        self._renewing = threading.Lock()

    def header(self, repository: str) -> str | None:
        """A valid Authorization value for ``repository``, renewing an expiring token (once:
        threads that find it expired meanwhile wait and take the new one)."""
        grant = self._held(repository)
        if grant is not None and _expired(grant):
            with self._renewing:
                grant = self._held(repository)
                if grant is not None and _expired(grant) and grant.challenge:
                    grant = self._token(grant.challenge)
                    self._keep(repository, grant)
        return grant.header if grant else None

    def _held(self, repository: str) -> _Grant | None:
        with self._lock:
            return self._grants.get(repository) or self._grants.get("*")

    def forget(self, repository: str) -> None:
        with self._lock:
            self._grants.pop(repository, None)

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        match = _REPO_PATH.match(request.url.path)
        repository = match.group(1) if match else ""
        held = self.header(repository)
        if held:
            request.headers["Authorization"] = held
        response = yield request
        if response.status_code != 401:
            return
        grant = self._answer(response.headers.get("WWW-Authenticate", ""))
        self._keep(repository, grant)
        if not isinstance(request.stream, httpx2.ByteStream):
            return  # a streamed body can't be sent again: the caller retries with the grant
        request.headers["Authorization"] = grant.header
        response = yield request
        if response.status_code == 401:
            self.forget(repository)
            raise self._refused()

    def _keep(self, repository: str, grant: _Grant) -> None:
        with self._lock:
            self._grants["*" if grant.challenge is None else repository] = grant

    def _answer(self, challenge: str) -> _Grant:
        scheme, params = parse_challenge(challenge)
        if scheme == "bearer" and params.get("realm"):
            return self._token(params)
        if scheme == "basic" and self._credentials is not None:
            return _Grant(_basic(self._credentials), None, None)
        raise self._refused()

    def _token(self, params: dict[str, str]) -> _Grant:
        """Ask the realm for a token covering ``params``' service and scopes."""
        query: list[tuple[str, str | int | float | bool | None]] = [
            ("service", params.get("service", ""))
        ]
        query += [("scope", scope) for scope in params.get("scope", "").split() if scope]
        if self._credentials is not None:
            query.append(("account", self._credentials.username))
        auth = (
            (self._credentials.username, self._credentials.password) if self._credentials else None
        )
        try:
            with httpx2.Client(verify=self._verify, timeout=self._timeout) as client:
                answer = client.get(params["realm"], params=query, auth=auth)
        except httpx2.HTTPError as exc:
            raise TransientHubError(f"{self.host}: token service: {type(exc).__name__}") from None
        if answer.status_code in TRANSIENT_STATUS:
            raise TransientHubError(
                f"{self.host}: token service: HTTP {answer.status_code}",
                retry_after=retry_after(answer.headers),
            )
        if answer.status_code in (401, 403):
            raise self._refused()
        try:
            body = answer.json()
            token = body.get("token") or body["access_token"]
            lifetime = float(body.get("expires_in") or DEFAULT_EXPIRY)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise SourceAuthError(
                f"{self.host}: the token service answered HTTP {answer.status_code} with no token"
            ) from None
        expires = time.monotonic() + max(lifetime - RENEW_BEFORE, 1.0)
        return _Grant(f"Bearer {token}", expires, dict(params))

    def _refused(self) -> SourceAuthError:
        if self._credentials is None:
            return SourceAuthError(
                f"{self.host} asks for credentials and none are configured",
                hint=f"log in with `docker login {self.host}` (ptmlock reads "
                "$DOCKER_CONFIG/config.json, default ~/.docker/config.json)",
            )
        return SourceAuthError(
            f"{self.host} refused the configured credentials",
            hint=f"log in again with `docker login {self.host}`, or check the account's access",
        )


def _expired(grant: _Grant) -> bool:
    return grant.expires is not None and time.monotonic() > grant.expires


def _basic(credentials: Credentials) -> str:
    pair = f"{credentials.username}:{credentials.password}".encode()
    return f"Basic {base64.b64encode(pair).decode()}"
