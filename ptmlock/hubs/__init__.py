"""Hubs: one module per hub behind ptmlock.hubs.interface.Hub, listed in HUBS."""

from __future__ import annotations

from collections.abc import Callable

from ptmlock.errors import ConfigError
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.hubs.interface import Hub

__all__ = ["HUB_FACTORIES", "HubSet"]

HUB_FACTORIES: dict[str, Callable[[], Hub]] = {
    "huggingface": HuggingFaceHub,
}


class HubSet:
    """Hubs made on first use, one per name, so a lock of HF models never builds the others."""

    def __init__(self, factories: dict[str, Callable[[], Hub]] | None = None) -> None:
        self._factories = factories if factories is not None else HUB_FACTORIES
        self._made: dict[str, Hub] = {}

    def supports(self, name: str) -> bool:
        return name in self._factories

    def __call__(self, name: str) -> Hub:
        if name not in self._made:
            if name not in self._factories:
                raise ConfigError(f"hub {name!r} is not supported by this ptmlock yet")
            self._made[name] = self._factories[name]()
        return self._made[name]
