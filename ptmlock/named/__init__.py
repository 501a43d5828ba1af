"""Weights that libraries name by architecture, mapped to the download the library performs.

The tables in ``data/`` are generated from each library's own registry by
``python -m ptmlock.named.generate`` (each records the library version it was read from) and
shipped with ptmlock. Scan ids (see ``ptmlock.scan.signatures``) look them up here:

- ``torchvision/<arch>:<WEIGHTS>`` (also ``:DEFAULT`` and ``:legacy`` for ``pretrained=True``),
  ``whisper/<name>``, ``clip/<name>``, ``open_clip/<arch>:<tag>``, ``ultralytics/<file>``,
  ``facexlib/<name>`` (``init_detection_model("retinaface_resnet50")``): one file at a URL
  (``NamedDownload``), locked by the ``url`` hub;
- ``timm`` names and open_clip tags the library reads from the Hugging Face Hub: a Hub repo
  (``hub_repo``), locked by the ``huggingface`` hub with the files the library reads. A scan
  reports timm's names as written (``timm/resnet50``); ``locked_id`` is the repo they lock as.

Where a library embeds a hash in the URL (torchvision's 8-hex file-name prefix, whisper's and
CLIP's sha256 in the path), ``embedded_digest`` returns it and the lock must agree with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ptmlock.errors import IntegrityError

__all__ = [
    "NamedDownload",
    "check_embedded",
    "digest_agrees",
    "embedded_digest",
    "hub_repo",
    "locked_id",
    "named_default",
    "named_download",
    "named_function",
    "table_version",
]

_DATA = Path(__file__).with_name("data")
# id prefix -> table; the prefix also says where the library keeps its cache (ptmlock.layout)
_URL_TABLES = ("torchvision", "whisper", "clip", "open_clip", "ultralytics", "facexlib")
# torch.hub's convention (``resnet18-f37072fd.pth``): the sha256 prefix after the last dash
_HASH_SUFFIX = re.compile(r"-([a-f0-9]{8,64})\.")
_SHA256_SEGMENT = re.compile(r"^[a-f0-9]{64}$")


@dataclass(frozen=True, slots=True)
class NamedDownload:
    library: str  # the table: torchvision | whisper | clip | open_clip | ultralytics | facexlib
    url: str
    file: str  # the name the library saves it under in its cache folder


@cache
def _table(library: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_DATA / f"{library}.json").read_text(encoding="utf-8"))
    return data


def table_version(library: str) -> str:
    """The version of ``library`` its table was generated from."""
    return str(_table(library)["version"])


def _entry(library: str, key: str) -> dict[str, Any] | None:
    table = _table(library)
    key = table.get("aliases", {}).get(key, key)
    entry: dict[str, Any] | None = table["entries"].get(key)
    return entry


def named_default(library: str, function: str) -> str | None:
    """The name ``function`` of ``library`` loads when given none (facexlib's
    ``init_parsing_model()`` is ``bisenet``)."""
    default = _table(library).get("defaults", {}).get(function)
    return str(default) if default is not None else None


def named_function(library: str, name: str) -> str | None:
    """The function of ``library`` whose branch downloads ``name``, when the table records it."""
    entry = _entry(library, name)
    return str(entry["function"]) if entry and "function" in entry else None


def named_download(model_id: str) -> NamedDownload | None:
    """The file a scan id like ``torchvision/resnet50:DEFAULT`` downloads, or None."""
    library, _, key = model_id.partition("/")
    if library not in _URL_TABLES or not key:
        return None
    entry = _entry(library, key)
    if entry is None or "url" not in entry:
        return None
    return NamedDownload(library=library, url=entry["url"], file=entry["file"])


def hub_repo(library: str, name: str) -> tuple[str, tuple[str, ...]] | None:
    """The Hub repo (and exact files, when the library names them) for a timm model name
    (``resnet50``, ``resnet50.a1_in1k``) or an open_clip ``arch:tag``; None when unknown."""
    if library not in ("timm", "open_clip"):
        return None
    entry = _entry(library, name)
    if entry is None or "hf" not in entry:
        return None
    return entry["hf"], ((entry["hf_file"],) if entry.get("hf_file") else ())


def locked_id(model: str, library: str) -> str:
    """The id a scan's ``model`` is locked under: ``timm/resnet50`` (timm's name, as the code
    writes it) is the Hub repo timm downloads, ``timm/resnet50.a1_in1k``; any other id is
    itself."""
    if library == "timm-named" and model.startswith("timm/"):
        known = hub_repo("timm", model.removeprefix("timm/"))
        if known:
            return known[0]
    return model


def embedded_digest(download: NamedDownload) -> str | None:
    """The sha256 (or its hex prefix) that the library checks the downloaded file against.

    whisper and CLIP (also open_clip for OpenAI's files) put the whole sha256 in the URL path
    before the file name; torchvision (torch.hub's ``check_hash`` convention) puts its first hex
    digits after the last ``-`` of the file name. Only the libraries that check it are asked,
    so a name that merely ends in a hex-looking word (``yolo-face.pt``) is never a hash.
    """
    parts = urlsplit(download.url).path.split("/")
    if download.library in ("whisper", "clip", "open_clip"):
        return parts[-2] if len(parts) >= 2 and _SHA256_SEGMENT.match(parts[-2]) else None
    if download.library == "torchvision":
        match = _HASH_SUFFIX.search(parts[-1])
        return match.group(1) if match else None
    return None


def digest_agrees(digest: str | None, sha256: str) -> bool:
    """Whether ``sha256`` is what an embedded ``digest`` (whole or prefix) says, if any."""
    return digest is None or sha256.startswith(digest)


def check_embedded(model_id: str, sha256: str) -> None:
    """Fail when the hash a library embeds in the URL of ``model_id`` disagrees with ``sha256``
    (at lock time: the bytes served; at install: the lock, which may have been edited)."""
    named = named_download(model_id)
    digest = embedded_digest(named) if named else None
    if named is not None and not digest_agrees(digest, sha256):
        raise IntegrityError(
            f"{model_id}: {named.url} carries the hash {digest}, but the sha256 is {sha256}; "
            f"{named.library} would refuse the file",
            hint="the server (or a URL mirror) serves other bytes than the library names",
        )
