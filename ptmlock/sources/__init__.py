"""Sources: where a lock's files can be fetched from besides their hub (DESIGN: a registry is a
source, not a hub). One module per kind behind ptmlock.sources.interface.Source, listed by URL
scheme in SOURCE_FACTORIES and imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from ptmlock.errors import ConfigError
from ptmlock.sources.interface import Source, SourceAuthError, SourceError

__all__ = ["SOURCE_FACTORIES", "Source", "SourceAuthError", "SourceError", "make_sources"]

# URL scheme -> "module:class" with a ``from_url(url, *, insecure)`` classmethod
SOURCE_FACTORIES: dict[str, str] = {"oci": "ptmlock.sources.oci:OciSource"}


def make_source(url: str, *, insecure: bool = False) -> Source:
    """The source a URL names (``oci://HOST/NAMESPACE``); ConfigError for an unknown kind."""
    scheme = urlsplit(url).scheme
    if scheme not in SOURCE_FACTORIES:
        raise ConfigError(
            f"{url!r}: not a source ptmlock knows",
            hint=f"use one of: {', '.join(s + '://' for s in SOURCE_FACTORIES)}",
        )
    module, _, name = SOURCE_FACTORIES[scheme].partition(":")
    factory: Callable[..., Source] = getattr(importlib.import_module(module), name).from_url
    return factory(url, insecure=insecure)


def make_sources(urls: Sequence[str], *, insecure: bool = False) -> list[Source]:
    return [make_source(url, insecure=insecure) for url in urls]
