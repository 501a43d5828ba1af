"""A small client of the OCI distribution API: manifests, blob HEAD, mounts, chunked uploads.

Why not the ``oras`` SDK: it reads and writes whole files into folders of its own choosing,
hashes everything again, and knows neither our cache layouts nor our retry policy; what ptmlock
needs is a dozen requests, so they are written here (the tests read everything back with oras,
an independent client). Metadata and uploads go through httpx (as huggingface_hub does; its
Auth hook carries the token flow, oci_auth.py); blob *downloads* go through transfer.RawGet like
every other file body, with the grant ``auth.header()`` holds.

Every request is retried on 429/5xx and dropped connections (retry.py). A chunk of an upload
that failed is resumed from the offset the registry reports for the upload session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx2
from httpcore2 import default_ssl_context

from ptmlock import errors
from ptmlock.retry import (
    DEFAULT_POLICY,
    TRANSIENT_STATUS,
    RetryPolicy,
    call_with_retries,
    retry_after,
)
from ptmlock.sources.interface import SourceAuthError, SourceError
from ptmlock.sources.oci_auth import RegistryAuth
from ptmlock.sources.oci_credentials import find_credentials
from ptmlock.sources.oci_names import OciLocation
from ptmlock.transfer import USER_AGENT

__all__ = ["MANIFEST_MEDIA_TYPE", "Registry", "named"]

log = logging.getLogger(__name__)
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CHUNK = 64 * 1024 * 1024  # bytes per PATCH of a chunked upload
PIECE = 1024 * 1024  # bytes read from disk at a time while sending
TIMEOUT = 30.0
OnBytes = Callable[[int], None]


@dataclass(slots=True)
class _Upload:
    location: str  # the upload session's URL, as the registry last named it
    offset: int = 0  # bytes the registry holds
    unsure: bool = False  # a send failed: ask the registry how far it got


class Registry:
    """One registry host; thread-safe (httpx pools connections; RegistryAuth locks grants)."""

    def __init__(
        self,
        location: OciLocation,
        *,
        insecure: bool = False,
        timeout: float = TIMEOUT,
        policy: RetryPolicy = DEFAULT_POLICY,
        chunk_size: int = CHUNK,
    ) -> None:
        self.location, self.policy, self.chunk_size = location, policy, chunk_size
        self.base = f"{'http' if insecure else 'https'}://{location.host}"
        context = default_ssl_context()  # the system store, or SSL_CERT_FILE / SSL_CERT_DIR
        self.auth = RegistryAuth(
            location.host, find_credentials(location.host), verify=context, timeout=timeout
        )
        self._client = httpx2.Client(
            base_url=self.base,
            auth=self.auth,
            verify=context,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,  # httpx drops Authorization when the origin changes
        )

    def close(self) -> None:
        self._client.close()

    # -- reading ---------------------------------------------------------------------------
    def get_manifest(self, repository: str, reference: str, *, retry: bool = True) -> bytes | None:
        """The manifest bytes under a tag or digest; None when the registry has none."""
        response = self._send(
            "GET",
            f"/v2/{repository}/manifests/{reference}",
            f"{repository}:{reference}",
            ok=(200, 404),
            headers={"Accept": MANIFEST_MEDIA_TYPE},
            retry=retry,
        )
        return None if response.status_code == 404 else response.content

    def blob_url(self, repository: str, digest: str) -> str:
        return f"{self.base}/v2/{repository}/blobs/{digest}"

    def has_blob(self, repository: str, digest: str) -> bool:
        path = f"/v2/{repository}/blobs/{digest}"
        return self._send("HEAD", path, f"{repository}@{digest}", ok=(200, 404)).status_code == 200

    # -- writing ---------------------------------------------------------------------------
    def put_manifest(self, repository: str, tag: str, body: bytes) -> str:
        """Store ``body`` under ``tag``; the digest the registry gives it."""
        response = self._send(
            "PUT",
            f"/v2/{repository}/manifests/{tag}",
            f"{repository}:{tag}",
            ok=(201,),
            content=body,
            headers={"Content-Type": MANIFEST_MEDIA_TYPE},
        )
        return response.headers.get("Docker-Content-Digest", "")

    def mount(self, repository: str, digest: str, source: str) -> bool:
        """Link ``digest`` from ``source`` into ``repository`` without sending it."""
        response = self._send(
            "POST",
            f"/v2/{repository}/blobs/uploads/",
            f"{repository}@{digest}",
            ok=(201, 202),
            params={"mount": digest, "from": source},
        )
        return response.status_code == 201  # 202: the registry opened an upload instead

    def upload(
        self, repository: str, digest: str, size: int, body: Path | bytes, on: OnBytes
    ) -> None:
        """Send a blob: one PUT when it fits in a chunk, else PATCH chunks then a closing PUT."""
        what = f"{repository}@{digest}"
        if isinstance(body, bytes) or size <= self.chunk_size:
            call_with_retries(
                lambda: self._put_whole(repository, digest, size, body, on),
                what=what,
                policy=self.policy,
            )
            return
        upload = _Upload(self._start(repository))
        while upload.offset < size:
            call_with_retries(
                lambda: self._patch(upload, body, size, on), what=what, policy=self.policy
            )
        self._send("PUT", _with_digest(upload.location, digest), what, ok=(201,), retry=False)

    def _start(self, repository: str) -> str:
        path = f"/v2/{repository}/blobs/uploads/"
        response = self._send("POST", path, repository, ok=(202,))
        return self._location(response)

    def _location(self, response: httpx2.Response) -> str:
        location = response.headers.get("Location")
        if not location:
            raise SourceError(f"{self.location.url}: the registry gave no upload location")
        return urljoin(f"{self.base}/", location)

    def _put_whole(
        self, repository: str, digest: str, size: int, body: Path | bytes, on: OnBytes
    ) -> None:
        location = self._start(repository)
        content = body if isinstance(body, bytes) else _read(body, 0, size, on)
        self._send(
            "PUT",
            _with_digest(location, digest),
            f"{repository}@{digest}",
            ok=(201,),
            content=content,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            retry=False,
        )

    def _patch(self, upload: _Upload, path: Path | bytes, size: int, on: OnBytes) -> None:
        assert isinstance(path, Path)
        if upload.unsure:  # a chunk failed part way: continue from what the registry holds
            upload.location, upload.offset = self._status(upload)
        upload.unsure = True
        end = min(upload.offset + self.chunk_size, size)
        response = self._send(
            "PATCH",
            upload.location,
            upload.location.split("?")[0],
            ok=(202,),
            content=_read(path, upload.offset, end, on),
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(end - upload.offset),
                "Content-Range": f"{upload.offset}-{end - 1}",
            },
            retry=False,
        )
        upload.location, upload.offset, upload.unsure = self._location(response), end, False

    def _status(self, upload: _Upload) -> tuple[str, int]:
        """The upload session's current location and how many bytes it holds (its
        ``Range: 0-<last>``; the location carries the session's state, so it is renewed too)."""
        location = upload.location
        response = self._send("GET", location, location.split("?")[0], ok=(204,), retry=False)
        _, _, last = response.headers.get("Range", "0--1").partition("-")
        held = int(last) + 1 if last.isdigit() else 0
        if held == 1 and upload.offset == 0:
            held = 0  # distribution says "0-0" for an empty session too
        return self._location(response) if "Location" in response.headers else location, held

    # -- one request -----------------------------------------------------------------------
    def _send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        ok: tuple[int, ...],
        retry: bool = True,
        **kw: Any,
    ) -> httpx2.Response:
        """One request (retried on transient failures unless ``retry`` is False)."""

        def once() -> httpx2.Response:
            try:
                response = self._client.request(method, url, **kw)
            except httpx2.HTTPError as exc:
                raise self._transport_error(exc, what) from None
            log.debug("%s %s: HTTP %d", method, url, response.status_code)  # never a header
            if response.status_code not in ok:
                raise _status_error(response, f"{self.location.host}/{what}")
            return response

        return call_with_retries(once, what=what, policy=self.policy) if retry else once()

    def _transport_error(self, exc: httpx2.HTTPError, what: str) -> errors.PtmlockError:
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return errors.HubError(
                f"{self.base}: TLS certificate not trusted",
                hint="set SSL_CERT_FILE (or SSL_CERT_DIR) to the CA bundle that signed it",
            )
        if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text:
            return errors.HubError(
                f"{self.base}: the registry does not speak HTTPS",
                hint="for a plain-HTTP registry (a local test one) pass --insecure",
            )
        if isinstance(exc, httpx2.ConnectError):
            return errors.HubUnreachableError(f"cannot reach {self.base}", hint="is it running?")
        if isinstance(exc, httpx2.TimeoutException):
            return errors.TransientHubError(f"{self.location.host}/{what}: timed out")
        return errors.TransientHubError(f"{self.location.host}/{what}: {type(exc).__name__}")


