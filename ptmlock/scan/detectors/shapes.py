"""What a model looks like in text: which keys, variables and flags name one, and which values
are shaped like a Hugging Face id that is not a local path or an API model (DATA and rules
shared by the config, shell, environment-file and Markdown detectors).
"""

from __future__ import annotations

import re

from ptmlock.scan.families import family_of, is_legacy_canonical

__all__ = [
    "ARCHITECTURE_KEYS",
    "CHILD_KEYS",
    "REVISION_KEYS",
    "guess_library",
    "is_api_key",
    "is_choice_id",
    "is_hub_id",
    "is_model_key",
    "is_ollama_tag",
    "normalize_key",
]

# -- which keys hold models -----------------------------------------------------------------------
_MODEL_KEYS = frozenset(
    {
        "model", "model_name", "model_id", "model_name_or_path", "pretrained_model_name_or_path",
        "pretrained_model", "base_model", "base_model_name_or_path", "checkpoint", "tokenizer",
        "tokenizer_name", "tokenizer_name_or_path", "tokenizer_path", "repo_id", "hub_model_id",
        "hf_model", "models", "model_names", "model_ids", "checkpoints", "model_path", "model_base",
        "vision_tower", "text_encoder", "image_encoder", "backbone_name", "encoder_name",
        "pretrained_model_path", "pretrained_path", "ckpt", "ckpt_path", "checkpoint_path",
        "model_checkpoint", "embedding_model", "embedder", "reranker", "vae",
    }
)  # fmt: skip
_MODEL_SUFFIXES = (
    "_model", "_model_name", "_model_id", "_model_name_or_path", "_repo_id", "_checkpoint",
    "_tokenizer", "_tokenizer_name", "_models", "_model_path", "_tower", "_encoder_name",
    "_ckpt", "_checkpoint_path", "_repo",
)  # fmt: skip
# keys that name the model inside a model-shaped table: ``model: {name: org/x, revision: v1}``
CHILD_KEYS = frozenset({"name", "id", "name_or_path", "repo", "pretrained", "path", "hub_id"})
REVISION_KEYS = ("revision", "model_revision", "hub_revision")
# config keys a library reads as an architecture whose pretrained weights it downloads: key ->
# (library, the names it accepts); the weights are that library's (``torchvision/vgg19:legacy``)
ARCHITECTURE_KEYS: dict[str, tuple[str, re.Pattern[str]]] = {
    # basicsr's PerceptualLoss / VGGFeatureExtractor: torchvision's ImageNet VGG weights
    "vgg_type": ("torchvision", re.compile(r"vgg(?:11|13|16|19)(?:_bn)?")),
}

# -- which values are Hub ids ---------------------------------------------------------------------
_HUB_ID = re.compile(r"(?:[A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}", re.ASCII)
_FILE_SUFFIX = re.compile(
    r"\.(json|ya?ml|toml|txt|csv|tsv|jsonl|parquet|arrow|pt|pth|th|bin|ckpt|safetensors|onnx|gguf|h5"
    r"|hdf5|pkl|pickle|npy|npz|zip|tar|gz|tgz|py|ipynb|md|model|tflite|pb|msgpack|sh|log|png|jpe?g"
    r"|wav|mp3|html?)$",
    re.IGNORECASE,
)
# first path segments that are almost always a local directory, even one not in the repo
_LOCAL_ROOTS = frozenset(
    {
        "data", "dataset", "datasets", "models", "model", "checkpoints", "checkpoint", "ckpt",
        "ckpts", "outputs", "output", "out", "runs", "weights", "saved_models", "saved", "results",
        "exp", "exps", "experiments", "logs", "tmp", "temp", "cache", "artifacts", "pretrained",
        "pretrained_models", "local", "assets", "resources", "src", "lib", "build", "dist",
    }
)  # fmt: skip
# LLM API providers whose "provider/model" strings share the Hub id shape (litellm, langchain)
_API_PROVIDERS = frozenset(
    {
        "anthropic", "azure", "azure_ai", "ollama", "ollama_chat", "bedrock", "vertex_ai",
        "gemini", "cohere", "groq", "together_ai", "openrouter", "fireworks_ai", "replicate",
        "perplexity", "mistral", "deepseek", "xai", "sagemaker", "hosted_vllm", "vllm",
        "watsonx", "databricks", "cloudflare", "voyage", "anyscale", "deepinfra", "nvidia_nim",
    }
)  # fmt: skip
_SHARED_NAMESPACES = frozenset({"openai"})  # on the Hub too, but only for open model families

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalize_key(key: str) -> str:
    """``modelNameOrPath`` / ``MODEL-NAME`` -> ``model_name_or_path`` / ``model_name``."""
    return _CAMEL.sub("_", key).replace("-", "_").lower()


def is_model_key(key: str) -> bool:
    """Whether a config key, environment variable or flag (normalized) names a model that is
    downloaded: not one an API provider serves (``WATSONX_GENERATION_MODEL``, ``openai_model``)."""
    if is_api_key(key):
        return False
    return key in _MODEL_KEYS or key.endswith(_MODEL_SUFFIXES)


def is_api_key(key: str) -> bool:
    """Whether a key (normalized) belongs to an API provider's settings (``watsonx_model``)."""
    return key.split("_", 1)[0] in _API_PROVIDERS | _SHARED_NAMESPACES


def is_hub_id(value: str) -> bool:
    """Whether ``value`` is shaped like a Hub model id and is not a local path or an API model."""
    if not _HUB_ID.fullmatch(value) or "--" in value or ".." in value or value.endswith(".git"):
        return False
    if _FILE_SUFFIX.search(value):
        return False
    namespace, _, name = value.rpartition("/")
    if not namespace:
        return is_legacy_canonical(name)
    if namespace.lower() in _LOCAL_ROOTS:
        return False
    if namespace in _API_PROVIDERS:
        return False
    return namespace not in _SHARED_NAMESPACES or family_of(value)[0] is not None


_PLAIN_WORD = re.compile(r"[A-Za-z]+")


def is_choice_id(value: str) -> bool:
    """A Hub id in prose that reads as a model, not a pair of words (``and/or``, ``A/B``):
    a namespace of two characters or more and a name with a digit, ``-``, ``_`` or ``.``."""
    namespace, _, name = value.rpartition("/")
    return is_hub_id(value) and len(namespace) >= 2 and not _PLAIN_WORD.fullmatch(name)


def guess_library(model_id: str) -> str:
    """The file-selection policy a config-named model most likely needs."""
    family, _ = family_of(model_id)
    if family in {"Stable Diffusion", "SDXL", "ControlNet", "FLUX"}:
        return "diffusers"
    if model_id.startswith("sentence-transformers/"):
        return "sentence-transformers"
    return "transformers"


_OLLAMA_TAG = re.compile(r"[a-z][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*")


def is_ollama_tag(value: str) -> bool:
    """``qwen3.5:9b``: an Ollama model with its tag (the tag makes it unmistakable)."""
    return bool(_OLLAMA_TAG.fullmatch(value)) and not value.startswith(("http:", "https:"))
