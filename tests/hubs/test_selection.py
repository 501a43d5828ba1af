"""Which files get locked: what the loader would read, nothing more."""

from __future__ import annotations

import pytest

from ptmlock.hubs.selection import effective_patterns, select_files

REPO = [
    "README.md",
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "model.safetensors",
    "pytorch_model.bin",
    "tf_model.h5",
    "flax_model.msgpack",
    "onnx/model.onnx",
    "onnx/config.json",
]


def test_transformers_prefers_safetensors_and_skips_other_formats() -> None:
    chosen = select_files(REPO, effective_patterns(["transformers"]))
    assert chosen == [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.txt",
    ]


def test_transformers_falls_back_to_bin_only_without_safetensors() -> None:
    repo = [n for n in REPO if n != "model.safetensors"]
    chosen = select_files(repo, effective_patterns(["transformers"]))
    assert "pytorch_model.bin" in chosen
    assert not {"tf_model.h5", "flax_model.msgpack", "onnx/model.onnx"} & set(chosen)


def test_sharded_safetensors_come_with_their_index() -> None:
    repo = [
        "config.json",
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
        "model.safetensors.index.json",
        "pytorch_model.bin.index.json",
        "pytorch_model-00001-of-00002.bin",
    ]
    chosen = select_files(repo, effective_patterns(["transformers"]))
    assert chosen == [
        "config.json",
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
        "model.safetensors.index.json",
    ]


def test_exact_files_are_added_escaped() -> None:
    patterns = effective_patterns(["file"], files=["weights[v2].gguf"])
    assert select_files(["weights[v2].gguf", "weightsv.gguf", "other.gguf"], patterns) == [
        "weights[v2].gguf"
    ]


def test_user_patterns_replace_the_library_policy() -> None:
    patterns = effective_patterns(["transformers"], ["onnx/*"])
    assert select_files(REPO, patterns) == ["onnx/config.json", "onnx/model.onnx"]


@pytest.mark.parametrize("library", ["snapshot"])
def test_snapshot_takes_everything(library: str) -> None:
    assert select_files(REPO, effective_patterns([library])) == sorted(REPO)
