"""The form of a hub endpoint that may be written down: in the lock, and from there in SBOMs.

An endpoint is recorded as where a pin was resolved (``LockedModel.endpoint``), so an SBOM names
the hub the bytes came from whatever the exporting machine's HF_ENDPOINT says. HF_ENDPOINT can
carry credentials (``https://user:token@hub.example/?token=...``): only scheme, host, port and
path are kept, so nothing secret reaches the lock or a BOM.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["is_public_endpoint", "public_endpoint"]


def public_endpoint(url: str) -> str:
    """``url`` without userinfo, query, fragment and trailing slash; the host lowercased."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


def is_public_endpoint(url: str) -> bool:
    """Whether ``url`` is an http(s) endpoint already in the form ``public_endpoint`` writes."""
    try:
        parts = urlsplit(url)
        return (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and (public_endpoint(url) == url)
        )
    except ValueError:  # a bad port number
        return False
