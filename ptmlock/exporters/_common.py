"""Identifiers and links every export format shares: package URLs, hub links, sizes, locations.

Package URLs follow the purl spec's type definitions:

* ``huggingface``: ``pkg:huggingface/<namespace>/<name>@<commit>``, the commit lowercased, plus a
  ``repository_url`` qualifier when the model was resolved against another endpoint than
  https://huggingface.co (a mirror or a private Hub). A legacy id without a namespace (``gpt2``,
  ``bert-base-uncased``) is written without one, ``pkg:huggingface/gpt2@<commit>``, exactly as the
  spec's own example ``pkg:huggingface/distilbert-base-uncased@043235d...`` does: it is the id the
  project loads and the Hub still serves (it redirects to ``openai-community/gpt2``), and guessing
  the new organisation would name a repository the lock never pinned.
* ``github`` for ``pytorch_hub`` models: ``pkg:github/<owner>/<repo>@<commit>`` (the spec lowercases
  owner and repo names).
* ``generic`` for ``url`` models: ``pkg:generic/<file name>@<sha256>?download_url=...&
  checksum=sha256:...``; the purl spec gives this type no default repository, so the download URL
  and checksum identify it.

Which endpoint: the one the lock recorded for the model (``LockedModel.endpoint``), so one lock
gives one SBOM on every machine. A lock made before ptmlock recorded it gets the exporting
machine's HF_ENDPOINT (``with_endpoints``), which is what every export did until then.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, replace
from urllib.parse import quote, urlsplit

from packageurl import PackageURL

from ptmlock.endpoint import public_endpoint
from ptmlock.models import Lock, LockedModel

__all__ = [
    "DEFAULT_ENDPOINT",
    "base_model_purl",
    "card_url",
    "dataset_url",
    "download_url",
    "file_url",
    "human_size",
    "lock_digest",
    "model_name",
    "model_purl",
    "page_url",
    "split_location",
    "vcs_url",
    "with_endpoints",
]

DEFAULT_ENDPOINT = "https://huggingface.co"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


def with_endpoints(lock: Lock, fallback: str) -> Lock:
    """``lock`` with ``fallback`` as the endpoint of every Hub model that has none recorded."""
    models = tuple(
        replace(m, endpoint=public_endpoint(fallback))
        if m.hub == "huggingface" and m.endpoint is None
        else m
        for m in lock.models
    )
    return replace(lock, models=models)


def _endpoint(model: LockedModel) -> str:
    return (model.endpoint or DEFAULT_ENDPOINT).rstrip("/")


def _hf_qualifiers(endpoint: str) -> dict[str, str]:
    """The ``repository_url`` qualifier, only when the endpoint isn't the purl type's default."""
    ep = endpoint.rstrip("/")
    return {} if ep == DEFAULT_ENDPOINT else {"repository_url": ep}


def _hf_purl(model_id: str, version: str | None, endpoint: str) -> PackageURL:
    namespace, _, name = model_id.rpartition("/")
    return PackageURL(
        type="huggingface",
        namespace=namespace or None,
        name=name,
        version=version.lower() if version else None,
        qualifiers=_hf_qualifiers(endpoint),
    )


def _github_repo(model_id: str) -> tuple[str, str]:
    """``owner/repo`` of a torch.hub id (``pytorch/vision:v0.10.0``, ``owner/repo/entry``)."""
    owner, _, rest = model_id.split(":", 1)[0].partition("/")
    return owner.lower(), rest.split("/", 1)[0].lower()


def _url_file_name(model: LockedModel) -> str:
    url = model.files[0].url if model.files and model.files[0].url else model.id
    tail = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return tail or model.id


def model_name(model: LockedModel) -> str:
    """A human name for ``model``: the hub id, or the file name for a ``url`` model."""
    return _url_file_name(model) if model.hub == "url" else model.id


def download_url(model: LockedModel) -> str:
    """Where the pinned bytes come from: the file's URL, a GitHub archive, or the Hub's tree
    of the commit (a Hub repo has no single download; each file's own URL is ``file_url``)."""
    if model.hub == "url":
        return model.files[0].url if model.files and model.files[0].url else model.id
    if model.hub == "pytorch_hub":
        owner, repo = _github_repo(model.id)
        return f"https://github.com/{owner}/{repo}/archive/{model.revision}.zip"
    return f"{_endpoint(model)}/{model.id}/tree/{model.revision}"


def file_url(model: LockedModel, path: str) -> str | None:
    """Where one locked file is downloaded from, when the hub serves files by URL."""
    locked = next((f for f in model.files if f.path == path), None)
    if locked is not None and locked.url:
        return locked.url
    if model.hub != "huggingface":
        return None
    return f"{_endpoint(model)}/{model.id}/resolve/{model.revision}/{quote(path)}"


def vcs_url(model: LockedModel) -> str | None:
    """The git repository behind the model (Hub model repos and torch.hub repos are git)."""
    if model.hub == "pytorch_hub":
        owner, repo = _github_repo(model.id)
        return f"https://github.com/{owner}/{repo}"
    if model.hub == "huggingface":
        return f"{_endpoint(model)}/{model.id}"
    return None


def model_purl(model: LockedModel) -> PackageURL:
    """The package URL of one locked model, pinned to its commit (or sha256 for ``url``)."""
    if model.hub == "pytorch_hub":
        owner, repo = _github_repo(model.id)
        return PackageURL(type="github", namespace=owner, name=repo, version=model.revision)
    if model.hub == "url":
        return PackageURL(
            type="generic",
            name=_url_file_name(model),
            version=model.revision,
            qualifiers={
                "download_url": download_url(model),
                "checksum": f"sha256:{model.revision}",
            },
        )
    return _hf_purl(model.id, model.revision, _endpoint(model))


def base_model_purl(model_id: str, derived: LockedModel) -> PackageURL:
    """The versionless purl of a base model the lock does not pin (its card names no commit),
    on the hub of the ``derived`` model whose card names it."""
    return _hf_purl(model_id, None, _endpoint(derived))


def page_url(model: LockedModel) -> str:
    """The human page of the pinned revision."""
    if model.hub == "pytorch_hub":
        owner, repo = _github_repo(model.id)
        return f"https://github.com/{owner}/{repo}/tree/{model.revision}"
    if model.hub == "url":
        return download_url(model)
    return f"{_endpoint(model)}/{model.id}/tree/{model.revision}"


def card_url(model: LockedModel) -> str | None:
    """The model card (README.md) at the pinned revision; None for hubs without one."""
    if model.hub != "huggingface":
        return None
    return f"{_endpoint(model)}/{model.id}/blob/{model.revision}/README.md"


def dataset_url(model: LockedModel, name: str) -> str | None:
    """The page of a dataset a Hub model's card names, on the model's hub; None for a name
    that is not a Hub dataset id (cards also carry free text like ``Wikipedia (English)``)."""
    if model.hub != "huggingface" or not _HUB_ID.match(name):
        return None
    return f"{_endpoint(model)}/datasets/{name}"


def split_location(used_by: str) -> tuple[str, int | None]:
    """``"src/app.py:12"`` -> ``("src/app.py", 12)``; a location without a line keeps it None."""
    file, sep, line = used_by.rpartition(":")
    if sep and line.isdigit():
        return file, int(line)
    return used_by, None


def human_size(size: int) -> str:
    """Bytes in binary units with one decimal (``1.5 GiB``), exact bytes below 1 KiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def lock_digest(lock: Lock, *extra: str) -> str:
    """A sha256 over the lock's content (and ``extra`` strings): the seed of reproducible ids."""
    payload = json.dumps([asdict(lock), list(extra)], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
