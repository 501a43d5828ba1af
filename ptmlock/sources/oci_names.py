"""Where a locked model lives in an OCI registry: ``oci://`` locations, repository names, tags.

The mapping is a pure function of the lock, so ``push`` and ``install --from`` agree without
asking the registry anything:

- a Hugging Face model ``Org/Name`` is the repository ``<namespace>/org/name``; another hub's
  model is ``<namespace>/<hub>/<id parts>`` (a URL checkpoint: ``<namespace>/url/<host>/<path>``);
- each part is lowercased and any run of characters the OCI grammar does not allow becomes one
  ``-`` (``My Model..v2`` -> ``my-model-v2``): the distribution spec allows only
  ``[a-z0-9]+`` joined by ``.``, ``_``, ``__`` or dashes;
- the tag is the locked revision (a 40-hex commit or a 64-hex sha256 is a valid tag as it is);
  the requested ref is a second tag with every character outside ``[A-Za-z0-9._-]`` mapped to
  ``-``, a ``_`` put in front when it would start with ``.`` or ``-``, cut at 128 characters
  (``refs/pr/1`` -> ``refs-pr-1``). Install only ever reads the revision tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ptmlock.errors import ConfigError
from ptmlock.models import LockedModel

__all__ = [
    "OciLocation",
    "parse_location",
    "ref_tag",
    "reference",
    "repository",
    "revision_tag",
]

_WORD = re.compile(r"[a-z0-9]+")
_SEPARATOR = re.compile(r"\.|_|__|-+")  # what may join two words in a repository name part
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_PART = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*")
MAX_REPOSITORY = 255  # what CNCF distribution accepts


@dataclass(frozen=True, slots=True)
class OciLocation:
    """``oci://HOST[:PORT]/NAMESPACE``: a registry and the namespace models are pushed under."""

    host: str  # host[:port], as credentials in ~/.docker/config.json name it
    namespace: str  # "" for the registry's top level

    @property
    def url(self) -> str:
        return f"oci://{self.host}/{self.namespace}".rstrip("/")


def parse_location(text: str) -> OciLocation:
    """Read ``oci://HOST[:PORT]/NAMESPACE``; ConfigError naming the value otherwise."""
    parts = urlsplit(text)
    if parts.scheme != "oci" or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"{text!r}: not an OCI registry location", hint="write oci://HOST[:PORT]/NAMESPACE"
        )
    if "@" in parts.netloc:
        raise ConfigError(
            f"{parts.scheme}://…@{parts.hostname}: credentials don't belong in the location",
            hint="log in with `docker login HOST` (ptmlock reads ~/.docker/config.json)",
        )
    namespace = parts.path.strip("/")
    for part in namespace.split("/") if namespace else ():
        if not _PART.fullmatch(part):
            raise ConfigError(
                f"{text}: {part!r} is not a valid repository name part",
                hint="lowercase letters and digits, joined by '.', '_', '__' or '-'",
            )
    return OciLocation(host=parts.netloc.lower(), namespace=namespace)


def name_part(text: str) -> str:
    """``text`` as one part of a repository name (see the module docstring)."""
    pieces = re.split(r"([a-z0-9]+)", text.lower())
    words, separators = pieces[1::2], pieces[2:-1:2]
    if not words:
        raise ConfigError(f"{text!r}: has no letter or digit to name a repository with")
    out = [words[0]]
    for separator, word in zip(separators, words[1:], strict=True):
        out += [separator if _SEPARATOR.fullmatch(separator) else "-", word]
    return "".join(out)


def _id_parts(model: LockedModel) -> list[str]:
    if model.hub == "huggingface":
        return model.id.split("/")
    if model.hub == "url":
        url = urlsplit(model.id)
        return ["url", url.hostname or "", *url.path.split("/")]
    return [model.hub, *model.id.replace(":", "/").split("/")]


def repository(location: OciLocation, model: LockedModel) -> str:
    """The repository (below the registry) that holds ``model``'s artifact."""
    parts = [name_part(p) for p in _id_parts(model) if p.strip("/")]
    name = "/".join([location.namespace, *parts] if location.namespace else parts)
    if len(name) > MAX_REPOSITORY:
        raise ConfigError(
            f"{model.id}: repository name {name[:40]}… is longer than {MAX_REPOSITORY} characters"
        )
    return name


def reference(location: OciLocation, model: LockedModel) -> str:
    """``oci://HOST/<repository>:<revision>``, where install reads ``model`` from."""
    return f"oci://{location.host}/{repository(location, model)}:{revision_tag(model)}"


def revision_tag(model: LockedModel) -> str:
    """The tag install reads: the locked revision."""
    return ref_tag(model.revision)


def ref_tag(ref: str) -> str:
    """``ref`` as a valid OCI tag (see the module docstring)."""
    tag = re.sub(r"[^A-Za-z0-9._-]", "-", ref)
    if not re.match(r"[A-Za-z0-9_]", tag):
        tag = "_" + tag
    tag = tag[:128]
    assert _TAG.fullmatch(tag), tag
    return tag
