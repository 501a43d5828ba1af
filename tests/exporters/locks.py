"""Realistic locks the exporter tests share: the shapes a real project's ptm.lock takes."""

from __future__ import annotations

from ptmlock.models import BaseModelRef, Lock, LockedFile, LockedModel

__all__ = ["FINETUNED", "GATED", "LEGACY", "NO_LICENSE", "TORCH_HUB", "URL_MODEL", "full_lock"]

FINETUNED = LockedModel(
    hub="huggingface",
    id="distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    revision="714eb0fa89d2f80546fda750413ed43d93601a13",
    requested="main",
    files=(
        LockedFile(
            path="config.json",
            size=629,
            sha256="582e3b9bf9a5d0c3a4b2a0dcb0a7c45d5b0a9a7e6d7bfc6e4be38ef8f0d3d0f1",
        ),
        LockedFile(
            path="model.safetensors",
            size=267832558,
            sha256="b4ad8d3a4c0d8ad0f0fc8a2e2d3e8cf0c37c9ad25cf7f1dc9e0e23c51c7bd81e",
        ),
        LockedFile(
            path="tokenizer_config.json",
            size=48,
            sha256="2a2e4a3d7b0d1b4fbd9d3f7e3f2a4ec8c1cf26e9e22b2c0c4b6a37e8e91f4f41",
        ),
    ),
    used_by=("src/sentiment/app.py:14", "notebooks/explore.ipynb:3"),
    loaders=("transformers.pipeline", "transformers.AutoModel.from_pretrained"),
    patterns=("*.json", "*.safetensors"),
    license="apache-2.0",
    base_models=(BaseModelRef(id="distilbert/distilbert-base-uncased", relation="finetune"),),
    datasets=("stanfordnlp/sst2",),
    task="text-classification",
    library_name="transformers",
    card_sha256="0b2ee9bc1e6a9a3ec6bb7cf3b1dd3e9a52bd7e2cbd3e4af5bfb5b2a54b2e2e8f",
    parameters=66955010,
    last_modified="2023-12-19T10:15:00Z",
    family="bert",
    architecture="DistilBertForSequenceClassification",
)

GATED = LockedModel(
    hub="huggingface",
    id="meta-llama/Llama-3.2-1B",
    revision="4e20de362430cd3b72f300e6b0f18e50e7166e08",
    requested="main",
    files=(
        LockedFile(
            path="model.safetensors",
            size=2471645608,
            sha256="68a2e4be76fa709455a60272fba8e512c02d81c46e6c671cc9449e374fd6809a",
        ),
    ),
    used_by=("src/chat.py:8",),
    loaders=("transformers.AutoModelForCausalLM.from_pretrained",),
    group="chat-llm",
    license="llama3.2",
    task="text-generation",
    library_name="transformers",
    gated=True,
    parameters=1235814400,
    architecture="LlamaForCausalLM",
)

NO_LICENSE = LockedModel(
    hub="huggingface",
    id="someuser/tiny-random-bert",
    revision="0123456789abcdef0123456789abcdef01234567",
    files=(LockedFile(path="config.json", size=12, sha256="1" * 64),),
    used_by=("tests/test_model.py:5",),
)

LEGACY = LockedModel(
    hub="huggingface",
    id="gpt2",
    revision="607a30d783dfa663caf39e06633721c8d4cfcd7e",
    requested="main",
    files=(
        LockedFile(
            path="model.safetensors",
            size=548105171,
            sha256="248dfc3911869ec493c76e65bf2fcf7f615828b0254c12b473182f0f81d3a707",
        ),
    ),
    used_by=("src/generate.py:3",),
    loaders=("transformers.AutoModelForCausalLM.from_pretrained",),
    license="mit",
    task="text-generation",
    group="chat-llm",
)

TORCH_HUB = LockedModel(
    hub="pytorch_hub",
    id="pytorch/vision:v0.10.0",
    revision="b8f6e5d2b0f0b3b1c3d7d0b6c6f3c4f3a2e1d0c9",
    requested="v0.10.0",
    files=(
        LockedFile(
            path="resnet18-f37072fd.pth",
            size=46830571,
            sha256="f37072fd47e89c7ba0f3d1e9c6c6b6a2ed6a0b6f4cbd38a3f5c5b0f7c2f7a9e1",
            url="https://download.pytorch.org/models/resnet18-f37072fd.pth",
        ),
    ),
    used_by=("src/vision.py:21",),
    loaders=("torch.hub.load",),
    license="BSD-3-Clause",
)

URL_MODEL = LockedModel(
    hub="url",
    id="https://github.com/ultralytics/assets/releases/download/v8.2.0/yolov8n.pt",
    revision="f59b3d833e2ff32e194b5bb8e08d211dc7c5bdf144b90d2c8412c47ccfc83b36",
    files=(
        LockedFile(
            path="yolov8n.pt",
            size=6549796,
            sha256="f59b3d833e2ff32e194b5bb8e08d211dc7c5bdf144b90d2c8412c47ccfc83b36",
            url="https://github.com/ultralytics/assets/releases/download/v8.2.0/yolov8n.pt",
        ),
    ),
    used_by=("scripts/fetch.sh:2",),
    license="AGPL-3.0-only",
)


def full_lock() -> Lock:
    """Every shape at once, sorted by hub then id as lockfile.py writes them."""
    models = (FINETUNED, GATED, NO_LICENSE, LEGACY, TORCH_HUB, URL_MODEL)
    return Lock(models=tuple(sorted(models, key=lambda m: m.key)))
