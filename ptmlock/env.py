"""The Hugging Face environment, read when asked (huggingface_hub freezes it at import).

Kept free of heavy imports so commands with nothing to fetch never load an HTTP stack.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_ENDPOINT", "endpoint_from_env", "hf_cache_dir", "offline_from_env"]

DEFAULT_ENDPOINT = "https://huggingface.co"


def endpoint_from_env() -> str:
    """HF_ENDPOINT, else the public Hub."""
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")


def offline_from_env() -> bool:
    """Whether HF_HUB_OFFLINE asks for no network."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def hf_cache_dir() -> Path:
    """The cache huggingface_hub uses: HF_HUB_CACHE, else HF_HOME/hub, else the XDG default."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "huggingface" / "hub"
