"""Builders for realistic test repos: tiny files in the shapes real model repos have.

``make_transformers_repo(store, "org/name", license="mit")`` commits a transformers-style repo
(config, tokenizer, card, safetensors + bin + h5 + onnx weights) and returns its commit sha.
``record_calls(monkeypatch, os, "fsync")`` lists the first argument of every call of a function
that still does its real work (a spy, not a stub).
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from ptmlock.mirror import RepoStore

__all__ = [
    "DEFAULT_TENSORS",
    "make_transformers_repo",
    "model_card",
    "record_calls",
    "safetensors_bytes",
    "transformers_files",
]

# name -> (dtype, shape); 2*4*4 + 4*4 + 4 = 52 parameters.
DEFAULT_TENSORS: dict[str, tuple[str, list[int]]] = {
    "embeddings.weight": ("F32", [8, 4]),
    "encoder.dense.weight": ("F16", [4, 4]),
    "encoder.dense.bias": ("F16", [4]),
}
_DTYPE_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "U8": 1}


def safetensors_bytes(tensors: Mapping[str, tuple[str, list[int]]] = DEFAULT_TENSORS) -> bytes:
    """A valid safetensors file: header (8-byte LE length + JSON) and zeroed tensor data."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        nbytes = math.prod(shape) * _DTYPE_SIZE[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the format pads the header to 8 bytes
    return struct.pack("<Q", len(raw)) + raw + b"\0" * offset


def model_card(**card: Any) -> bytes:
    """A README.md with ``card`` as YAML front matter (defaults: a BERT-like text model)."""
    data = {"library_name": "transformers", "pipeline_tag": "fill-mask", "license": "apache-2.0"}
    data |= card
    front = yaml.safe_dump(data, sort_keys=True)
    return f"---\n{front}---\n\n# Model card\n\nA tiny model for tests.\n".encode()


def transformers_files(**card: Any) -> dict[str, bytes]:
    """The files of a small transformers repo with every weight format the Hub commonly has."""
    config = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": 4}
    return {
        "README.md": model_card(**card),
        "config.json": json.dumps(config, indent=2).encode(),
        "tokenizer.json": json.dumps({"version": "1.0", "model": {"type": "WordPiece"}}).encode(),
        "tokenizer_config.json": json.dumps({"model_max_length": 512}).encode(),
        "vocab.txt": b"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n",
        "model.safetensors": safetensors_bytes(),
        "pytorch_model.bin": b"PK\x03\x04 fake torch zip " + bytes(range(256)) * 4,
        "tf_model.h5": b"\x89HDF\r\n\x1a\n" + b"\0" * 1024,
        "onnx/model.onnx": b"\x08\x07\x12\x07pytorch" + b"\1" * 512,
    }


def make_transformers_repo(
    store: RepoStore,
    repo_id: str,
    *,
    extra: Mapping[str, bytes | Path] | None = None,
    branch: str = "main",
    message: str = "Initial commit",
    **card: Any,
) -> str:
    """Commit ``transformers_files(**card)`` plus ``extra`` to ``repo_id``; returns the sha."""
    files: dict[str, bytes | Path] = dict(transformers_files(**card))
    files |= dict(extra or {})
    return store.commit(repo_id, files, branch=branch, message=message)


def record_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[Any]:
    """Wrap ``owner.name`` for this test: each call's first argument is appended to the list
    returned, then the real function runs."""
    real = getattr(owner, name)
    calls: list[Any] = []

    def spy(first: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(first)
        return real(first, *args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return calls
