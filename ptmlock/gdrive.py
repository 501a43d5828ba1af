"""Google Drive file links, the way gdown reads them (``gdown.download(url)``).

``drive.google.com/file/d/<id>/view``, ``/open?id=<id>``, ``/uc?id=<id>`` and
``drive.usercontent.google.com/download?id=<id>`` all name one file; its canonical URL is
``https://drive.google.com/uc?id=<id>&export=download``, which answers with the bytes (small
files) or with a confirmation page (large ones: gdown then scrapes a token from the page, which
ptmlock does not, so those are reported rather than locked).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

__all__ = ["canonical_url", "file_id"]

_HOSTS = frozenset({"drive.google.com", "docs.google.com", "drive.usercontent.google.com"})
_FILE_PATH = re.compile(r"^/file/d/([\w-]{10,})(?:/|$)")
_ID = re.compile(r"^[\w-]{10,}$")


def file_id(url: str) -> str | None:
    """The Drive file id of ``url``, or None when it is not a Drive file link."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.hostname not in _HOSTS:
        return None
    match = _FILE_PATH.match(parts.path)
    if match:
        return match.group(1)
    if parts.path.rstrip("/") in ("/uc", "/open", "/download"):
        ids = parse_qs(parts.query).get("id", [])
        if ids and _ID.match(ids[0]):
            return ids[0]
    return None


def canonical_url(drive_id: str) -> str:
    return f"https://drive.google.com/uc?id={drive_id}&export=download"
