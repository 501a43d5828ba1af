"""Byte counts for people: ``human_size(2_000_000_000) == "2.0GB"`` (decimal units, as
huggingface_hub and pip show them)."""

from __future__ import annotations

__all__ = ["human_size"]


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1000
    return f"{value:.1f}TB"
