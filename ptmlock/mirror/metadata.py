"""Facts the Hub derives from a repo's files: LFS status, git oids, card data, parameter counts.

Pure functions over bytes and paths, so the store can compute them once at commit time and the
server only reads JSON.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "LFS_SIZE_THRESHOLD",
    "LFS_SUFFIXES",
    "card_data",
    "config_summary",
    "git_blob_header",
    "git_oid",
    "is_lfs",
    "lfs_pointer",
    "safetensors_parameters",
]

logger = logging.getLogger(__name__)

# Files this large go to LFS, as on the Hub (which tracks anything over 10 MiB).
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024

# Suffixes the Hub's default .gitattributes tracks with LFS: weight and archive formats.
# A tiny `model.safetensors` is therefore still an LFS file, as it would be on the Hub.
LFS_SUFFIXES = frozenset(
    {
        ".7z", ".arrow", ".bin", ".bz2", ".ckpt", ".ftz", ".gguf", ".gz", ".h5", ".joblib",
        ".keras", ".lfs", ".mlmodel", ".model", ".msgpack", ".npy", ".npz", ".onnx", ".ot",
        ".parquet", ".pb", ".pickle", ".pkl", ".pt", ".pth", ".rar", ".safetensors", ".tar",
        ".tflite", ".tgz", ".wasm", ".xz", ".zip", ".zst",
    }
)  # fmt: skip

# A larger safetensors header is refused rather than parsed (the format caps it at 100 MB).
_MAX_SAFETENSORS_HEADER = 100_000_000

# Bits per element for safetensors dtypes; the Hub counts elements, so only the names matter.
_SAFETENSORS_DTYPES = frozenset(
    {"BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32",
     "F64", "I64", "U64", "F4", "F6_E2M3", "F6_E3M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ",
     "C64"}
)  # fmt: skip


def is_lfs(path: str, size: int) -> bool:
    """Whether the Hub would store ``path`` with Git LFS (large, or a weight/archive format)."""
    return size >= LFS_SIZE_THRESHOLD or Path(path).suffix.lower() in LFS_SUFFIXES


def git_blob_header(size: int) -> bytes:
    """The prefix git hashes before a blob's content: its object id is sha1(header + content)."""
    return b"blob %d\0" % size


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The pointer file git stores for an LFS file; the Hub's ``blobId`` is this blob's oid."""
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()
    )


def git_oid(content: bytes) -> str:
    """Git blob object id (sha1) of ``content``."""
    return hashlib.sha1(git_blob_header(len(content)) + content, usedforsecurity=False).hexdigest()


def card_data(readme: bytes) -> dict[str, Any]:
    """The YAML front matter of a README.md, as the Hub's ``cardData`` ({} if none)."""
    text = readme.decode("utf-8", errors="replace").lstrip("\ufeff")
    if not text.startswith("---"):
        return {}
    lines = text.splitlines()
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == "---")
    except StopIteration:
        return {}
    front = "\n".join(lines[1:end])
    try:
        # a card has no use for aliases, and expanding them is how a YAML bomb works (also a
        # `&a [*a]` loop, which no JSON answer can hold): such a card has no data
        if any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(front, Loader=yaml.SafeLoader)):
            logger.warning("model card front matter with YAML aliases: ignored")
            return {}
        data = yaml.safe_load(front)
    except (yaml.YAMLError, RecursionError) as exc:
        logger.debug("invalid YAML in model card: %s", exc)
        return {}
    if not isinstance(data, dict):
        return {}
    return json.loads(json.dumps(data, default=str))  # type: ignore[no-any-return]  # dates -> str


def config_summary(config_json: bytes) -> dict[str, Any] | None:
    """The part of config.json the Hub echoes as ``config``: architectures and model_type."""
    try:
        config = json.loads(config_json)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(config, dict):
        return None
    summary = {k: config[k] for k in ("architectures", "model_type") if k in config}
    return summary or None


def safetensors_parameters(path: Path) -> dict[str, int] | None:
    """Element count per dtype from a safetensors file's header, or None if it is not one."""
    try:
        with path.open("rb") as f:
            prefix = f.read(8)
            if len(prefix) != 8:
                return None
            (length,) = struct.unpack("<Q", prefix)
            if length > _MAX_SAFETENSORS_HEADER:
                return None
            header = json.loads(f.read(length))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return _count_elements(header) if isinstance(header, dict) else None


def _count_elements(header: Mapping[str, Any]) -> dict[str, int] | None:
    counts: dict[str, int] = {}
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(tensor, dict) or tensor.get("dtype") not in _SAFETENSORS_DTYPES:
            return None
        shape = tensor.get("shape")
        if not isinstance(shape, list) or not all(isinstance(d, int) for d in shape):
            return None
        counts[tensor["dtype"]] = counts.get(tensor["dtype"], 0) + math.prod(shape)
    return counts
