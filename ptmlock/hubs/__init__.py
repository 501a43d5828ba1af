"""Hubs: one module per hub behind ptmlock.hubs.interface.Hub, listed in HUB_FACTORIES.

A factory is imported on first use, so a command that needs no hub (a warm install, verify)
never loads huggingface_hub and its HTTP stack.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from ptmlock.errors import ConfigError
from ptmlock.hubs.interface import Hub

__all__ = ["HUB_FACTORIES", "HubSet"]

# hub name -> "module:callable" making the hub (or any zero-argument callable, e.g. in tests)
HUB_FACTORIES: dict[str, str | Callable[[], Hub]] = {
    "huggingface": "ptmlock.hubs.huggingface:HuggingFaceHub",
    "url": "ptmlock.hubs.url:UrlHub",
    "pytorch_hub": "ptmlock.hubs.pytorch_hub:PytorchHub",
}
# hubs that download plain URLs, and so take the URL mirrors (ptmlock.url_mirrors)
_TAKE_URL_MIRRORS = frozenset({"url", "pytorch_hub"})


def _make(factory: str | Callable[[], Hub], options: Mapping[str, Any]) -> Hub:
    if callable(factory):
        return factory()
    module, _, name = factory.partition(":")
    made: Hub = getattr(importlib.import_module(module), name)(**options)
    return made


class HubSet:
    """Hubs made on first use, one per name, so a lock of HF models never builds the others.

    ``url_mirrors`` (``[tool.ptmlock] url-mirrors`` pairs) go to the hubs that fetch URLs,
    merged under ``PTMLOCK_URL_MIRRORS``.
    """

    def __init__(
        self,
        factories: dict[str, str | Callable[[], Hub]] | None = None,
        *,
        url_mirrors: Mapping[str, str] | None = None,
    ) -> None:
        self._factories = factories if factories is not None else HUB_FACTORIES
        self._url_mirrors = dict(url_mirrors or {})
        self._made: dict[str, Hub] = {}

    def supports(self, name: str, model_id: str | None = None) -> bool:
        """Whether ``name`` is a hub here that can resolve ``model_id`` (when given)."""
        if name not in self._factories:
            return False
        return model_id is None or self(name).accepts(model_id)

    def __call__(self, name: str) -> Hub:
        if name not in self._made:
            if name not in self._factories:
                raise ConfigError(f"hub {name!r} is not supported by this ptmlock yet")
            options: dict[str, Any] = {}
            if name in _TAKE_URL_MIRRORS:
                from ptmlock.url_mirrors import UrlMirrors

                options["mirrors"] = UrlMirrors.from_environment(self._url_mirrors)
            self._made[name] = _make(self._factories[name], options)
        return self._made[name]
