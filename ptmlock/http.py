"""The one httpx client factory for hubs that are not the Hugging Face Hub.

huggingface_hub brings its own HTTP stack (httpx2); everything else (plain URLs, later GitHub)
goes through here: timeouts, redirects, a user agent, and status codes mapped to ptmlock errors.
"""

from __future__ import annotations

import re
import threading

import httpx

from ptmlock import __version__, errors

__all__ = ["error_for_status", "get_client", "translate"]

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_TRANSIENT = {408, 429, 500, 502, 503, 504}


_client: httpx.Client | None = None
_client_lock = threading.Lock()


def get_client() -> httpx.Client:
    """The process's shared client (connection reuse across files and threads), made once."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(
                timeout=TIMEOUT,
                follow_redirects=True,
                headers={"User-Agent": f"ptmlock/{__version__}", "Accept-Encoding": "identity"},
            )
        return _client


def error_for_status(response: httpx.Response, what: str) -> errors.PtmlockError:
    """The ptmlock error for a failed response about ``what`` (never includes credentials)."""
    status = response.status_code
    message = f"{what}: HTTP {status}"
    if status in _TRANSIENT:
        value = response.headers.get("Retry-After", "").strip()
        retry_after = float(value) if re.fullmatch(r"\d+(\.\d+)?", value) else None
        return errors.TransientHubError(message, retry_after=retry_after)
    if status == 404:
        return errors.EntryNotFoundError(f"{what}: not found (HTTP 404)")
    if status in (401, 403):
        return errors.GatedModelError(f"{what}: access denied (HTTP {status})")
    return errors.HubError(message)


def translate(exc: Exception, what: str) -> errors.PtmlockError:
    """The ptmlock error for a transport failure."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return errors.HubUnreachableError(
            f"cannot reach {what}", hint="check the URL and the network"
        )
    return errors.TransientHubError(f"{what}: {type(exc).__name__}")
