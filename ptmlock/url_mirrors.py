"""URL mirrors: where a URL is downloaded from, for sites that reach hosts through a proxy.

``[tool.ptmlock] url-mirrors`` (a table ``PREFIX = REPLACEMENT``) and ``PTMLOCK_URL_MIRRORS``
(whitespace-separated ``PREFIX=REPLACEMENT`` pairs; it wins over the table for the same prefix)
rewrite the start of a URL before it is fetched; the longest matching prefix wins. The lock
and the SBOM keep the original URL: a mirror says where bytes come from, never what they are.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ptmlock.errors import ConfigError

__all__ = ["ENV", "UrlMirrors", "parse_pairs"]

ENV = "PTMLOCK_URL_MIRRORS"


def _check(prefix: str, replacement: str, where: str) -> None:
    for url in (prefix, replacement):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{where}: {url!r} is not an http(s) URL")


def parse_pairs(text: str, where: str = ENV) -> dict[str, str]:
    """``PREFIX=REPLACEMENT`` pairs separated by whitespace."""
    pairs: dict[str, str] = {}
    for item in text.split():
        prefix, sep, replacement = item.partition("=")
        if not sep:
            raise ConfigError(f"{where}: {item!r} is not PREFIX=REPLACEMENT")
        _check(prefix, replacement, where)
        pairs[prefix] = replacement
    return pairs


@dataclass(frozen=True, slots=True)
class UrlMirrors:
    """Prefix rewrites, longest prefix first."""

    pairs: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, *tables: Mapping[str, str]) -> UrlMirrors:
        """Later tables win for the same prefix."""
        merged: dict[str, str] = {}
        for table in tables:
            merged.update(table)
        return cls(tuple(sorted(merged.items(), key=lambda kv: (-len(kv[0]), kv[0]))))

    @classmethod
    def from_environment(cls, config: Mapping[str, str] | None = None) -> UrlMirrors:
        """The project's table (already checked by project_config), then the environment."""
        return cls.of(config or {}, parse_pairs(os.environ.get(ENV, "")))

    def restore(self, url: str) -> str:
        """The original URL of a fetched one: where a mirror's redirect within the mirror maps
        back to the host it stands for (a URL outside every mirror is returned as it is)."""
        for prefix, replacement in sorted(self.pairs, key=lambda kv: -len(kv[1])):
            if url.startswith(replacement):
                return prefix + url[len(replacement) :]
        return url

    def rewrite(self, url: str) -> str:
        """Where ``url`` is fetched from."""
        for prefix, replacement in self.pairs:
            if url.startswith(prefix):
                return replacement + url[len(prefix) :]
        return url
