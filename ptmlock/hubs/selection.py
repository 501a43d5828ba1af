"""Which files of a model repo a loader actually reads: DATA, one row per loading library.

A pattern is an fnmatch glob over the repo path ("/"-separated; ``*`` crosses folders, so
root-only patterns name the file). A pattern written ``a | b`` is a fallback: the first
alternative that matches any file wins, so ``model*.safetensors | pytorch_model*.bin`` locks
the safetensors weights and the PyTorch ones only when no safetensors exist. Installing
gigabytes nobody loads is a defect; a user who needs more sets ``patterns`` in [tool.ptmlock].
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

__all__ = [
    "LIBRARY_PATTERNS",
    "effective_patterns",
    "exact_patterns",
    "patterns_for",
    "recorded_selection",
    "select_files",
]

_TOKENIZER = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
    "chat_template.jinja",
    "chat_template.json",
)
_TRANSFORMERS = (
    "config.json",
    "generation_config.json",
    "preprocessor_config.json",
    "processor_config.json",
    "feature_extractor_config.json",
    "image_processor_config.json",
    *_TOKENIZER,
    "model.safetensors.index.json | pytorch_model.bin.index.json",
    "model*.safetensors | pytorch_model*.bin",
)

LIBRARY_PATTERNS: dict[str, tuple[str, ...]] = {
    "transformers": _TRANSFORMERS,
    "vllm": _TRANSFORMERS,
    "sentence-transformers": (
        *_TRANSFORMERS,
        "modules.json",
        "config_sentence_transformers.json",
        "sentence_bert_config.json",
        "[0-9]_*/*.json",
        "[0-9]_*/*.safetensors | [0-9]_*/*.bin",
    ),
    "diffusers": (
        "model_index.json",
        "*/config.json",
        "*/scheduler_config.json",
        "*/preprocessor_config.json",
        *(f"*/{name}" for name in _TOKENIZER),
        "*/diffusion_pytorch_model.safetensors | */diffusion_pytorch_model.bin",
        "*/model.safetensors | */pytorch_model.bin",
    ),
    "peft": (
        "adapter_config.json",
        "adapter_model.safetensors | adapter_model.bin",
        *_TOKENIZER,
    ),
    "timm": ("config.json", "model.safetensors | pytorch_model.bin"),
    "open_clip": (
        "open_clip_config.json",
        "open_clip_model.safetensors | open_clip_pytorch_model.bin",
    ),
    "onnx": ("config.json", *_TOKENIZER, "*.onnx", "*.onnx_data"),
    "snapshot": ("*",),
    "file": (),  # exactly the files the call names
    "gguf": (),
}


def patterns_for(libraries: Iterable[str]) -> tuple[str, ...]:
    """The policy patterns of ``libraries`` (an unknown library reads like transformers)."""
    seen: dict[str, None] = {}
    for library in sorted(set(libraries)):
        for pattern in LIBRARY_PATTERNS.get(library, _TRANSFORMERS):
            seen.setdefault(pattern, None)
    return tuple(seen)


def select_files(names: Iterable[str], patterns: Sequence[str]) -> list[str]:
    """The repo paths in ``names`` that ``patterns`` choose, sorted."""
    available = sorted(set(names))
    chosen: set[str] = set()
    for pattern in patterns:
        for alternative in (alt.strip() for alt in pattern.split("|")):
            hits = [name for name in available if fnmatchcase(name, alternative)]
            if hits:
                chosen.update(hits)
                break
    return sorted(chosen)


def exact_patterns(files: Iterable[str]) -> tuple[str, ...]:
    """Exact file names (``hf_hub_download(repo, filename)``) as escaped globs."""
    return tuple(re.sub(r"([*?\[])", r"[\1]", name) for name in sorted(set(files)))


def recorded_selection(
    libraries: Iterable[str], user_patterns: Sequence[str] = (), files: Iterable[str] = ()
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the lock records as the file choice: (libraries, patterns).

    The libraries name the policies (the table above); patterns hold the user's patterns
    (which replace the policies) and the exact files. Same record, same files.
    """
    exact = exact_patterns(files)
    if user_patterns:
        return (), tuple(dict.fromkeys([*user_patterns, *exact]))
    return tuple(sorted(set(libraries))), exact


def effective_patterns(
    libraries: Iterable[str], user_patterns: Sequence[str] = (), files: Iterable[str] = ()
) -> tuple[str, ...]:
    """Every pattern that chooses a model's files: the policies' or the user's, and exact files."""
    recorded_libraries, recorded_patterns = recorded_selection(libraries, user_patterns, files)
    policy = patterns_for(recorded_libraries) if recorded_libraries else ()
    return tuple(dict.fromkeys([*policy, *recorded_patterns]))