def _with_digest(location: str, digest: str) -> str:
    """The upload URL that closes the session (httpx's ``params=`` would drop its query)."""
    return f"{location}{'&' if '?' in location else '?'}{urlencode({'digest': digest})}"


def _status_error(response: httpx2.Response, what: str) -> errors.PtmlockError:
    status = response.status_code
    code = _error_code(response)
    said = f"HTTP {status}" + (f" {code}" if code else "")
    if status in TRANSIENT_STATUS:
        return errors.TransientHubError(
            f"{what}: {said}", retry_after=retry_after(response.headers)
        )
    if status == 401:  # a streamed body the auth flow could not replay: retry with the new grant
        return errors.TransientHubError(f"{what}: authorization renewed ({said})")
    if status == 403:
        return SourceAuthError(f"{what}: access denied ({said})")
    return SourceError(f"{what}: {said}")


def _error_code(response: httpx2.Response) -> str:
    """The first error code of a distribution error body (``BLOB_UNKNOWN``, ...), if any."""
    try:
        first = response.json()["errors"][0]
        return str(first.get("code", ""))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return ""


def _read(path: Path, start: int, end: int, on: OnBytes) -> Iterator[bytes]:
    """Bytes ``start..end`` of ``path``, a piece at a time (memory stays flat)."""
    with path.open("rb") as stream:
        stream.seek(start)
        left = end - start
        while left > 0:
            piece = stream.read(min(PIECE, left))
            if not piece:
                raise errors.StorageError(f"{path}: shorter than its locked size")
            left -= len(piece)
            on(len(piece))
            yield piece


def named(exc: errors.PtmlockError, name: str) -> errors.PtmlockError:
    """The same error, its message prefixed with ``name`` (the model, file and registry)."""
    message = f"{name}: {exc}"
    if isinstance(exc, errors.TransientHubError):
        return type(exc)(message, retry_after=exc.retry_after, hint=exc.hint)
    return type(exc)(message, hint=exc.hint)
