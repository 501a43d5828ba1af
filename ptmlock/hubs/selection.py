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
    "CHECKED_AGAINST",
    "LIBRARY_PATTERNS",
    "LIBRARY_PROBES",
    "LIBRARY_RULES",
    "effective_patterns",
    "exact_patterns",
    "patterns_for",
    "probes_for",
    "recorded_selection",
    "rules_for",
    "select_files",
]

# Each policy was derived from the library's own loading code and checked against the files
# that library opens (and the ``.no_exist`` entries it writes) when it loads tiny models it
# saved itself, online into a fresh cache (tests/offline/test_real_libraries.py). The versions:
CHECKED_AGAINST: dict[str, str] = {
    "transformers": "transformers 5.24.0 (tokenizers also 4.57.6), huggingface_hub 2.4.0",
    "sentence-transformers": "sentence-transformers 6.3.0 on transformers 5.24.0",
    "diffusers": "diffusers 0.42.1",
    "timm": "timm 1.0.31",
    "timm-named": "timm 1.0.31",
    "open_clip": "open_clip_torch 3.3.0",
    "peft": "peft 0.21.2",
}

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
    "additional_chat_templates/*.jinja",
)
# what AutoTokenizer asks for by name: tokenizer_config.json, then config.json when that names
# no tokenizer class, then the class's vocab files, added/special tokens and chat templates
# (tokenization_utils_base.from_pretrained); a missing one is recorded as absent
_TOKENIZER_PROBES = (
    "tokenizer_config.json",
    "config.json",
    "tokenizer.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
    "chat_template.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
)
_CONFIG = ("config.json",)
_PROCESSOR = (
    "preprocessor_config.json",
    "processor_config.json",
    "feature_extractor_config.json",
    "image_processor_config.json",
    "video_preprocessor_config.json",
)
_MODEL = (
    "config.json",
    "generation_config.json",
    "model.safetensors.index.json | pytorch_model.bin.index.json",
    "model*.safetensors | pytorch_model*.bin",
)
# from_pretrained of a model looks for a PEFT adapter first (find_adapter_config_file), then
# the single-file weights before the index; generate() reads generation_config.json
_MODEL_PROBES = (
    "config.json",
    "adapter_config.json",
    "generation_config.json",
    "model.safetensors",
    "model.safetensors.index.json",
)
_TRANSFORMERS = (*_CONFIG, *_PROCESSOR, *_TOKENIZER, *_MODEL)
_TRANSFORMERS_PROBES = (*_TOKENIZER_PROBES, *_MODEL_PROBES, *_PROCESSOR)
_SENTENCE_TRANSFORMERS = (
    *_TRANSFORMERS,
    "modules.json",
    "config_sentence_transformers.json",
    "sentence_bert_config.json",
    "README.md",  # read for the model card data it carries (optional)
    "[0-9]_*/*.json",
    "[0-9]_*/*.safetensors | [0-9]_*/*.bin",
)

LIBRARY_PATTERNS: dict[str, tuple[str, ...]] = {
    "transformers": _TRANSFORMERS,
    "transformers-tokenizer": _TOKENIZER,  # AutoTokenizer and the *Tokenizer* classes
    "transformers-config": _CONFIG,  # AutoConfig and the *Config classes
    "transformers-model": _MODEL,  # a model without its tokenizer (a PEFT adapter's base)
    "vllm": _TRANSFORMERS,
    "sentence-transformers": _SENTENCE_TRANSFORMERS,
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
    # ``create_model("resnet50", pretrained=True)``: timm has the config; it reads the weights
    "timm-named": ("model.safetensors | pytorch_model.bin",),
    "open_clip": (
        "open_clip_config.json",
        "open_clip_model.safetensors | open_clip_pytorch_model.bin",
    ),
    "onnx": ("config.json", *_TOKENIZER, "*.onnx", "*.onnx_data"),
    "snapshot": ("*",),
    "file": (),  # exactly the files the call names
    "gguf": (),
}

#: Exact repo paths each library's loader asks for; those the repo lacks at the pinned commit
#: are recorded in the lock (``absent``) and become huggingface_hub's ``.no_exist`` markers at
#: install, which transformers needs offline (a probe with no marker and no network fails).
#: diffusers (snapshot_download of model_index.json's components), timm and open_clip ask only
#: for what the repo has.
LIBRARY_PROBES: dict[str, tuple[str, ...]] = {
    "transformers": _TRANSFORMERS_PROBES,
    "transformers-tokenizer": _TOKENIZER_PROBES,
    "transformers-config": (),
    "transformers-model": _MODEL_PROBES,
    "vllm": _TRANSFORMERS_PROBES,
    "sentence-transformers": (
        *_TRANSFORMERS_PROBES,
        "modules.json",
        "config_sentence_transformers.json",
        "sentence_bert_config.json",
        "README.md",
    ),
    "peft": ("adapter_config.json",),
    "onnx": _TOKENIZER_PROBES,
}

#: The rules that read a repo's own files at lock time to find more that its loader reads
#: (hubs/derived.py): remote code named by ``auto_map`` (and the modules it imports), the HF
#: tokenizer an open_clip config names, a PEFT adapter's base model.
LIBRARY_RULES: dict[str, tuple[str, ...]] = {
    "transformers": ("auto_map",),
    "transformers-tokenizer": ("auto_map",),
    "transformers-config": ("auto_map",),
    "transformers-model": ("auto_map",),
    "sentence-transformers": ("auto_map",),
    "open_clip": ("open_clip_hf_tokenizer",),
    "peft": ("peft_base_model",),
    "file": ("python_imports",),
}


def probes_for(libraries: Iterable[str]) -> tuple[str, ...]:
    """The exact paths the loaders of ``libraries`` ask for (see ``LIBRARY_PROBES``)."""
    seen: dict[str, None] = {}
    for library in sorted(set(libraries)):
        for name in LIBRARY_PROBES.get(library, ()):
            seen.setdefault(name, None)
    return tuple(seen)


def rules_for(libraries: Iterable[str]) -> tuple[str, ...]:
    """The content rules (hubs/derived.py) that apply to ``libraries``, each once."""
    return tuple(
        dict.fromkeys(r for lib in sorted(set(libraries)) for r in LIBRARY_RULES.get(lib, ()))
    )


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
